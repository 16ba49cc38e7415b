// Exact scoring over HTTP: /v1/completions echo + logprobs (+ max_tokens 0), as lm-evaluation-harness's
// loglikelihood requests send it, and TGI's decoder_input_details; the prompt cache's figures on /metrics.
package dev.gpt2.server;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;

import java.net.URI;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gpt2.GenerationParams;
import dev.gpt2.GenerationResult;
import dev.gpt2.PromptToken;
import io.helidon.config.Config;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.webserver.testing.junit5.ServerTest;
import io.helidon.webserver.testing.junit5.SetUpServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

@ServerTest
class ScoringApiTest {
    private static final String PROMPT = "The cat sat on the mat, and then it slept.";
    private static ModelHolder models;
    private final URI base;

    ScoringApiTest(WebServer server) {
        this.base = URI.create("http://localhost:" + server.port());
    }

    @SetUpServer
    static void server(WebServerConfig.Builder server) {
        models = ModelHolder.of(TestModels.load(4, 32, TestModels.N_CTX), "tiny-test");
        Main.configure(server, Config.empty(), models, new ServerMetrics(),
                TestModels.settings(Duration.ofSeconds(60)));
    }

    @AfterAll
    static void close() {
        models.close();
    }

    /** The library's own scores of PROMPT (the engine, no HTTP). */
    private static List<PromptToken> libraryScores() {
        GenerationResult r = models.model().generate(PROMPT, GenerationParams.builder().maxNewTokens(0)
                .promptLogprobs(true).topNTokens(2).build());
        return r.promptLogprobs();
    }

    @Test
    void completionsEchoLogprobsMaxTokensZeroScoresThePrompt() {
        JsonNode r = TestModels.post(base, "/v1/completions", """
                {"prompt":"%s","max_tokens":0,"echo":true,"logprobs":2,"temperature":0}""".formatted(PROMPT)).json();
        JsonNode c = r.get("choices").get(0);
        assertThat(c.get("text").asText(), is(PROMPT));
        assertThat(c.get("finish_reason").asText(), is("length"));
        assertThat(r.get("usage").get("completion_tokens").asInt(), is(0));
        JsonNode lp = c.get("logprobs");
        List<PromptToken> expected = libraryScores();
        int n = expected.size();
        assertThat(r.get("usage").get("prompt_tokens").asInt(), is(n));
        assertThat(lp.get("tokens").size(), is(n));
        assertThat(lp.get("token_logprobs").get(0).isNull(), is(true));
        assertThat(lp.get("top_logprobs").get(0).isNull(), is(true));
        StringBuilder joined = new StringBuilder();
        for (int i = 0; i < n; i++) {
            assertThat(lp.get("text_offset").get(i).asInt(), is(joined.length()));
            joined.append(lp.get("tokens").get(i).asText());
            if (i > 0) {
                double v = lp.get("token_logprobs").get(i).asDouble();
                assertThat((float) v, is(expected.get(i).logprob()));
                JsonNode top = lp.get("top_logprobs").get(i);
                assertThat(top.size(), lessThanOrEqualTo(2));
                assertThat(top.size(), greaterThan(0));
                top.fields().forEachRemaining(e -> assertThat(e.getValue().asDouble(), greaterThanOrEqualTo(v)));
            }
        }
        assertThat(joined.toString(), is(PROMPT));
    }

