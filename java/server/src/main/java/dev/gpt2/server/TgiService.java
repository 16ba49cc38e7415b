// Hugging Face TGI-compatible generation: POST /generate (one JSON answer) and POST /generate_stream (SSE).
// TGI semantics: greedy unless do_sample=true or a sampling warper (temperature != 1, top_k, top_p < 1,
// typical_p < 1, min_p > 0) is given. A flat llama.cpp-style body {"prompt","n_predict",...} is accepted too.
package dev.gpt2.server;

import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gpt2.GenerationParameter;
import dev.gpt2.GenerationParams;
import dev.gpt2.GenerationResult;
import dev.gpt2.Gpt2Model;
import dev.gpt2.PromptToken;
import dev.gpt2.SpeculationStats;
import dev.gpt2.StreamEvent;
import dev.gpt2.TokenInfo;
import dev.gpt2.TopToken;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * TGI routes.
 * <pre>
 * curl -s localhost:8080/generate -H 'Content-Type: application/json' \
 *   -d '{"inputs":"Hello","parameters":{"max_new_tokens":8,"details":true}}'
 * curl -s localhost:8080/ -H 'Content-Type: application/json' -d '{"inputs":"Hello"}'   # TGI compat: [answer]
 * curl -N localhost:8080/generate_stream -H 'Content-Type: application/json' -d '{"inputs":"Hello"}'
 * </pre>
 */
final class TgiService implements RoutedService {
    private static final Set<String> TOP_FIELDS = Set.of("inputs", "parameters", "stream", "model");
    /** The table's TGI names and TGI's own switches. */
    private static final Set<String> PARAM_FIELDS = union(ApiParameters.names(ApiParameters.Family.TGI),
            Set.of("do_sample", "return_full_text", "details", "decoder_input_details", "watermark", "best_of"));
    /** The table's llama.cpp names, the prompt and the stream switch. */
    private static final Set<String> FLAT_FIELDS = union(ApiParameters.names(ApiParameters.Family.LLAMA),
            Set.of("prompt", "stream"));

    private final ModelHolder models;
    private final ServerMetrics metrics;
    private final ServerSettings settings;

    TgiService(ModelHolder models, ServerMetrics metrics, ServerSettings settings) {
        this.models = models;
        this.metrics = metrics;
        this.settings = settings;
    }

    @Override
    public List<Route> routes() {
        return List.of(Route.post("/", this::compat), Route.post("/generate", this::generate),
                Route.post("/generate_stream", this::generateStream));
    }

    /** A parsed request: prompt, library params, and the TGI-only switches. */
    record TgiRequest(String inputs, GenerationParams params, boolean sampling, boolean details,
                      boolean returnFullText, boolean stream, boolean decoderInputDetails) {
    }

    private void generate(ServerRequest req, ServerResponse res) throws Exception {
        TgiRequest r = parse(JsonBody.read(req, settings));
        if (r.stream()) {
            stream(r, res);
        } else {
            complete(r, res, false);
        }
    }

    /** TGI's compat route: an array with one answer, or the event stream when "stream" is true. */
    private void compat(ServerRequest req, ServerResponse res) throws Exception {
        TgiRequest r = parse(JsonBody.read(req, settings));
        if (r.stream()) {
            stream(r, res);
        } else {
            complete(r, res, true);
        }
    }

    private void generateStream(ServerRequest req, ServerResponse res) throws Exception {
        stream(parse(JsonBody.read(req, settings)), res);
    }

    private void complete(TgiRequest r, ServerResponse res, boolean asArray) throws InterruptedException {
        Gpt2Model model = models.model();
        int[] prompt = prepare(model, r);
        GenerationRun run = GenerationRun.submit(model, prompt, r.params(), metrics, settings.requestTimeout());
        ClientWatch.start(res, run::clientGone);
        GenerationResult result = run.awaitResult();
        ObjectNode out = JsonBody.MAPPER.createObjectNode();
        out.put("generated_text", r.returnFullText() ? r.inputs() + result.text() : result.text());
        if (r.details() || r.decoderInputDetails()) {
            ObjectNode details = out.putObject("details");
            details.put("finish_reason", WireNames.tgi(result.finishReason()));
            details.put("generated_tokens", result.generatedTokens());
            putSeed(details, r, result);
            putSpeculation(details, result);
            // decoder_input_details: each prompt token's logprob given the ones before it (the first one's null)
            ArrayNode prefill = details.putArray("prefill");
            List<PromptToken> scores = result.promptLogprobs();
            for (int i = 0; i < prompt.length; i++) {
                ObjectNode t = prefill.addObject().put("id", prompt[i])
                        .put("text", model.detokenize(new int[] {prompt[i]}));
                Float logprob = i < scores.size() ? scores.get(i).logprob() : null;
                if (logprob == null) {
                    t.putNull("logprob");
                } else {
                    t.put("logprob", logprob);
                }
            }
            ArrayNode tokens = details.putArray("tokens");
            for (TokenInfo t : result.tokens()) {
                tokens.add(token(t, t.text()));
            }
            if (r.params().topNTokens() > 0) {
                ArrayNode top = details.putArray("top_tokens");
                for (TokenInfo t : result.tokens()) {
                    top.add(topTokens(model, t.top()));
                }
            }
        }
        if (asArray) {
            Responses.sendJson(res, JsonBody.MAPPER.createArrayNode().add(out));
        } else {
            Responses.sendJson(res, out);
        }
    }

