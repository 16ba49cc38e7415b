// OpenAI-compatible legacy completions: POST /v1/completions (JSON or SSE chunks ending in "data: [DONE]")
// and GET /v1/models. Sampling by default (temperature 1), as OpenAI; temperature 0 or do_sample=false = greedy.
// Also accepts the TGI extras @huggingface/inference 4.x sends here (do_sample, top_k, repetition_penalty...).
package dev.gpt2.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gpt2.GenerationParameter;
import dev.gpt2.GenerationParams;
import dev.gpt2.GenerationResult;
import dev.gpt2.Gpt2Model;
import dev.gpt2.PromptToken;
import dev.gpt2.TokenInfo;
import dev.gpt2.TopToken;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;

/**
 * OpenAI routes.
 * <pre>
 * curl -s localhost:8080/v1/completions -H 'Content-Type: application/json' \
 *   -d '{"model":"gpt2","prompt":"Hello","max_tokens":8,"logprobs":2}'
 * curl -s localhost:8080/v1/models
 * </pre>
 */
final class OpenAiService implements RoutedService {
    static final int MAX_N = 16;

    private static final Set<String> FIELDS = Set.of("model", "prompt", "max_tokens", "temperature", "top_p", "n",
            "stream", "stream_options", "logprobs", "echo", "stop", "seed", "presence_penalty", "frequency_penalty",
            "user", "best_of", "logit_bias", "suffix",
            // TGI extras sent by @huggingface/inference 4.x textGeneration
            "do_sample", "top_k", "min_p", "typical_p", "repetition_penalty", "truncate", "return_full_text",
            "watermark", "details", "decoder_input_details", "top_n_tokens", "ignore_eos",
            // this server's extension: speculative decoding per request
            "speculate");

    private final ModelHolder models;
    private final ServerMetrics metrics;
    private final ServerSettings settings;

    OpenAiService(ModelHolder models, ServerMetrics metrics, ServerSettings settings) {
        this.models = models;
        this.metrics = metrics;
        this.settings = settings;
    }

    @Override
    public List<Route> routes() {
        return List.of(Route.post("/completions", this::completions), Route.get("/models", this::listModels));
    }

    /**
     * A parsed request: one prompt per entry (text, or token ids in TOKEN_PROMPTS, then PROMPTS is null), n choices
     * each.
     */
    record CompletionRequest(List<String> prompts, List<int[]> tokenPrompts, GenerationParams params, int n,
                             boolean stream, boolean includeUsage, Integer logprobs, boolean echo) {
    }

    private void listModels(ServerRequest req, ServerResponse res) {
        ObjectNode out = JsonBody.MAPPER.createObjectNode().put("object", "list");
        out.putArray("data").addObject().put("id", models.name()).put("object", "model")
                .put("created", 0).put("owned_by", "gpt2-server");
        Responses.sendJson(res, out);
    }

    private void completions(ServerRequest req, ServerResponse res) throws Exception {
        CompletionRequest r = parse(JsonBody.read(req, settings));
        Gpt2Model model = models.model();
        List<int[]> prompts = new ArrayList<>();
        List<String> texts = new ArrayList<>();   // what echo prepends
        if (r.tokenPrompts() != null) {
            for (int[] tokens : r.tokenPrompts()) {
                prompts.add(Prompts.prepareTokens(model, tokens, r.params(), "prompt"));
                texts.add(model.detokenize(tokens));
            }
        } else {
            for (String prompt : r.prompts()) {
                prompts.add(Prompts.prepare(model, prompt, r.params(), "prompt"));
                texts.add(prompt);
            }
        }
        // more choices than the engine can ever hold at once would answer 429 for ever: a request error
        int capacity = model.info().batchSlots() + model.info().queueCapacity();
        if (prompts.size() * r.n() > capacity) {
            throw ApiException.invalid("n", "prompts x n = " + prompts.size() * r.n()
                    + " exceeds what this server can run at once (" + capacity + " = batch slots + queue)");
        }
        List<GenerationRun> runs = new ArrayList<>();
        try {
            for (int p = 0; p < prompts.size(); p++) {
                for (int i = 0; i < r.n(); i++) {
                    GenerationParams params = r.params();
                    if (i > 0 && params.seed().isPresent()) {
                        params = params.toBuilder().seed(params.seed().getAsLong() + i).build();
                    }
                    runs.add(GenerationRun.submit(model, prompts.get(p), params, metrics,
                            settings.requestTimeout()));
                }
            }
        } catch (RuntimeException e) {
            runs.forEach(GenerationRun::cancel);
            throw e;
        }
        String id = "cmpl-" + UUID.randomUUID().toString().replace("-", "");
        long created = System.currentTimeMillis() / 1000;
        if (r.stream()) {
            stream(r, texts, prompts, res, runs, id, created);
        } else {
            complete(r, texts, res, model, runs, id, created);
        }
    }

