// Servers with special setups: health 503 while the model loads then 200, and 429 + Retry-After when the
// batch slots and the queue are full. Built with Main.server like Main does.
package dev.gpt2.server;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import java.lang.reflect.Method;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import dev.gpt2.Gpt2Model;
import dev.gpt2.ModelOptions;
import dev.gpt2.GenerationParams;
import io.helidon.config.Config;
import io.helidon.webserver.WebServer;
import org.junit.jupiter.api.Test;

class LifecycleTest {

    @Test
    void healthIs503WhileLoadingThen200() throws Exception {
        ModelHolder models = ModelHolder.loadLater("tiny-test");
        WebServer server = start(models);
        try {
            URI base = URI.create("http://localhost:" + server.port());
            TestModels.Reply loading = TestModels.get(base, "/health");
            assertThat(loading.status(), is(503));
            assertThat(loading.json().get("status").asText(), is("DOWN"));
            assertThat(loading.json().at("/checks/0/data/state").asText(), is("loading"));
            assertThat(TestModels.get(base, "/health/ready").status(), is(503));
            assertThat(TestModels.get(base, "/health/live").status(), is(200));
            TestModels.Reply gen = TestModels.post(base, "/generate", "{\"inputs\":\"x\"}");
            assertThat(gen.status(), is(503));
            assertThat(gen.json().get("error_type").asText(), is("unavailable"));
            assertThat(TestModels.get(base, "/metrics").status(), is(200));

            CountDownLatch release = new CountDownLatch(1);
            models.startLoading(TestModels.tinyModel(), () -> {
                try {
                    release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return TestModels.load(2, 4, TestModels.N_CTX);
            });
            assertThat(TestModels.get(base, "/health").status(), is(503));
            release.countDown();
            assertThat(models.awaitReady(60, TimeUnit.SECONDS), is(true));
            assertThat(TestModels.get(base, "/health").status(), is(200));
            assertThat(TestModels.post(base, "/generate", "{\"inputs\":\"x\",\"parameters\":{\"max_new_tokens\":1}}")
                    .status(), is(200));
        } finally {
            server.stop();
            models.close();
        }
    }

    @Test
    void saturatedServerAnswers429WithRetryAfter() throws Exception {
        ModelHolder models = ModelHolder.of(TestModels.load(1, 1, TestModels.MODEL_CTX), "tiny-test");
        WebServer server = start(models);
        List<Socket> streams = new ArrayList<>();
        try {
            URI base = URI.create("http://localhost:" + server.port());
            // one stream takes the only slot, one waits in the only queue place
            for (int i = 0; i < 2; i++) {
                streams.add(TestModels.openStream(base, "{\"inputs\":\"Busy\",\"parameters\":{\"max_new_tokens\":1000,"
                        + "\"ignore_eos\":true}}"));
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (TestModels.metric(base, "gpt2_active_sequences") + TestModels.metric(base, "gpt2_queue_depth") < 2
                    && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            TestModels.Reply tgi = TestModels.post(base, "/generate", "{\"inputs\":\"x\"}");
            assertThat(tgi.status(), is(429));
            assertThat(tgi.headers().firstValue("Retry-After").isPresent(), is(true));
            assertThat(tgi.json().get("error_type").asText(), is("overloaded"));
            TestModels.Reply oai = TestModels.post(base, "/v1/completions", "{\"prompt\":\"x\"}");
            assertThat(oai.status(), is(429));
            assertThat(oai.json().get("error").get("type").asText(), is("rate_limit_error"));
            // more choices than slots + queue can ever hold: a 400 naming n, not a 429 that never clears
            TestModels.Reply tooMany = TestModels.post(base, "/v1/completions", "{\"prompt\":\"x\",\"n\":3}");
            assertThat(tooMany.status(), is(400));
            assertThat(tooMany.json().at("/error/param").asText(), is("n"));
        } finally {
            for (Socket s : streams) {
                s.close();
            }
            server.stop();
            models.close();
        }
    }

    @Test
    void requestTimeoutCancelsTheGenerationAndAnswers504() throws Exception {
        ModelHolder models = ModelHolder.of(TestModels.load(1, 4, TestModels.MODEL_CTX), "tiny-test");
        WebServer server = start(models, Duration.ofMillis(100));
        try {
            URI base = URI.create("http://localhost:" + server.port());
            TestModels.Reply r = TestModels.post(base, "/generate", "{\"inputs\":\"Slow\",\"parameters\":"
                    + "{\"max_new_tokens\":1000,\"ignore_eos\":true,\"details\":true}}");
            assertThat(r.body(), r.status(), is(504));
            assertThat(r.json().get("error_type").asText(), is("timeout"));
            assertThat(r.json().get("error").asText(), containsString("request timeout of 0.1 s"));
            TestModels.Reply oai = TestModels.post(base, "/v1/completions", "{\"prompt\":\"Slow\","
                    + "\"max_tokens\":1000,\"ignore_eos\":true}");
            assertThat(oai.body(), oai.status(), is(504));
            assertThat(oai.json().at("/error/code").asText(), is("timeout"));
            assertThat(TestModels.metric(base, "gpt2_request_timeouts_total"), is(2.0));
            assertThat(TestModels.metric(base, "gpt2_client_cancellations_total"), is(0.0));
            long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (TestModels.metric(base, "gpt2_active_sequences") > 0 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(TestModels.metric(base, "gpt2_active_sequences"), is(0.0));
        } finally {
            server.stop();
            models.close();
        }
    }

    @Test
    void blockingClientThatLeavesIsCancelledAtOnce() throws Exception {
        ModelHolder models = ModelHolder.of(TestModels.load(1, 4, TestModels.MODEL_CTX), "tiny-test");
        WebServer server = start(models);
        try {
            URI base = URI.create("http://localhost:" + server.port());
            for (String[] route : new String[][] {
                    {"/generate", "{\"inputs\":\"Gone\",\"parameters\":{\"max_new_tokens\":1000,\"ignore_eos\":true}}"},
                    {"/v1/completions", "{\"prompt\":\"Gone\",\"max_tokens\":1000,\"ignore_eos\":true,\"n\":2}"}}) {
                double cancelsBefore = TestModels.metric(base, "gpt2_client_cancellations_total");
                // ~1 s of generation (1000 tokens); the client hangs up as soon as it runs
                try (Socket socket = TestModels.openPost(base, route[0], route[1])) {
                    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
                    while (TestModels.metric(base, "gpt2_active_sequences") == 0 && System.nanoTime() < deadline) {
                        Thread.sleep(2);
                    }
                }
                long closed = System.nanoTime();
                long deadline = closed + Duration.ofSeconds(10).toNanos();
                while ((TestModels.metric(base, "gpt2_active_sequences") > 0
                        || TestModels.metric(base, "gpt2_queue_depth") > 0) && System.nanoTime() < deadline) {
                    Thread.sleep(2);
                }
                double freedMs = (System.nanoTime() - closed) / 1e6;
                assertThat(route[0] + ": the slot was held " + freedMs + " ms after the client left",
                        freedMs < 500, is(true));
                assertThat(TestModels.metric(base, "gpt2_client_cancellations_total") > cancelsBefore, is(true));
            }
            assertThat(TestModels.metric(base, "gpt2_http_requests_total{route=\"/generate\",status=\"499\"}"),
                    is(1.0));
            // a client that stays gets its whole answer, and the connection is closed after it, as announced
            try (Socket socket = TestModels.openPost(base, "/generate",
                    "{\"inputs\":\"Stay\",\"parameters\":{\"max_new_tokens\":5}}")) {
                socket.setSoTimeout(10_000);
                String reply = new String(socket.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                assertThat(reply, containsString("HTTP/1.1 200"));
                assertThat(reply.toLowerCase(), containsString("connection: close"));
                assertThat(reply, containsString("generated_text"));
            }
        } finally {
            server.stop();
            models.close();
        }
    }

    @Test
    void deadEngineTurnsReadinessRedAndReportsOnce() throws Exception {
        List<String> fatal = new CopyOnWriteArrayList<>();
        Gpt2Model model = TestModels.load(2, 4, TestModels.N_CTX);
        ModelHolder models = ModelHolder.of(model, "tiny-test", fatal::add);
        WebServer server = start(models);
        try {
            URI base = URI.create("http://localhost:" + server.port());
            assertThat(TestModels.get(base, "/health").status(), is(200));
            // what an engine bug does: the engine thread ends with an unexpected error
            Method kill = Gpt2Model.class.getDeclaredMethod("failEngineForTest", Error.class);
            kill.setAccessible(true);
            kill.invoke(model, new AssertionError("injected engine bug"));
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (fatal.isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(fatal.size(), is(1));
            assertThat(fatal.get(0), containsString("engine thread died"));
            TestModels.Reply health = TestModels.get(base, "/health");
            assertThat(health.status(), is(503));
            assertThat(health.json().get("status").asText(), is("DOWN"));
            assertThat(health.json().at("/checks/0/data/state").asText(), is("engine failed"));
            assertThat(TestModels.get(base, "/health/ready").status(), is(503));
            assertThat(TestModels.get(base, "/health/live").status(), is(200));
            TestModels.Reply gen = TestModels.post(base, "/generate", "{\"inputs\":\"x\"}");
            assertThat(gen.status(), is(503));
            assertThat(gen.json().get("error_type").asText(), is("unavailable"));
            assertThat(gen.body(), not(containsString("injected")));
            assertThat(TestModels.post(base, "/v1/completions", "{\"prompt\":\"x\"}").status(), is(503));
            assertThat(fatal.size(), is(1));
        } finally {
            server.stop();
            models.close();
        }
    }

    @Test
    void flagsBeatTheYamlDefaults() {
        Config config = Main.config(Map.of("gpt2.model", "m.gguf", "server.port", "9091", "gpt2.slots", "3"));
        ServerSettings s = ServerSettings.from(config.get("gpt2"));
        assertThat(s.modelPath().toString(), is("m.gguf"));
        assertThat(s.batchSlots(), is(3));
        assertThat(s.queueSize(), is(64));
        assertThat(s.maxBodyBytes(), is(1L << 20));
        assertThat(config.get("server.port").asInt().get(), is(9091));
        assertThat(ServerSettings.flagsToConfig(new String[] {"--port", "9090", "--model=x.gguf"}),
                is(Map.of("server.port", "9090", "gpt2.model", "x.gguf")));
    }

    @Test
    void speculationSettingsReachTheEngineOptions() {
        ServerSettings defaults = ServerSettings.from(Main.config(Map.of("gpt2.model", "m.gguf")).get("gpt2"));
        assertThat(defaults.modelOptions().speculativeTokens(), is(0));
        assertThat(defaults.modelOptions().draftModel() == null, is(true));
        Map<String, String> flags = ServerSettings.flagsToConfig(
                new String[] {"--model", "m.gguf", "--speculate", "6", "--draft-model", "d.gguf"});
        assertThat(flags, is(Map.of("gpt2.model", "m.gguf", "gpt2.speculate", "6", "gpt2.draft-model", "d.gguf")));
        ServerSettings s = ServerSettings.from(Main.config(flags).get("gpt2"));
        assertThat(s.modelOptions().speculativeTokens(), is(6));
        assertThat(s.modelOptions().draftModel().toString(), is("d.gguf"));
    }

    @Test
    void pinPromptFileIsPinnedAtLoad() throws Exception {
        Map<String, String> flags = ServerSettings.flagsToConfig(
                new String[] {"--model", "m.gguf", "--pin-prompt-file", "system.txt"});
        assertThat(flags.get("gpt2.pin-prompt-file"), is("system.txt"));
        assertThat(ServerSettings.from(Main.config(flags).get("gpt2")).pinPromptFile().toString(), is("system.txt"));
        // ends in a newline: a trailing space would merge with the next word (" Hello") and the prefix would differ
        String system = "You are a terse assistant who answers in one line.\n".repeat(3);
        ModelOptions options = ModelOptions.builder().threads(1).batchSlots(2).build();
        try (Gpt2Model model = Main.loadModel(TestModels.tinyModel(), options, system)) {
            int pinned = model.tokenize(system).length;
            assertThat(model.stats().promptCacheBytes() > 0, is(true));
            model.generate(system + "Hello?", GenerationParams.greedy(2));
            assertThat(model.stats().promptCacheReusedTokens() >= pinned, is(true));
        }
    }

    private static WebServer start(ModelHolder models) {
        return start(models, Duration.ofSeconds(60));
    }

    private static WebServer start(ModelHolder models, Duration requestTimeout) {
        ServerSettings settings = TestModels.settings(requestTimeout);
        return Main.server(Config.empty(), models, new ServerMetrics(), settings).port(0)
                .build().start();
    }

}