    /**
     * One event per token; the event of the last token is held until the result arrives so that it can carry
     * generated_text and details, as TGI's does.
     */
    private void stream(TgiRequest r, ServerResponse res) throws InterruptedException {
        if (r.decoderInputDetails()) {   // as TGI: the prefill details come with the one-answer routes only
            throw ApiException.invalid("parameters.decoder_input_details",
                    "'parameters.decoder_input_details' is not supported when streaming tokens");
        }
        Gpt2Model model = models.model();
        int[] prompt = prepare(model, r);
        GenerationRun run = GenerationRun.submit(model, prompt, r.params(), metrics, settings.requestTimeout());
        // a failed write notices a gone client only once there is something to write: the watch notices it while
        // the request waits in the queue or prefills too
        ClientWatch.start(res, run::cancel);
        try (Sse sse = new Sse(res)) {
            StreamLoop.End end = StreamLoop.run(run, sse, ErrorDialect.TGI, event -> streamEvent(model, r, event), true);
            if (end == null) {
                return;
            }
            GenerationResult result = end.result();
            ObjectNode last = end.held() != null ? end.held() : JsonBody.MAPPER.createObjectNode()
                    .put("index", result.generatedTokens()).putNull("token");
            last.put("generated_text", r.returnFullText() ? r.inputs() + result.text() : result.text());
            ObjectNode details = last.putObject("details");
            details.put("finish_reason", WireNames.tgi(result.finishReason()));
            details.put("generated_tokens", result.generatedTokens());
            putSeed(details, r, result);
            putSpeculation(details, result);
            sse.send(last);
        }
    }

    private ObjectNode streamEvent(Gpt2Model model, TgiRequest r, StreamEvent event) {
        ObjectNode e = JsonBody.MAPPER.createObjectNode();
        e.put("index", event.index() + 1);
        e.set("token", token(event.token(), event.text()));
        if (r.params().topNTokens() > 0) {
            e.set("top_tokens", topTokens(model, event.token().top()));
        }
        e.putNull("generated_text");
        e.putNull("details");
        return e;
    }

    private int[] prepare(Gpt2Model model, TgiRequest r) {
        return Prompts.prepare(model, r.inputs(), r.params(), "inputs");
    }

    /** Speculative decoding's figures of the request (an extension of TGI's details), when it drafted tokens. */
    private static void putSpeculation(ObjectNode details, GenerationResult result) {
        SpeculationStats s = result.speculation();
        if (s.draftedTokens() > 0) {
            details.putObject("speculation").put("drafted_tokens", s.draftedTokens())
                    .put("accepted_tokens", s.acceptedTokens()).put("acceptance_rate", s.acceptanceRate());
        }
    }

    private static void putSeed(ObjectNode details, TgiRequest r, GenerationResult result) {
        if (r.sampling()) {
            details.put("seed", result.seed());
        } else {
            details.putNull("seed");
        }
    }

    private static ObjectNode token(TokenInfo t, String text) {
        ObjectNode o = JsonBody.MAPPER.createObjectNode();
        o.put("id", t.id());
        o.put("text", text);
        o.put("logprob", t.logprob());
        o.put("special", t.special());
        return o;
    }

    private static ArrayNode topTokens(Gpt2Model model, List<TopToken> top) {
        ArrayNode a = JsonBody.MAPPER.createArrayNode();
        for (TopToken t : top) {
            a.addObject().put("id", t.id()).put("text", t.text()).put("logprob", t.logprob())
                    .put("special", model.isSpecial(t.id()));
        }
        return a;
    }

