// Model-level routes: POST /tokenize, POST /detokenize, GET /info (what is served, how, and whether the
// weights are random).
package dev.gpt2.server;

import java.util.List;

import java.util.Set;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gpt2.EngineStats;
import dev.gpt2.Gpt2Model;
import dev.gpt2.ModelInfo;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * Tokenizer and model info.
 * <pre>
 * curl -s localhost:8080/tokenize -H 'Content-Type: application/json' -d '{"text":"Hello world"}'
 * curl -s localhost:8080/detokenize -H 'Content-Type: application/json' -d '{"tokens":[15496,995]}'
 * curl -s localhost:8080/info
 * </pre>
 */
final class ModelService implements RoutedService {
    private static final Set<String> TOKENIZE_FIELDS = Set.of("text", "content", "parse_special", "with_pieces");
    private static final Set<String> DETOKENIZE_FIELDS = Set.of("tokens");

    private final ModelHolder models;
    private final ServerSettings settings;

    ModelService(ModelHolder models, ServerSettings settings) {
        this.models = models;
        this.settings = settings;
    }

    @Override
    public List<Route> routes() {
        return List.of(Route.post("/tokenize", this::tokenize), Route.post("/detokenize", this::detokenize),
                Route.get("/info", this::info));
    }

    private void tokenize(ServerRequest req, ServerResponse res) throws Exception {
        ObjectNode body = JsonBody.read(req, settings);
        JsonBody.rejectUnknown(body, TOKENIZE_FIELDS, "");
        String text = JsonBody.optString(body, "text", "");
        if (text == null) {
            text = JsonBody.optString(body, "content", "");
        }
        if (text == null) {
            throw ApiException.invalid("text", "'text' (or 'content') is required");
        }
        boolean parseSpecial = Boolean.TRUE.equals(JsonBody.optBool(body, "parse_special", ""));
        boolean pieces = Boolean.TRUE.equals(JsonBody.optBool(body, "with_pieces", ""));
        Gpt2Model model = models.model();
        int[] tokens = model.tokenize(text, parseSpecial);
        ObjectNode out = JsonBody.MAPPER.createObjectNode();
        ArrayNode arr = out.putArray("tokens");
        for (int t : tokens) {
            if (pieces) {
                arr.addObject().put("id", t).put("piece", model.detokenize(new int[] {t}));
            } else {
                arr.add(t);
            }
        }
        Responses.sendJson(res, out);
    }

    private void detokenize(ServerRequest req, ServerResponse res) throws Exception {
        ObjectNode body = JsonBody.read(req, settings);
        JsonBody.rejectUnknown(body, DETOKENIZE_FIELDS, "");
        Gpt2Model model = models.model();
        int[] tokens = JsonBody.intArray(body, "tokens", model.info().vocabSize());
        Responses.sendJson(res, JsonBody.MAPPER.createObjectNode().put("text", model.detokenize(tokens)));
    }

    private void info(ServerRequest req, ServerResponse res) throws Exception {
        Gpt2Model model = models.model();
        Responses.sendJson(res, info(model, models));
    }

    static ObjectNode info(Gpt2Model model, ModelHolder models) {
        ModelInfo i = model.info();
        EngineStats s = model.stats();
        ObjectNode o = JsonBody.MAPPER.createObjectNode();
        o.put("model_id", models.name());
        o.put("model_name", i.name());
        // the file name only: the absolute path (and the build's CPU features) are for the operator's log
        o.put("model_file", java.nio.file.Path.of(i.path()).getFileName().toString());
        o.put("description", i.description());
        o.put("random_weights", i.randomWeights());
        o.put("model_dtype", i.type());
        o.put("kv_cache_dtype", i.kvCacheType());
        o.put("file_size_bytes", i.fileSizeBytes());
        o.put("n_params", i.parameterCount());
        o.put("n_vocab", i.vocabSize());
        o.put("n_ctx", i.contextSize());
        o.put("n_ctx_train", i.trainContextSize());
        o.put("n_embd", i.embeddingSize());
        o.put("n_layer", i.layers());
        o.put("n_head", i.heads());
        o.put("threads", i.threads());
        o.put("device", i.device());
        o.put("device_name", i.deviceName());
        o.put("batch_slots", i.batchSlots());
        o.put("queue_capacity", i.queueCapacity());
        o.put("max_total_tokens", i.contextSize());
        o.put("active_sequences", s.activeSequences());
        o.put("queued_requests", s.queuedRequests());
        o.put("load_ms", Math.round(models.loadMs()));
        o.put("version", i.runtimeVersion());
        o.put("router", "gpt2-server (Helidon SE)");
        return o;
    }
}