    /** What lm-evaluation-harness's local-completions loglikelihood sends and reads (tokenized requests). */
    @Test
    void lmEvalLoglikelihoodRequestOnTokenIds() {
        int[] context = models.model().tokenize("The cat sat on the");
        int[] continuation = models.model().tokenize(" mat, and then it slept.");
        int[] all = java.util.stream.IntStream.concat(java.util.Arrays.stream(context),
                java.util.Arrays.stream(continuation)).toArray();
        String ids = java.util.Arrays.toString(all).replace("[", "").replace("]", "");
        JsonNode r = TestModels.post(base, "/v1/completions", "{\"model\":\"gpt2\",\"prompt\":[" + ids
                + "],\"temperature\":0,\"max_tokens\":1,\"logprobs\":1,\"seed\":1234,\"echo\":true}").json();
        JsonNode lp = r.get("choices").get(0).get("logprobs");
        assertThat(lp.get("tokens").size(), is(all.length + 1));
        // the harness: sum(token_logprobs[ctxlen:-1]), and is_greedy = each one equals its top_logprobs' maximum
        double sum = 0;
        boolean greedy = true;
        for (int i = context.length; i < all.length; i++) {
            double v = lp.get("token_logprobs").get(i).asDouble();
            sum += (double) (float) v;   // JSON carries the float's shortest decimal
            double max = Double.NEGATIVE_INFINITY;
            for (JsonNode t : lp.get("top_logprobs").get(i)) {
                max = Math.max(max, t.asDouble());
            }
            assertThat(max, greaterThanOrEqualTo(v));
            greedy &= v == max;
        }
        GenerationResult lib = models.model().generate(all, GenerationParams.builder().maxNewTokens(0)
                .promptLogprobs(true).topNTokens(1).build());
        double expected = 0;
        boolean expectedGreedy = true;
        for (int i = context.length; i < all.length; i++) {
            PromptToken t = lib.promptLogprobs().get(i);
            expected += (double) (float) t.logprob();
            expectedGreedy &= t.top().get(0).id() == t.id();
        }
        assertThat(sum, is(expected));
        assertThat(greedy, is(expectedGreedy));
        // several token prompts; a bad id is a clear error
        JsonNode two = TestModels.post(base, "/v1/completions", "{\"prompt\":[[" + ids + "],[" + all[0]
                + "]],\"max_tokens\":0,\"echo\":true,\"logprobs\":0}").json();
        assertThat(two.get("choices").size(), is(2));
        assertThat(two.get("choices").get(1).get("logprobs").get("tokens").size(), is(1));
        assertThat(two.get("choices").get(0).get("text").asText(), is(models.model().detokenize(all)));
        TestModels.Reply bad = TestModels.post(base, "/v1/completions", "{\"prompt\":[1,99999999],\"max_tokens\":1}");
        assertThat(bad.status(), is(400));
        assertThat(bad.body(), containsString("token ids"));
    }

    @Test
    void completionsEchoLogprobsWithGeneratedTokens() {
        JsonNode c = TestModels.post(base, "/v1/completions", """
                {"prompt":"%s","max_tokens":3,"echo":true,"logprobs":1,"temperature":0,"ignore_eos":true}"""
                .formatted(PROMPT)).json().get("choices").get(0);
        int n = libraryScores().size();
        JsonNode lp = c.get("logprobs");
        assertThat(lp.get("tokens").size(), is(n + 3));
        assertThat(lp.get("token_logprobs").get(0).isNull(), is(true));
        for (int i = 1; i < n + 3; i++) {
            assertThat(lp.get("token_logprobs").get(i).isNumber(), is(true));
        }
        assertThat(c.get("text").asText().startsWith(PROMPT), is(true));
    }

    @Test
    void tgiDecoderInputDetailsGivesThePrefillLogprobs() {
        JsonNode d = TestModels.post(base, "/generate", """
                {"inputs":"%s","parameters":{"max_new_tokens":1,"details":true,"decoder_input_details":true}}"""
                .formatted(PROMPT)).json().get("details");
        List<PromptToken> expected = libraryScores();
        JsonNode prefill = d.get("prefill");
        assertThat(prefill.size(), is(expected.size()));
        assertThat(prefill.get(0).get("logprob").isNull(), is(true));
        for (int i = 0; i < expected.size(); i++) {
            assertThat(prefill.get(i).get("id").asInt(), is(expected.get(i).id()));
            if (i > 0) {
                assertThat((float) prefill.get(i).get("logprob").asDouble(), is(expected.get(i).logprob()));
            }
        }
        // without it the prefill logprobs stay null (nothing is scored)
        JsonNode plain = TestModels.post(base, "/generate", """
                {"inputs":"%s","parameters":{"max_new_tokens":1,"details":true}}""".formatted(PROMPT)).json()
                .get("details").get("prefill");
        assertThat(plain.get(1).get("logprob").isNull(), is(true));
        // streaming cannot carry it: a clear error, as TGI's
        TestModels.Reply s = TestModels.post(base, "/generate_stream", """
                {"inputs":"x","parameters":{"decoder_input_details":true}}""");
        assertThat(s.status() == 400 || s.status() == 422, is(true));
        assertThat(s.body(), containsString("decoder_input_details"));
    }

