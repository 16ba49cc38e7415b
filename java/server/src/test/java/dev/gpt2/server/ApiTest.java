// Every endpoint and main parameter against a real server on a random port serving a tiny random model.
package dev.gpt2.server;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThanOrEqualTo;
import static org.hamcrest.Matchers.startsWith;

import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.testing.junit5.ServerTest;
import io.helidon.webserver.testing.junit5.SetUpServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.config.Config;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

@ServerTest
class ApiTest {
    private static ModelHolder models;
    private final URI base;

    ApiTest(WebServer server) {
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

    @Test
    void generateGreedyIsDeterministicWithDetails() {
        String body = """
                {"inputs":"Hello world","parameters":{"max_new_tokens":5,"details":true,"ignore_eos":true}}""";
        JsonNode a = TestModels.post(base, "/generate", body).json();
        JsonNode b = TestModels.post(base, "/generate", body).json();
        assertThat(a.get("generated_text").asText(), equalTo(b.get("generated_text").asText()));
        JsonNode d = a.get("details");
        assertThat(d.get("finish_reason").asText(), is("length"));
        assertThat(d.get("generated_tokens").asInt(), is(5));
        assertThat(d.get("seed").isNull(), is(true));
        assertThat(d.get("tokens").size(), is(5));
        assertThat(d.get("tokens").get(0).has("logprob"), is(true));
        assertThat(d.get("tokens").get(0).get("special").isBoolean(), is(true));
        assertThat(d.get("prefill").size(), is(2));
        assertThat(d.get("prefill").get(0).get("text").asText(), is("Hello"));
        assertThat(d.get("prefill").get(0).get("logprob").isNull(), is(true));
        StringBuilder joined = new StringBuilder();
        d.get("tokens").forEach(t -> joined.append(t.get("text").asText()));
        assertThat(joined.toString(), is(a.get("generated_text").asText()));
    }

    @Test
    void generateWithoutDetailsHasNoDetails() {
        JsonNode r = TestModels.post(base, "/generate", "{\"inputs\":\"Hi\",\"parameters\":{\"max_new_tokens\":2}}")
                .json();
        assertThat(r.has("generated_text"), is(true));
        assertThat(r.has("details"), is(false));
    }

    @Test
    void samplingWithSeedIsReproducibleAndReportsSeed() {
        String body = """
                {"inputs":"Once","parameters":{"max_new_tokens":6,"do_sample":true,"temperature":1.5,"top_k":50,
                "top_p":0.95,"min_p":0.01,"typical_p":0.99,"repetition_penalty":1.2,"presence_penalty":0.5,
                "frequency_penalty":0.5,"seed":42,"details":true,"top_n_tokens":3,"ignore_eos":true}}""";
        JsonNode a = TestModels.post(base, "/generate", body).json();
        JsonNode b = TestModels.post(base, "/generate", body).json();
        assertThat(a.get("generated_text"), equalTo(b.get("generated_text")));
        assertThat(a.get("details").get("seed").asLong(), is(42L));
        JsonNode top = a.get("details").get("top_tokens");
        assertThat(top.size(), is(6));
        assertThat(top.get(0).size(), is(3));
        assertThat(top.get(0).get(0).get("logprob").asDouble(), lessThanOrEqualTo(0.0));
    }

    @Test
    void temperatureAloneTurnsSamplingOnLikeTgi() {
        JsonNode r = TestModels.post(base, "/generate", """
                {"inputs":"A","parameters":{"max_new_tokens":1,"temperature":0.7,"details":true}}""").json();
        assertThat(r.get("details").get("seed").isNull(), is(false));
    }

    @Test
    void returnFullTextPrependsPrompt() {
        JsonNode r = TestModels.post(base, "/generate", """
                {"inputs":"Prefix:","parameters":{"max_new_tokens":2,"return_full_text":true}}""").json();
        assertThat(r.get("generated_text").asText(), startsWith("Prefix:"));
    }

    @Test
    void stopSequenceEndsGeneration() {
        JsonNode free = TestModels.post(base, "/generate", """
                {"inputs":"The","parameters":{"max_new_tokens":8,"ignore_eos":true}}""").json();
        String text = free.get("generated_text").asText();
        String stop = text.substring(Math.max(0, text.length() / 2 - 1), text.length() / 2 + 1);
        if (stop.isBlank()) {
            stop = text.substring(text.length() - 1);
        }
        JsonNode r = TestModels.post(base, "/generate", "{\"inputs\":\"The\",\"parameters\":{\"max_new_tokens\":8,"
                + "\"ignore_eos\":true,\"details\":true,\"stop\":[" + JsonBody.MAPPER.valueToTree(stop) + "]}}")
                .json();
        assertThat(r.get("details").get("finish_reason").asText(), is("stop_sequence"));
        assertThat(r.get("generated_text").asText().contains(stop), is(false));
    }

    @Test
    void flatLlamaCppBodyIsAccepted() {
        JsonNode r = TestModels.post(base, "/generate", "{\"prompt\":\"Hello\",\"n_predict\":3}").json();
        assertThat(r.has("generated_text"), is(true));
        TestModels.Reply bad = TestModels.post(base, "/generate", "{\"prompt\":\"Hello\",\"n_predict\":-1}");
        assertThat(bad.status(), is(422));
        assertThat(bad.json().get("field").asText(), is("n_predict"));
    }

    @Test
    void anyModelNameIsAnAliasOfTheServedModel() {
        String served = TestModels.get(base, "/v1/models").json().at("/data/0/id").asText();
        JsonNode r = TestModels.post(base, "/v1/completions",
                "{\"model\":\"text-davinci-003\",\"prompt\":\"Hi\",\"max_tokens\":1}").json();
        assertThat(r.get("model").asText(), is(served));
    }

    @Test
    void onePromptPolicyForBothApis() {
        // empty = the end-of-text token alone (the library's rule, dev.gpt2.PromptPolicy)
        JsonNode empty = TestModels.post(base, "/generate",
                "{\"inputs\":\"\",\"parameters\":{\"max_new_tokens\":2,\"details\":true}}").json();
        assertThat(empty.at("/details/prefill").size(), is(1));
        assertThat(TestModels.post(base, "/v1/completions", "{\"prompt\":\"\",\"max_tokens\":2}").status(), is(200));
        // more new tokens than the context holds: the generation ends at the context's end, finish_reason length
        JsonNode clipped = TestModels.post(base, "/v1/completions", "{\"prompt\":\"Hi\",\"temperature\":0,"
                + "\"ignore_eos\":true,\"max_tokens\":" + (TestModels.N_CTX + 10) + "}").json();
        assertThat(clipped.at("/choices/0/finish_reason").asText(), is("length"));
        assertThat(clipped.at("/usage/completion_tokens").asInt(),
                is(TestModels.N_CTX - clipped.at("/usage/prompt_tokens").asInt()));
    }

    @Test
    void truncateKeepsTheLastTokensInsteadOfFailing() {
        String longPrompt = "word ".repeat(199) + "word";
        TestModels.Reply tooLong = TestModels.post(base, "/generate", "{\"inputs\":\"" + longPrompt + "\"}");
        assertThat(tooLong.status(), is(422));
        assertThat(tooLong.json().get("error").asText(), containsString("n_prompt_tokens=200"));
        assertThat(tooLong.json().get("error").asText(), containsString("n_ctx=" + TestModels.N_CTX));
        TestModels.Reply ok = TestModels.post(base, "/generate", "{\"inputs\":\"" + longPrompt
                + "\",\"parameters\":{\"truncate\":50,\"max_new_tokens\":2,\"details\":true}}");
        assertThat(ok.status(), is(200));
        assertThat(ok.json().get("details").get("prefill").size(), is(50));
    }

    @Test
    void tgiValidationErrorsNameTheField() {
        assertTgiError("{\"inputs\":\"x\",\"parameters\":{\"top_p\":1.5}}", 422, "parameters.top_p");
        assertTgiError("{\"inputs\":\"x\",\"parameters\":{\"temperature\":-1}}", 422, "parameters.temperature");
        assertTgiError("{\"inputs\":\"x\",\"parameters\":{\"max_new_tokens\":\"ten\"}}", 422,
                "parameters.max_new_tokens");
        assertTgiError("{\"inputs\":\"x\",\"parameters\":{\"max_new_tokens\":1e12}}", 422,
                "parameters.max_new_tokens");
        assertTgiError("{\"inputs\":\"x\",\"parameters\":{\"top_k\":-3}}", 422, "parameters.top_k");
        assertTgiError("{\"inputs\":\"x\",\"parameters\":{\"bogus\":1}}", 422, "parameters.bogus");
        assertTgiError("{\"inputs\":\"x\",\"extra\":1}", 422, "extra");
        assertTgiError("{\"inputs\":5}", 422, "inputs");
        assertTgiError("{\"parameters\":{}}", 422, "inputs");
        assertTgiError("{\"inputs\":\"x\",\"parameters\":{\"seed\":-1}}", 422, "parameters.seed");
        assertTgiError("{\"inputs\":\"x\",\"parameters\":{\"stop\":[\"" + "s".repeat(300) + "\"]}}", 422,
                "parameters.stop");
        assertTgiError("{\"inputs\":\"x\",\"parameters\":{\"top_n_tokens\":99}}", 422, "parameters.top_n_tokens");
    }

    @Test
    void malformedBodiesAreRejected() {
        for (String body : List.of("{\"inputs\":", "[1,2]", "{\"inputs\":\"x\",\"parameters\":{\"temperature\":NaN}}",
                "{\"inputs\":\"x\",\"inputs\":\"y\"}", "")) {
            TestModels.Reply r = TestModels.post(base, "/generate", body);
            assertThat(body, r.status(), is(422));
            assertThat(r.json().get("error_type").asText(), is("validation"));
        }
        byte[] badUtf8 = {'{', '"', 'i', 'n', 'p', 'u', 't', 's', '"', ':', '"', (byte) 0xC3, (byte) 0x28, '"', '}'};
        TestModels.Reply r = TestModels.postBytes(base, "/generate", badUtf8);
        assertThat(r.status(), is(422));
        assertThat(r.json().get("error").asText(), containsString("UTF-8"));
    }

    @Test
    void bodyOverTheLimitIs413InEachDialect() {
        String big = "{\"inputs\":\"" + "a".repeat(70 * 1024) + "\"}";
        TestModels.Reply tgi = TestModels.post(base, "/generate", big);
        assertThat(tgi.status(), is(413));
        assertThat(tgi.json().get("error_type").asText(), is("payload_too_large"));
        TestModels.Reply oai = TestModels.post(base, "/v1/completions", big);
        assertThat(oai.status(), is(413));
        assertThat(oai.json().get("error").get("type").asText(), is("invalid_request_error"));
    }

    @Test
    void unknownRouteIs404AndWrongMethodIs405Json() {
        TestModels.Reply nf = TestModels.get(base, "/nope");
        assertThat(nf.status(), is(404));
        assertThat(nf.json().get("error_type").asText(), is("not_found"));
        TestModels.Reply nfOai = TestModels.get(base, "/v1/nope");
        assertThat(nfOai.status(), is(404));
        assertThat(nfOai.json().get("error").get("type").asText(), is("not_found_error"));
        TestModels.Reply wrong = TestModels.get(base, "/generate");
        assertThat(wrong.status(), is(405));
        assertThat(wrong.headers().firstValue("Allow").orElse(""), is("POST"));
        assertThat(wrong.json().get("error_type").asText(), is("method_not_allowed"));
        TestModels.Reply wrongOai = TestModels.post(base, "/v1/models", "{}");
        assertThat(wrongOai.status(), is(405));
        assertThat(wrongOai.json().get("error").get("message").asText(), containsString("GET"));
    }

    @Test
    void completionsOpenAiShapeWithUsageLogprobsEcho() {
        JsonNode r = TestModels.post(base, "/v1/completions", """
                {"model":"http://whatever/","prompt":["Hello","Good day"],"max_tokens":3,"temperature":0,
                 "logprobs":2,"echo":true,"n":2,"seed":3,"user":"u"}""").json();
        assertThat(r.get("object").asText(), is("text_completion"));
        assertThat(r.get("model").asText(), is("tiny-test"));
        JsonNode choices = r.get("choices");
        assertThat(choices.size(), is(4));
        assertThat(choices.get(0).get("text").asText(), startsWith("Hello"));
        assertThat(choices.get(2).get("text").asText(), startsWith("Good day"));
        assertThat(choices.get(3).get("index").asInt(), is(3));
        JsonNode lp = choices.get(0).get("logprobs");
        assertThat(lp.get("tokens").size(), is(1 + 3));
        assertThat(lp.get("token_logprobs").get(0).isNull(), is(true));
        assertThat(lp.get("token_logprobs").get(1).asDouble(), lessThanOrEqualTo(0.0));
        assertThat(lp.get("top_logprobs").get(1).size(), lessThanOrEqualTo(2));
        assertThat(lp.get("top_logprobs").get(1).size(), greaterThan(0));
        assertThat(lp.get("text_offset").get(1).asInt(), is(5));
        JsonNode usage = r.get("usage");
        assertThat(usage.get("completion_tokens").asInt(), is(12));
        assertThat(usage.get("prompt_tokens").asInt(), is(1 + 2));
        assertThat(usage.get("total_tokens").asInt(), is(15));
    }

    @Test
    void completionsDefaultsToSixteenTokensAndAcceptsTgiExtras() {
        JsonNode r = TestModels.post(base, "/v1/completions", """
                {"prompt":"Hi","ignore_eos":true,"do_sample":false,"top_k":10,"repetition_penalty":1.1,
                 "return_full_text":false,"stop":"zzzz"}""").json();
        assertThat(r.get("usage").get("completion_tokens").asInt(), is(16));
        assertThat(r.get("choices").get(0).get("finish_reason").asText(), is("length"));
    }

    @Test
    void openAiErrorsNameTheParam() {
        assertOpenAiError("{\"prompt\":\"x\",\"temperature\":101}", "temperature");
        assertOpenAiError("{\"prompt\":\"x\",\"top_k\":-1}", "top_k");
        assertOpenAiError("{\"prompt\":\"x\",\"max_tokens\":1000001}", "max_tokens");
        assertOpenAiError("{\"prompt\":\"x\",\"max_tokens\":-1}", "max_tokens");
        assertOpenAiError("{\"prompt\":\"x\",\"n\":0}", "n");
        assertOpenAiError("{\"prompt\":\"x\",\"stop\":5}", "stop");
        assertOpenAiError("{\"model\":\"m\"}", "prompt");
        assertOpenAiError("{\"prompt\":\"x\",\"frobnicate\":true}", "frobnicate");
        assertOpenAiError("{\"prompt\":\"x\",\"logprobs\":50}", "logprobs");
        assertOpenAiError("{\"prompt\":\"" + "word ".repeat(200) + "\"}", "prompt");
        TestModels.Reply r = TestModels.post(base, "/v1/completions", "{oops");
        assertThat(r.status(), is(400));
        assertThat(r.json().get("error").get("type").asText(), is("invalid_request_error"));
    }

    @Test
    void modelsListsTheServedModel() {
        JsonNode r = TestModels.get(base, "/v1/models").json();
        assertThat(r.get("data").get(0).get("id").asText(), is("tiny-test"));
    }

    @Test
    void tokenizeDetokenizeRoundTrip() {
        JsonNode t = TestModels.post(base, "/tokenize", "{\"text\":\"Hello world\"}").json();
        assertThat(t.get("tokens").toString(), is("[15496,995]"));
        JsonNode c = TestModels.post(base, "/tokenize", "{\"content\":\"<|endoftext|>\",\"parse_special\":true}")
                .json();
        assertThat(c.get("tokens").toString(), is("[50256]"));
        JsonNode d = TestModels.post(base, "/detokenize", "{\"tokens\":[15496,995]}").json();
        assertThat(d.get("text").asText(), is("Hello world"));
        assertThat(TestModels.post(base, "/detokenize", "{\"tokens\":[99999999]}").status(), is(422));
        assertThat(TestModels.post(base, "/tokenize", "{}").status(), is(422));
    }

    @Test
    void onlyJsonBodiesAreAccepted() {
        String body = "{\"inputs\":\"Hi\",\"parameters\":{\"max_new_tokens\":1}}";
        // what a cross-site HTML form or a "simple" fetch can send without a CORS preflight
        for (String type : new String[] {"application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=x"}) {
            TestModels.Reply tgi = TestModels.send(java.net.http.HttpRequest.newBuilder(base.resolve("/generate"))
                    .header("Content-Type", type).POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build());
            assertThat(type, tgi.status(), is(415));
            assertThat(tgi.json().get("error_type").asText(), is("unsupported_media_type"));
            TestModels.Reply oai = TestModels.send(java.net.http.HttpRequest.newBuilder(base.resolve("/v1/completions"))
                    .header("Content-Type", type)
                    .POST(java.net.http.HttpRequest.BodyPublishers.ofString("{\"prompt\":\"x\",\"max_tokens\":1}")).build());
            assertThat(type, oai.status(), is(415));
            assertThat(oai.json().at("/error/type").asText(), is("invalid_request_error"));
        }
        TestModels.Reply ok = TestModels.send(java.net.http.HttpRequest.newBuilder(base.resolve("/generate"))
                .header("Content-Type", "application/json; charset=utf-8")
                .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build());
        assertThat(ok.status(), is(200));
    }

    @Test
    void infoLabelsRandomWeights() {
        JsonNode i = TestModels.get(base, "/info").json();
        assertThat(i.get("random_weights").asBoolean(), is(true));
        assertThat(i.get("n_ctx").asInt(), is(TestModels.N_CTX));
        assertThat(i.get("n_layer").asInt(), is(2));
        assertThat(i.get("batch_slots").asInt(), is(4));
        assertThat(i.get("device").asText(), is("cpu"));
        assertThat(i.get("device_name").asText(), is("cpu"));
        assertThat(i.has("version"), is(true));
        assertThat(i.has("build_info"), is(false));
        assertThat(i.get("model_file").asText(), is("tiny.gguf"));
        assertThat(i.has("model_path"), is(false));
        assertThat(i.get("kv_cache_dtype").asText(), is("f32"));   // auto, for an f32 model
    }

    @Test
    void healthAndMetrics() {
        assertThat(TestModels.get(base, "/health").status(), is(200));
        assertThat(TestModels.get(base, "/health/live").status(), is(200));
        assertThat(TestModels.get(base, "/health/ready").status(), is(200));
        TestModels.post(base, "/generate", "{\"inputs\":\"Hi\",\"parameters\":{\"max_new_tokens\":2}}");
        TestModels.post(base, "/v1/completions", "{\"prompt\":\"Hi\",\"max_tokens\":1}");
        TestModels.get(base, "/nope");
        TestModels.Reply m = TestModels.get(base, "/metrics");
        assertThat(m.headers().firstValue("Content-Type").orElse(""), startsWith("text/plain"));
        // Prometheus text, every line of it parsed; our series under their names, Helidon's JVM meters beside them
        Map<String, Double> samples = TestModels.prometheus(m.body());
        assertThat(samples.get("gpt2_http_requests_total{route=\"/generate\",status=\"200\"}"), greaterThan(0.0));
        assertThat(samples.get("gpt2_http_requests_total{route=\"other\",status=\"404\"}"), greaterThan(0.0));
        assertThat(samples.get("gpt2_http_requests_total{route=\"/v1/completions\",status=\"200\"}"),
                greaterThan(0.0));
        assertThat(samples.get("gpt2_time_to_first_token_seconds_bucket{le=\"+Inf\"}"), greaterThan(0.0));
        assertThat(samples.get("gpt2_time_to_first_token_seconds_bucket{le=\"0.005\"}"),
                lessThanOrEqualTo(samples.get("gpt2_time_to_first_token_seconds_bucket{le=\"+Inf\"}")));
        assertThat(samples.get("gpt2_time_per_output_token_seconds_count"), greaterThan(0.0));
        assertThat(samples.get("gpt2_tokens_generated_total"), greaterThan(0.0));
        assertThat(samples.get("gpt2_queue_depth"), is(0.0));
        assertThat(samples.get("gpt2_active_sequences"), is(0.0));
        assertThat(samples.get("gpt2_batch_slots"), is(4.0));
        assertThat(samples.get("gpt2_model_ready"), is(1.0));
        assertThat(samples.get("gpt2_engine_requests_completed_total"), greaterThan(0.0));
        assertThat(samples.keySet().stream().anyMatch(k -> k.startsWith("memory_usedHeap")
                || k.startsWith("jvm_") || k.startsWith("memory_")), is(true));
        // the observe paths take GET without a body; anything else is refused at once (never left to wait for a body)
        TestModels.Reply post = TestModels.post(base, "/health", "{}");
        assertThat(post.status(), is(405));
        assertThat(post.headers().firstValue("Allow").orElse(""), is("GET"));
        assertThat(post.json().get("error_type").asText(), is("method_not_allowed"));
        // health: Helidon's JSON with our readiness check
        JsonNode health = TestModels.get(base, "/health").json();
        assertThat(health.get("status").asText(), is("UP"));
        assertThat(health.at("/checks/0/name").asText(), is("model"));
        assertThat(health.at("/checks/0/data/state").asText(), is("ready"));

    }

    @Test
    void speculateIsLosslessAndReportedInBothApisAndMetrics() {
        String tgi = """
                {"inputs":"one two one two one two one two","parameters":{"max_new_tokens":12,"details":true,
                 "ignore_eos":true,"speculate":%d}}""";
        JsonNode plain = TestModels.post(base, "/generate", tgi.formatted(0)).json();
        JsonNode spec = TestModels.post(base, "/generate", tgi.formatted(6)).json();
        assertThat(spec.get("generated_text").asText(), is(plain.get("generated_text").asText()));
        assertThat(plain.get("details").has("speculation"), is(false));
        JsonNode s = spec.get("details").get("speculation");
        assertThat(s.get("drafted_tokens").asInt(), greaterThan(0));
        assertThat(s.get("accepted_tokens").asInt(), lessThanOrEqualTo(s.get("drafted_tokens").asInt()));
        assertThat(s.get("acceptance_rate").asDouble(), lessThanOrEqualTo(1.0));
        String openAi = """
                {"prompt":"one two one two one two one two","max_tokens":12,"temperature":0,"ignore_eos":true,
                 "speculate":%d}""";
        JsonNode a = TestModels.post(base, "/v1/completions", openAi.formatted(0)).json();
        JsonNode b = TestModels.post(base, "/v1/completions", openAi.formatted(6)).json();
        assertThat(b.at("/choices/0/text").asText(), is(a.at("/choices/0/text").asText()));
        assertThat(a.get("usage").has("completion_tokens_details"), is(false));
        JsonNode details = b.at("/usage/completion_tokens_details");
        assertThat(details.get("accepted_prediction_tokens").asInt() + details.get("rejected_prediction_tokens").asInt(),
                greaterThan(0));
        assertTgiError("{\"inputs\":\"x\",\"parameters\":{\"speculate\":17}}", 422, "parameters.speculate");
        assertOpenAiError("{\"prompt\":\"x\",\"speculate\":-2}", "speculate");
        Map<String, Double> samples = TestModels.prometheus(TestModels.get(base, "/metrics").body());
        assertThat(samples.get("gpt2_speculative_drafted_tokens_total"), greaterThan(0.0));
        assertThat(samples.get("gpt2_speculative_accepted_tokens_total"),
                lessThanOrEqualTo(samples.get("gpt2_speculative_drafted_tokens_total")));
        assertThat(samples.containsKey("gpt2_speculative_acceptance_rate"), is(true));
    }

    @Test
    void pagesAndOpenApiAreServedFromTheJar() {
        TestModels.Reply index = TestModels.get(base, "/");
        assertThat(index.status(), is(200));
        assertThat(index.headers().firstValue("Content-Type").orElse(""), startsWith("text/html"));
        assertThat(index.body(), containsString("/static/app.js"));
        assertThat(TestModels.get(base, "/static/app.js").body(), containsString("/generate_stream"));
        TestModels.Reply icon = TestModels.get(base, "/static/favicon.svg");
        assertThat(icon.headers().firstValue("Content-Type").orElse(""), startsWith("image/svg+xml"));
        assertThat(icon.body(), containsString("<svg"));
        assertThat(TestModels.get(base, "/static/../../etc/passwd").status(), is(404));
        TestModels.Reply yaml = TestModels.get(base, "/openapi");
        assertThat(yaml.status(), is(200));
        assertThat(yaml.body(), startsWith("openapi: 3"));
        TestModels.Reply json = TestModels.send(HttpRequest.newBuilder(base.resolve("/openapi"))
                .header("Accept", "application/json").build());
        assertThat(json.headers().firstValue("Content-Type").orElse(""), startsWith("application/json"));
        JsonNode spec = json.json();
        // the document Helidon serves is a valid OpenAPI 3 document, with no problem the parser reports
        SwaggerParseResult parsed = new OpenAPIV3Parser().readContents(json.body());
        assertThat(String.valueOf(parsed.getMessages()), parsed.getMessages().isEmpty(), is(true));
        assertThat(parsed.getOpenAPI().getPaths().size(), is(spec.get("paths").size()));
        RouteTable table = Main.routing(io.helidon.webserver.http.HttpRouting.builder(), models, new ServerMetrics(),
                TestModels.settings(Duration.ofSeconds(60)));
        assertThat(table.apiPaths().containsAll(List.of("/generate", "/v1/completions", "/docs", "/openapi", "/health",
                "/metrics")), is(true));
        for (String path : table.apiPaths()) {
            assertThat(path, spec.get("paths").has(path), is(true));
        }
        // Swagger UI from the webjar, pointed at /openapi by our initializer
        TestModels.Reply docs = TestModels.get(base, "/docs");
        assertThat(docs.status(), is(301));
        assertThat(docs.headers().firstValue("Location").orElse(""), is("/docs/"));
        TestModels.Reply page = TestModels.get(base, "/docs/");
        assertThat(page.status(), is(200));
        assertThat(page.body(), containsString("swagger-ui-bundle.js"));
        assertThat(TestModels.get(base, "/docs/swagger-initializer.js").body(), containsString("url: \"/openapi\""));
        assertThat(TestModels.get(base, "/docs/swagger-ui-bundle.js").status(), is(200));
        assertThat(TestModels.get(base, "/docs/swagger-ui.css").status(), is(200));
        assertThat(TestModels.get(base, "/docs/nope.js").status(), is(404));
        assertThat(spec.at("/components/schemas/GenerateParameters/properties/max_new_tokens/default").asInt(),
                is(ApiParameters.TGI_DEFAULT_MAX_NEW_TOKENS));
        assertThat(spec.at("/components/schemas/CompletionRequest/properties/max_tokens/default").asInt(),
                is(ApiParameters.OPENAI_DEFAULT_MAX_TOKENS));
    }

    private void assertTgiError(String body, int status, String field) {
        TestModels.Reply r = TestModels.post(base, "/generate", body);
        assertThat(body, r.status(), is(status));
        assertThat(body, r.json().get("error_type").asText(), is("validation"));
        assertThat(body, r.json().get("field").asText(), is(field));
        assertThat(body, r.json().get("error").asText(), containsString(field));
    }

    private void assertOpenAiError(String body, String param) {
        TestModels.Reply r = TestModels.post(base, "/v1/completions", body);
        assertThat(body, r.status(), is(400));
        JsonNode e = r.json().get("error");
        assertThat(body, e.get("type").asText(), is("invalid_request_error"));
        assertThat(body, e.get("param").asText(), is(param));
        assertThat(body, e.get("message").asText(), containsString(param));
    }
}