    /** TGI body, or the flat llama.cpp body when "prompt" is present and "inputs" is not. */
    static TgiRequest parse(ObjectNode body) {
        if (!body.has("inputs") && body.has("prompt")) {
            return parseFlat(body);
        }
        JsonBody.rejectUnknown(body, TOP_FIELDS, "");
        JsonBody.optString(body, "model", "");
        String inputs = JsonBody.optString(body, "inputs", "");
        if (inputs == null) {
            throw ApiException.invalid("inputs", "'inputs' is required");
        }
        boolean stream = Boolean.TRUE.equals(JsonBody.optBool(body, "stream", ""));
        ObjectNode p = JsonBody.optObject(body, "parameters", "");
        if (p == null) {
            p = JsonBody.MAPPER.createObjectNode();
        }
        String pre = "parameters.";
        JsonBody.rejectUnknown(p, PARAM_FIELDS, pre);
        Map<GenerationParameter, Object> values = ApiParameters.read(p, pre, ApiParameters.Family.TGI);
        Boolean doSample = JsonBody.optBool(p, "do_sample", pre);
        boolean sampling = Boolean.TRUE.equals(doSample) || warpers(values);
        var b = ApiParameters.apply(values, ApiParameters.Family.TGI);
        if (!sampling) {
            b.temperature(0f);
        }
        if (Boolean.TRUE.equals(JsonBody.optBool(p, "watermark", pre))) {
            throw ApiException.invalid(pre + "watermark", "'parameters.watermark' is not supported");
        }
        JsonBody.optInt(p, "best_of", pre, 1, 1);
        boolean inputDetails = Boolean.TRUE.equals(JsonBody.optBool(p, "decoder_input_details", pre));
        if (inputDetails) {
            b.promptLogprobs(true);
        }
        boolean details = Boolean.TRUE.equals(JsonBody.optBool(p, "details", pre));
        boolean full = Boolean.TRUE.equals(JsonBody.optBool(p, "return_full_text", pre));
        return new TgiRequest(inputs, build(b::build), sampling, details, full, stream, inputDetails);
    }

    /** TGI's rule: a sampling parameter away from its neutral value turns sampling on. */
    private static boolean warpers(Map<GenerationParameter, Object> v) {
        return differs(v, GenerationParameter.TEMPERATURE, 1f) || v.containsKey(GenerationParameter.TOP_K)
                || differs(v, GenerationParameter.TOP_P, 1f) || differs(v, GenerationParameter.TYPICAL_P, 1f)
                || differs(v, GenerationParameter.MIN_P, 0f);
    }

    private static boolean differs(Map<GenerationParameter, Object> v, GenerationParameter p, float neutral) {
        Object x = v.get(p);
        return x != null && (Float) x != neutral;
    }

    /** llama.cpp's /completion shape; sampling follows the same TGI rule (temperature etc. turn it on). */
    private static TgiRequest parseFlat(ObjectNode body) {
        JsonBody.rejectUnknown(body, FLAT_FIELDS, "");
        ObjectNode p = JsonBody.MAPPER.createObjectNode();
        ObjectNode top = JsonBody.MAPPER.createObjectNode();
        top.set("inputs", body.get("prompt"));
        body.fields().forEachRemaining(e -> {
            switch (e.getKey()) {
                case "prompt" -> { }
                case "stream" -> top.set("stream", e.getValue());
                default -> p.set(tgiName(e.getKey()), e.getValue());
            }
        });
        top.set("parameters", p);
        try {
            return parse(top);
        } catch (ApiException e) {
            String field = e.field() == null ? null : flatName(e.field().replace("parameters.", ""));
            String msg = e.getMessage().replace("parameters.", "").replace("'inputs'", "'prompt'");
            if (field != null) {
                msg = msg.replace(ApiParameters.wireName(ApiParameters.Family.TGI, fieldOf(field)), field);
            }
            throw new ApiException(e.status(), field, msg, e.type());
        }
    }

    /** A flat name as TGI calls it (n_predict -> max_new_tokens). */
    private static String tgiName(String flat) {
        for (ApiParameters.Row row : ApiParameters.ROWS) {
            if (flat.equals(row.llama()) && row.tgi() != null) {
                return row.tgi();
            }
        }
        return flat;
    }

    /** A TGI name as the flat body calls it (max_new_tokens -> n_predict, inputs -> prompt). */
    private static String flatName(String tgiName) {
        if (tgiName.equals("inputs")) {
            return "prompt";
        }
        for (ApiParameters.Row row : ApiParameters.ROWS) {
            if (tgiName.equals(row.tgi()) && row.llama() != null) {
                return row.llama();
            }
        }
        return tgiName;
    }

    /** The TGI name behind a flat name (the inverse of flatName, for the message). */
    private static String fieldOf(String flat) {
        for (ApiParameters.Row row : ApiParameters.ROWS) {
            if (flat.equals(row.llama())) {
                return row.parameter().field();
            }
        }
        return flat;
    }

    private static GenerationParams build(java.util.function.Supplier<GenerationParams> b) {
        try {
            return b.get();
        } catch (dev.gpt2.ParameterException e) {
            ApiException api = ErrorDialect.TGI.translate(e);
            if (api.field() == null) {
                throw api;
            }
            throw ApiException.invalid("parameters." + api.field(),
                    api.getMessage().replace(api.field(), "parameters." + api.field()));
        }
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> out = new java.util.HashSet<>(a);
        out.addAll(b);
        return Set.copyOf(out);
    }
}