    @Test
    void streamedCompletionsEchoCarriesThePromptScores() throws Exception {
        TestModels.Reply s = TestModels.post(base, "/v1/completions", """
                {"prompt":"%s","max_tokens":3,"echo":true,"logprobs":2,"temperature":0,"stream":true}"""
                .formatted(PROMPT));
        assertThat(s.status(), is(200));
        // the first data chunk is the echoed prompt, with its tokens' logprobs (the first null)
        String first = s.body().lines().filter(l -> l.startsWith("data: {")).findFirst().orElseThrow();
        JsonNode c = JsonBody.MAPPER.readTree(first.substring("data: ".length())).get("choices").get(0);
        assertThat(c.get("text").asText(), is(PROMPT));
        JsonNode lp = c.get("logprobs");
        List<PromptToken> expected = libraryScores();
        assertThat(lp.get("tokens").size(), is(expected.size()));
        assertThat(lp.get("token_logprobs").get(0).isNull(), is(true));
        for (int i = 1; i < expected.size(); i++) {
            assertThat((float) lp.get("token_logprobs").get(i).asDouble(), is(expected.get(i).logprob()));
            assertThat(lp.get("top_logprobs").get(i).size(), greaterThan(0));
        }
        assertThat(s.body(), containsString("data: [DONE]"));
    }

    @Test
    void zeroNewTokensEndsEveryRouteAtOnce() {
        TestModels.Reply tgi = TestModels.post(base, "/generate_stream",
                "{\"inputs\":\"Hi there\",\"parameters\":{\"max_new_tokens\":0}}");
        assertThat(tgi.status(), is(200));
        assertThat(tgi.body(), containsString("\"finish_reason\":\"length\""));
        assertThat(tgi.body(), containsString("\"generated_tokens\":0"));
        TestModels.Reply openAi = TestModels.post(base, "/v1/completions",
                "{\"prompt\":\"Hi there\",\"max_tokens\":0,\"stream\":true}");
        assertThat(openAi.status(), is(200));
        assertThat(openAi.body(), containsString("\"finish_reason\":\"length\""));
        assertThat(openAi.body(), containsString("data: [DONE]"));
        JsonNode plain = TestModels.post(base, "/generate",
                "{\"inputs\":\"Hi there\",\"parameters\":{\"max_new_tokens\":0,\"details\":true}}").json();
        assertThat(plain.get("generated_text").asText(), is(""));
        assertThat(plain.get("details").get("generated_tokens").asInt(), is(0));
    }

    @Test
    void promptCacheFiguresAreOnMetrics() {
        String body = "{\"prompt\":\"" + "Once upon a time there was a cache. ".repeat(3) + "\",\"max_tokens\":2}";
        TestModels.post(base, "/v1/completions", body);
        TestModels.post(base, "/v1/completions", body);
        assertThat(TestModels.metric(base, "gpt2_prompt_cache_hits_total"), greaterThanOrEqualTo(1.0));
        assertThat(TestModels.metric(base, "gpt2_prompt_cache_misses_total"), greaterThanOrEqualTo(1.0));
        assertThat(TestModels.metric(base, "gpt2_prompt_cache_reused_tokens_total"), greaterThan(10.0));
        assertThat(TestModels.metric(base, "gpt2_prompt_cache_bytes"), greaterThan(0.0));
    }
}