    private void complete(CompletionRequest r, List<String> texts, ServerResponse res, Gpt2Model model,
                          List<GenerationRun> runs, String id, long created) throws InterruptedException {
        ClientWatch.start(res, () -> runs.forEach(GenerationRun::clientGone));
        ObjectNode out = header(id, created);
        ArrayNode choices = out.putArray("choices");
        int promptTokens = 0;
        int completionTokens = 0;
        long drafted = 0;
        long accepted = 0;
        for (int i = 0; i < runs.size(); i++) {
            GenerationResult result = runs.get(i).awaitResult();
            String prompt = texts.get(i / r.n());
            if (i % r.n() == 0) {
                promptTokens += result.promptTokens();
            }
            completionTokens += result.generatedTokens();
            drafted += result.speculation().draftedTokens();
            accepted += result.speculation().acceptedTokens();
            ObjectNode c = choices.addObject();
            c.put("text", r.echo() ? prompt + result.text() : result.text());
            c.put("index", i);
            if (r.logprobs() == null) {
                c.putNull("logprobs");
            } else {
                c.set("logprobs", logprobs(model, r.echo() ? result.promptTokenIds() : new int[0],
                        result.promptLogprobs(), result.tokens()));
            }
            c.put("finish_reason", WireNames.openAi(result.finishReason()));
        }
        out.set("usage", usage(promptTokens, completionTokens, drafted, accepted));
        Responses.sendJson(res, out);
    }

