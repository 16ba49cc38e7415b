// Hugging Face TGI-compatible generation: POST /generate (one JSON answer) and POST /generate_stream (SSE).
// TGI semantics: greedy unless do_sample=true or a sampling warper (temperature != 1, top_k, top_p < 1,
// typical_p < 1, min_p > 0) is given. A flat llama.cpp-style body {"prompt","n_predict",...} is accepted too.
package dev.gpt2.server;

import java.util.List;
import java.util.Set;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gpt2.GenerationParams;
import dev.gpt2.GenerationResult;
import dev.gpt2.Gpt2Model;
import dev.gpt2.StreamEvent;
import dev.gpt2.TokenInfo;
import dev.gpt2.TopToken;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
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
final class TgiService implements HttpService {
    /** TGI's default for max_new_tokens. */
    static final int DEFAULT_MAX_NEW_TOKENS = 20;

    private static final Set<String> TOP_FIELDS = Set.of("inputs", "parameters", "stream", "model");
    private static final Set<String> PARAM_FIELDS = Set.of("max_new_tokens", "temperature", "top_k", "top_p",
            "min_p", "typical_p", "repetition_penalty", "presence_penalty", "frequency_penalty", "seed", "stop",
            "do_sample", "return_full_text", "truncate", "details", "decoder_input_details", "top_n_tokens",
            "watermark", "best_of", "ignore_eos", "parse_special");
    private static final Set<String> FLAT_FIELDS = Set.of("prompt", "n_predict", "temperature", "top_k", "top_p",
            "min_p", "typical_p", "repeat_penalty", "presence_penalty", "frequency_penalty", "seed", "stop",
            "stream", "ignore_eos", "n_probs");

    private final ModelHolder models;
    private final ServerMetrics metrics;
    private final ServerSettings settings;

    TgiService(ModelHolder models, ServerMetrics metrics, ServerSettings settings) {
        this.models = models;
        this.metrics = metrics;
        this.settings = settings;
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", this::compat)
                .post("/generate", this::generate)
                .post("/generate_stream", this::generateStream);
    }

    /** A parsed request: prompt, library params, and the TGI-only switches. */
    record TgiRequest(String inputs, GenerationParams params, boolean sampling, boolean details,
                      boolean returnFullText, boolean stream) {
    }

    private void generate(ServerRequest req, ServerResponse res) {
        try {
            TgiRequest r = parse(JsonBody.read(req, settings));
            if (r.stream()) {
                stream(r, res);
            } else {
                complete(r, res, false);
            }
        } catch (Throwable e) {
            ErrorDialect.TGI.send(res, e);
        }
    }

    /** TGI's compat route: an array with one answer, or the event stream when "stream" is true. */
    private void compat(ServerRequest req, ServerResponse res) {
        try {
            TgiRequest r = parse(JsonBody.read(req, settings));
            if (r.stream()) {
                stream(r, res);
            } else {
                complete(r, res, true);
            }
        } catch (Throwable e) {
            ErrorDialect.TGI.send(res, e);
        }
    }

    private void generateStream(ServerRequest req, ServerResponse res) {
        try {
            stream(parse(JsonBody.read(req, settings)), res);
        } catch (Throwable e) {
            ErrorDialect.TGI.send(res, e);
        }
    }

