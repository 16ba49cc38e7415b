// SSE framing (TGI and OpenAI), 16 concurrent streams while the page stays fast, and cancellation when the
// client disconnects mid-stream.
package dev.gpt2.server;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.greaterThan;
import static org.hamcrest.Matchers.greaterThanOrEqualTo;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.lessThan;
import static org.hamcrest.Matchers.startsWith;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import com.fasterxml.jackson.databind.JsonNode;
import io.helidon.webserver.WebServer;
import io.helidon.webserver.testing.junit5.ServerTest;
import io.helidon.webserver.testing.junit5.SetUpServer;
import io.helidon.webserver.WebServerConfig;
import io.helidon.config.Config;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

@ServerTest
class StreamingTest {
    /** GET / must answer within this while 16 streams generate (generous for 2 shared CPU cores). */
    private static final long PAGE_LATENCY_LIMIT_MS = 1500;

    private static ModelHolder models;
    private final URI base;

    StreamingTest(WebServer server) {
        this.base = URI.create("http://localhost:" + server.port());
    }

    @SetUpServer
    static void server(WebServerConfig.Builder server) {
        models = ModelHolder.of(TestModels.load(4, 32, TestModels.MODEL_CTX), "tiny-test");
        Main.configure(server, Config.empty(), models, new ServerMetrics(),
                TestModels.settings(Duration.ofSeconds(60)));
    }

    @AfterAll
    static void close() {
        models.close();
    }

    @Test
    void tgiStreamFramingAndFinalEvent() {
        TestModels.Reply r = TestModels.post(base, "/generate_stream",
                "{\"inputs\":\"Hello\",\"parameters\":{\"max_new_tokens\":6,\"ignore_eos\":true,\"top_n_tokens\":2}}");
        assertThat(r.status(), is(200));
        assertThat(r.headers().firstValue("Content-Type").orElse(""), startsWith("text/event-stream"));
        assertThat(r.body(), startsWith("data: {"));
        assertThat(r.body().endsWith("\n\n"), is(true));
        List<String> events = TestModels.sseData(r.body());
        assertThat(events.size(), is(6));
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < events.size(); i++) {
            JsonNode e = TestModels.parse(events.get(i));
            assertThat(e.get("index").asInt(), is(i + 1));
            assertThat(e.get("token").get("id").isInt(), is(true));
            assertThat(e.get("token").has("logprob"), is(true));
            assertThat(e.get("token").has("special"), is(true));
            assertThat(e.get("top_tokens").size(), is(2));
            text.append(e.get("token").get("text").asText());
            if (i < events.size() - 1) {
                assertThat(e.get("generated_text").isNull(), is(true));
                assertThat(e.get("details").isNull(), is(true));
            }
        }
        JsonNode last = TestModels.parse(events.get(events.size() - 1));
        assertThat(last.get("generated_text").asText(), is(text.toString()));
        assertThat(last.get("details").get("finish_reason").asText(), is("length"));
        assertThat(last.get("details").get("generated_tokens").asInt(), is(6));
        JsonNode blocking = TestModels.post(base, "/generate",
                "{\"inputs\":\"Hello\",\"parameters\":{\"max_new_tokens\":6,\"ignore_eos\":true}}").json();
        assertThat(blocking.get("generated_text").asText(), is(text.toString()));
    }

    @Test
    void streamValidationErrorIsPlainJsonBeforeTheStreamStarts() {
        TestModels.Reply r = TestModels.post(base, "/generate_stream", "{\"inputs\":\"x\",\"parameters\":{\"top_k\":-1}}");
        assertThat(r.status(), is(422));
        assertThat(r.json().get("field").asText(), is("parameters.top_k"));
    }

    @Test
    void openAiChunksEndWithDone() {
        String body = """
                {"model":"gpt2","prompt":"Hello","max_tokens":5,"temperature":0,"ignore_eos":true,
                 "stream":true,"stream_options":{"include_usage":true},"logprobs":1}""";
        TestModels.Reply r = TestModels.post(base, "/v1/completions", body);
        assertThat(r.status(), is(200));
        List<String> data = TestModels.sseData(r.body());
        assertThat(data.get(data.size() - 1), is("[DONE]"));
        StringBuilder text = new StringBuilder();
        String finish = null;
        JsonNode usage = null;
        for (String d : data.subList(0, data.size() - 1)) {
            JsonNode chunk = TestModels.parse(d);
            assertThat(chunk.get("object").asText(), is("text_completion"));
            if (chunk.get("choices").isEmpty()) {
                usage = chunk.get("usage");
                continue;
            }
            JsonNode c = chunk.get("choices").get(0);
            text.append(c.get("text").asText());
            if (!c.get("finish_reason").isNull()) {
                finish = c.get("finish_reason").asText();
            } else {
                assertThat(c.get("logprobs").get("token_logprobs").size(), is(1));
            }
        }
        assertThat(finish, is("length"));
        assertThat(usage.get("completion_tokens").asInt(), is(5));
        JsonNode blocking = TestModels.post(base, "/v1/completions", body.replace("\"stream\":true", "\"stream\":false"))
                .json();
        assertThat(blocking.get("choices").get(0).get("text").asText(), is(text.toString()));
    }

    @Test
    void sixteenConcurrentStreamsCompleteWhileThePageStaysFast() throws Exception {
        List<CompletableFuture<HttpResponse<String>>> streams = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            String body = "{\"inputs\":\"Stream " + i + "\",\"parameters\":{\"max_new_tokens\":48,\"ignore_eos\":true,"
                    + "\"do_sample\":true,\"seed\":" + i + "}}";
            streams.add(TestModels.CLIENT.sendAsync(HttpRequest.newBuilder(base.resolve("/generate_stream"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
        }
        long worstMs = 0;
        for (int i = 0; i < 5; i++) {
            long t0 = System.nanoTime();
            assertThat(TestModels.get(base, "/").status(), is(200));
            worstMs = Math.max(worstMs, (System.nanoTime() - t0) / 1_000_000);
        }
        assertThat(worstMs, lessThan(PAGE_LATENCY_LIMIT_MS));
        for (CompletableFuture<HttpResponse<String>> f : streams) {
            HttpResponse<String> r = f.get();
            assertThat(r.statusCode(), is(200));
            List<String> events = TestModels.sseData(r.body());
            assertThat(events.size(), is(48));
            JsonNode last = TestModels.parse(events.get(47));
            assertThat(last.get("details").get("finish_reason").asText(), is("length"));
        }
    }

    @Test
    void clientDisconnectCancelsTheGenerationAndFreesTheSlot() throws Exception {
        double cancelledBefore = TestModels.metric(base, "gpt2_engine_requests_cancelled_total");
        String body = "{\"inputs\":\"Long\",\"parameters\":{\"max_new_tokens\":1000,\"ignore_eos\":true}}";
        try (Socket socket = TestModels.openStream(base, body)) {
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(),
                    StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null && !line.startsWith("data: ")) {
                // skip the status line and headers
            }
            assertThat(line, containsString("\"token\""));
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (TestModels.metric(base, "gpt2_engine_requests_cancelled_total") <= cancelledBefore
                && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertThat(TestModels.metric(base, "gpt2_engine_requests_cancelled_total"), greaterThan(cancelledBefore));
        assertThat(TestModels.metric(base, "gpt2_client_cancellations_total"), greaterThanOrEqualTo(1.0));
        assertThat(TestModels.metric(base, "gpt2_active_sequences"), is(0.0));
        assertThat(TestModels.get(base, "/info").json().get("active_sequences").asInt(), is(0));
    }
}