    /** Choices one after another (each generating concurrently in the engine), then [DONE]. */
    private void stream(CompletionRequest r, List<String> texts, List<int[]> prompts, ServerResponse res,
                        List<GenerationRun> runs, String id, long created) throws InterruptedException {
        int promptTokens = 0;
        int completionTokens = 0;
        long drafted = 0;
        long accepted = 0;
        ClientWatch.start(res, () -> runs.forEach(GenerationRun::cancel));   // gone while queued, too
        try (Sse sse = new Sse(res)) {
            for (int i = 0; i < runs.size(); i++) {
                GenerationRun run = runs.get(i);
                // the echoed prompt is the choice's first chunk; with logprobs it waits for the prompt's scores
                ObjectNode echoed = r.echo() && r.logprobs() != null
                        ? logprobs(models.model(), prompts.get(i / r.n()), run.awaitPromptScores(), List.of()) : null;
                if (r.echo() && !sse.send(chunk(id, created, i, texts.get(i / r.n()), echoed, null))) {
                    runs.forEach(GenerationRun::cancel);
                    return;
                }
                int choice = i;
                StreamLoop.End end = StreamLoop.run(run, sse, ErrorDialect.OPENAI, event -> {
                    ObjectNode lp = r.logprobs() == null ? null
                            : logprobs(models.model(), new int[0], List.of(), List.of(event.token()));
                    if (lp != null) {
                        ((ArrayNode) lp.get("tokens")).set(0, event.text());
                    }
                    return chunk(id, created, choice, event.text(), lp, null);
                }, false);
                if (end == null) {
                    runs.forEach(GenerationRun::cancel);
                    return;
                }
                GenerationResult result = end.result();
                if (i % r.n() == 0) {
                    promptTokens += result.promptTokens();
                }
                completionTokens += result.generatedTokens();
                drafted += result.speculation().draftedTokens();
                accepted += result.speculation().acceptedTokens();
                if (!sse.send(chunk(id, created, i, "", null, WireNames.openAi(result.finishReason())))) {
                    runs.forEach(GenerationRun::cancel);
                    return;
                }
            }
            if (r.includeUsage()) {
                ObjectNode last = header(id, created);
                last.putArray("choices");
                last.set("usage", usage(promptTokens, completionTokens, drafted, accepted));
                sse.send(last);
            }
            sse.sendRaw("[DONE]".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        }
    }

    private ObjectNode header(String id, long created) {
        ObjectNode o = JsonBody.MAPPER.createObjectNode();
        o.put("id", id);
        o.put("object", "text_completion");
        o.put("created", created);
        o.put("model", models.name());
        return o;
    }

    private ObjectNode chunk(String id, long created, int index, String text, ObjectNode logprobs, String finish) {
        ObjectNode o = header(id, created);
        ObjectNode c = o.putArray("choices").addObject();
        c.put("text", text);
        c.put("index", index);
        if (logprobs == null) {
            c.putNull("logprobs");
        } else {
            c.set("logprobs", logprobs);
        }
        if (finish == null) {
            c.putNull("finish_reason");
        } else {
            c.put("finish_reason", finish);
        }
        return o;
    }

    /**
     * OpenAI's usage; when speculative decoding drafted tokens, completion_tokens_details reports them as OpenAI's
     * predicted outputs do: accepted_prediction_tokens and rejected_prediction_tokens (drafted - accepted).
     */
    private static ObjectNode usage(int prompt, int completion, long drafted, long accepted) {
        ObjectNode u = JsonBody.MAPPER.createObjectNode().put("prompt_tokens", prompt)
                .put("completion_tokens", completion).put("total_tokens", prompt + completion);
        if (drafted > 0) {
            u.putObject("completion_tokens_details").put("accepted_prediction_tokens", accepted)
                    .put("rejected_prediction_tokens", drafted - accepted);
        }
        return u;
    }

    /**
     * OpenAI's legacy shape. Echoed prompt tokens carry their SCORES when the engine scored the prompt (echo with
     * logprobs, streamed or not: the first token's logprob and top_logprobs are null, as OpenAI's), else nulls.
     */
    private static ObjectNode logprobs(Gpt2Model model, int[] echoed, List<PromptToken> scores,
                                       List<TokenInfo> tokens) {
        ObjectNode lp = JsonBody.MAPPER.createObjectNode();
        ArrayNode texts = lp.putArray("tokens");
        ArrayNode values = lp.putArray("token_logprobs");
        ArrayNode tops = lp.putArray("top_logprobs");
        ArrayNode offsets = lp.putArray("text_offset");
        int offset = 0;
        for (int i = 0; i < echoed.length; i++) {
            int id = echoed[i];
            String text = model.detokenize(new int[] {id});
            texts.add(text);
            PromptToken score = i < scores.size() ? scores.get(i) : null;
            if (score == null || score.logprob() == null) {
                values.addNull();
                tops.addNull();
            } else {
                values.add(score.logprob());
                ObjectNode top = tops.addObject();
                for (TopToken alt : score.top()) {
                    top.put(alt.text(), alt.logprob());
                }
            }
            offsets.add(offset);
            offset += text.length();
        }
        for (TokenInfo t : tokens) {
            texts.add(t.text());
            values.add(t.logprob());
            ObjectNode top = tops.addObject();
            for (TopToken alt : t.top()) {
                top.put(alt.text(), alt.logprob());
            }
            offsets.add(offset);
            offset += t.text().length();
        }
        return lp;
    }

    static CompletionRequest parse(ObjectNode body) {
        JsonBody.rejectUnknown(body, FIELDS, "");
        JsonBody.optString(body, "model", "");
        JsonBody.optString(body, "user", "");
        List<int[]> tokenPrompts = tokenPrompts(body.get("prompt"));
        List<String> prompts = tokenPrompts != null ? null : JsonBody.optStrings(body, "prompt", "");
        int nPrompts = tokenPrompts != null ? tokenPrompts.size() : prompts == null ? 0 : prompts.size();
        if (nPrompts == 0) {
            throw ApiException.invalid("prompt", "'prompt' is required (a string, an array of strings, an array of "
                    + "token ids or an array of such arrays)");
        }
        Map<GenerationParameter, Object> values = ApiParameters.read(body, "", ApiParameters.Family.OPENAI);
        // TGI's name for logprobs, which @huggingface/inference sends here
        Integer topN = JsonBody.optInt(body, "top_n_tokens", "", Integer.MIN_VALUE, Integer.MAX_VALUE);
        if (!values.containsKey(GenerationParameter.TOP_N_TOKENS) && topN != null && topN > 0) {
            values.put(GenerationParameter.TOP_N_TOKENS, topN);
        }
        Integer logprobs = (Integer) values.get(GenerationParameter.TOP_N_TOKENS);
        Boolean doSample = JsonBody.optBool(body, "do_sample", "");
        Float temperature = (Float) values.get(GenerationParameter.TEMPERATURE);
        boolean greedy = Boolean.FALSE.equals(doSample) || (temperature != null && temperature == 0f);
        var b = ApiParameters.apply(values, ApiParameters.Family.OPENAI);
        if (greedy) {
            b.temperature(0f);
        }
        boolean echo = Boolean.TRUE.equals(JsonBody.optBool(body, "echo", ""))
                || Boolean.TRUE.equals(JsonBody.optBool(body, "return_full_text", ""));
        boolean stream = Boolean.TRUE.equals(JsonBody.optBool(body, "stream", ""));
        // echo + logprobs scores the prompt (lm-evaluation-harness's loglikelihood; max_tokens 0 = score only)
        if (echo && logprobs != null) {
            b.promptLogprobs(true);
        }
        int n = orElse(JsonBody.optInt(body, "n", "", 1, MAX_N), 1);
        Integer bestOf = JsonBody.optInt(body, "best_of", "", 1, MAX_N);
        if (bestOf != null && bestOf != n) {
            throw ApiException.invalid("best_of", "'best_of' is not supported (it must equal n)");
        }
        ObjectNode bias = JsonBody.optObject(body, "logit_bias", "");
        if (bias != null && !bias.isEmpty()) {
            throw ApiException.invalid("logit_bias", "'logit_bias' is not supported");
        }
        String suffix = JsonBody.optString(body, "suffix", "");
        if (suffix != null && !suffix.isEmpty()) {
            throw ApiException.invalid("suffix", "'suffix' is not supported");
        }
        if (Boolean.TRUE.equals(JsonBody.optBool(body, "watermark", ""))) {
            throw ApiException.invalid("watermark", "'watermark' is not supported");
        }
        JsonBody.optBool(body, "details", "");
        JsonBody.optBool(body, "decoder_input_details", "");
        ObjectNode streamOptions = JsonBody.optObject(body, "stream_options", "");
        boolean includeUsage = streamOptions != null
                && Boolean.TRUE.equals(JsonBody.optBool(streamOptions, "include_usage", "stream_options."));
        if ((long) nPrompts * n > MAX_N) {
            throw ApiException.invalid("n", "prompts x n must be <= " + MAX_N + ", got " + nPrompts * n);
        }
        GenerationParams params;
        try {
            params = b.build();
        } catch (dev.gpt2.ParameterException e) {
            throw ErrorDialect.OPENAI.translate(e);
        }
        return new CompletionRequest(prompts, tokenPrompts, params, n, stream, includeUsage, logprobs, echo);
    }

    /**
     * OpenAI's token prompts: an array of token ids (one prompt) or an array of such arrays; null when PROMPT is
     * not one of them (a string or strings, read as text; anything else is the text reader's error).
     */
    private static List<int[]> tokenPrompts(com.fasterxml.jackson.databind.JsonNode prompt) {
        if (prompt == null || !prompt.isArray() || prompt.isEmpty()) {
            return null;
        }
        if (prompt.get(0).isIntegralNumber()) {
            return List.of(tokenIds(prompt));
        }
        if (!prompt.get(0).isArray()) {
            return null;
        }
        List<int[]> out = new ArrayList<>();
        for (com.fasterxml.jackson.databind.JsonNode p : prompt) {
            if (!p.isArray()) {
                throw ApiException.invalid("prompt", "'prompt' must not mix token arrays with other values");
            }
            out.add(tokenIds(p));
        }
        return out;
    }

    private static int[] tokenIds(com.fasterxml.jackson.databind.JsonNode ids) {
        int[] out = new int[ids.size()];
        for (int i = 0; i < out.length; i++) {
            com.fasterxml.jackson.databind.JsonNode t = ids.get(i);
            if (!t.isIntegralNumber() || !t.canConvertToInt()) {
                throw ApiException.invalid("prompt", "'prompt' token arrays must contain only token ids (integers)");
            }
            out[i] = t.intValue();
        }
        return out;
    }

    private static int orElse(Integer v, int fallback) {
        return v == null ? fallback : v;
    }
}