    private void complete(TgiRequest r, ServerResponse res, boolean asArray) throws InterruptedException {
        Gpt2Model model = models.model();
        int[] prompt = prepare(model, r);
        GenerationRun run = GenerationRun.submit(model, prompt, r.params(), metrics, settings.requestTimeout());
        ClientWatch.start(res, run::clientGone);
        GenerationResult result = run.awaitResult();
        ObjectNode out = JsonBody.MAPPER.createObjectNode();
        out.put("generated_text", r.returnFullText() ? r.inputs() + result.text() : result.text());
        if (r.details()) {
            ObjectNode details = out.putObject("details");
            details.put("finish_reason", result.finishReason().tgiName());
            details.put("generated_tokens", result.generatedTokens());
            putSeed(details, r, result);
            ArrayNode prefill = details.putArray("prefill");
            for (int id : prompt) {
                prefill.addObject().put("id", id).put("text", model.detokenize(new int[] {id})).putNull("logprob");
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
        Gpt2Model model = models.model();
        int[] prompt = prepare(model, r);
        GenerationRun run = GenerationRun.submit(model, prompt, r.params(), metrics, settings.requestTimeout());
        // a failed write notices a gone client only once there is something to write: the watch notices it while
        // the request waits in the queue or prefills too
        ClientWatch.start(res, run::cancel);
        try (Sse sse = new Sse(res)) {
            ObjectNode held = null;
            while (true) {
                Object next;
                try {
                    next = run.next();
                } catch (RuntimeException e) {
                    ApiException api = ErrorDialect.TGI.translate(e);
                    sse.send(ErrorDialect.TGI.body(api));
                    return;
                }
                if (next instanceof StreamEvent event) {
                    if (held != null && !sse.send(held)) {
                        run.cancel();
                    }
                    held = streamEvent(model, r, event);
                    continue;
                }
                GenerationResult result = (GenerationResult) next;
                ObjectNode last = held != null ? held : JsonBody.MAPPER.createObjectNode()
                        .put("index", result.generatedTokens()).putNull("token");
                last.put("generated_text", r.returnFullText() ? r.inputs() + result.text() : result.text());
                ObjectNode details = last.putObject("details");
                details.put("finish_reason", result.finishReason().tgiName());
                details.put("generated_tokens", result.generatedTokens());
                putSeed(details, r, result);
                sse.send(last);
                return;
            }
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
        return Prompts.prepare(model, r.inputs(), r.params().parseSpecial(), r.params().truncate(),
                r.params().maxNewTokens(), "inputs", "max_new_tokens");
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
        var b = GenerationParams.builder();
        b.maxNewTokens(orElse(JsonBody.optInt(p, "max_new_tokens", pre, 1, 1_000_000), DEFAULT_MAX_NEW_TOKENS));
        Float temperature = JsonBody.optFloat(p, "temperature", pre, 0, 100);
        if (temperature != null && temperature <= 0) {
            throw ApiException.invalid(pre + "temperature", "'parameters.temperature' must be strictly positive");
        }
        Integer topK = JsonBody.optInt(p, "top_k", pre, 1, Integer.MAX_VALUE);
        Float topP = JsonBody.optFloat(p, "top_p", pre, 0, 1);
        if (topP != null && (topP <= 0 || topP > 1)) {
            throw ApiException.invalid(pre + "top_p", "'parameters.top_p' must be > 0.0 and <= 1.0");
        }
        Float typicalP = JsonBody.optFloat(p, "typical_p", pre, 0, 1);
        if (typicalP != null && typicalP <= 0) {
            throw ApiException.invalid(pre + "typical_p", "'parameters.typical_p' must be > 0.0 and <= 1.0");
        }
        Float minP = JsonBody.optFloat(p, "min_p", pre, 0, 1);
        Float rep = JsonBody.optFloat(p, "repetition_penalty", pre, 0, 10);
        if (rep != null && rep <= 0) {
            throw ApiException.invalid(pre + "repetition_penalty",
                    "'parameters.repetition_penalty' must be strictly positive");
        }
        Boolean doSample = JsonBody.optBool(p, "do_sample", pre);
        boolean warpers = (temperature != null && temperature != 1f) || topK != null
                || (topP != null && topP < 1f) || (typicalP != null && typicalP < 1f) || (minP != null && minP > 0f);
        boolean sampling = Boolean.TRUE.equals(doSample) || warpers;
        if (sampling) {
            b.temperature(temperature == null ? 1f : temperature);
            if (topK != null) {
                b.topK(topK);
            }
            if (topP != null) {
                b.topP(topP);
            }
            if (typicalP != null) {
                b.typicalP(typicalP);
            }
            if (minP != null) {
                b.minP(minP);
            }
        } else {
            b.temperature(0f);
        }
        if (rep != null) {
            b.repetitionPenalty(rep);
        }
        Float presence = JsonBody.optFloat(p, "presence_penalty", pre, -2, 2);
        if (presence != null) {
            b.presencePenalty(presence);
        }
        Float frequency = JsonBody.optFloat(p, "frequency_penalty", pre, -2, 2);
        if (frequency != null) {
            b.frequencyPenalty(frequency);
        }
        Long seed = JsonBody.optLong(p, "seed", pre);
        if (seed != null) {
            b.seed(seed);
        }
        List<String> stop = JsonBody.optStrings(p, "stop", pre);
        if (stop != null) {
            b.stop(stop);
        }
        Integer truncate = JsonBody.optInt(p, "truncate", pre, 0, Integer.MAX_VALUE);
        if (truncate != null) {
            b.truncate(truncate);
        }
        Integer topN = JsonBody.optInt(p, "top_n_tokens", pre, 0, 20);
        if (topN != null) {
            b.topNTokens(topN);
        }
        Boolean ignoreEos = JsonBody.optBool(p, "ignore_eos", pre);
        if (ignoreEos != null) {
            b.ignoreEos(ignoreEos);
        }
        Boolean parseSpecial = JsonBody.optBool(p, "parse_special", pre);
        if (parseSpecial != null) {
            b.parseSpecial(parseSpecial);
        }
        if (Boolean.TRUE.equals(JsonBody.optBool(p, "watermark", pre))) {
            throw ApiException.invalid(pre + "watermark", "'parameters.watermark' is not supported");
        }
        JsonBody.optInt(p, "best_of", pre, 1, 1);
        JsonBody.optBool(p, "decoder_input_details", pre);
        boolean details = Boolean.TRUE.equals(JsonBody.optBool(p, "details", pre));
        boolean full = Boolean.TRUE.equals(JsonBody.optBool(p, "return_full_text", pre));
        return new TgiRequest(inputs, build(b::build), sampling, details, full, stream);
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
                case "n_predict" -> p.set("max_new_tokens", e.getValue());
                case "repeat_penalty" -> p.set("repetition_penalty", e.getValue());
                case "n_probs" -> p.set("top_n_tokens", e.getValue());
                default -> p.set(e.getKey(), e.getValue());
            }
        });
        top.set("parameters", p);
        try {
            return parse(top);
        } catch (ApiException e) {
            String field = e.field() == null ? null : e.field().replace("parameters.", "")
                    .replace("max_new_tokens", "n_predict").replace("repetition_penalty", "repeat_penalty")
                    .replace("top_n_tokens", "n_probs").replace("inputs", "prompt");
            String msg = e.getMessage().replace("parameters.", "").replace("max_new_tokens", "n_predict")
                    .replace("'inputs'", "'prompt'");
            throw new ApiException(e.status(), field, msg, e.type());
        }
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

    private static int orElse(Integer v, int fallback) {
        return v == null ? fallback : v;
    }
}
