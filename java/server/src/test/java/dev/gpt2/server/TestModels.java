// Test fixtures: a tiny deterministic random-weight model made by the native gpt2-random tool, a loaded
// model per test class, and small HTTP helpers shared by the tests.
package dev.gpt2.server;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.net.Socket;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gpt2.Gpt2Model;
import dev.gpt2.ModelOptions;

final class TestModels {
    /** Context the API tests run with: small so that the context-overflow paths are cheap to reach. */
    static final int N_CTX = 128;
    /** Context of the model file: long generations for the cancellation and saturation tests. */
    static final int MODEL_CTX = 1024;

    private TestModels() {
    }

    /** A 2-layer, 64-wide random GPT-2 (generated once per build under target/). */
    static synchronized Path tinyModel() {
        Path out = Path.of(System.getProperty("gpt2.test.out.dir", "target"), "test-models", "tiny.gguf");
        if (Files.exists(out)) {
            return out;
        }
        Path tool = Path.of(System.getProperty("gpt2.tools.dir", "../../build/release"), "gpt2-random");
        if (!Files.isExecutable(tool)) {
            throw new IllegalStateException("missing " + tool + ": build the native tools first "
                    + "(mvn -f java/pom.xml -pl runtime install, or cmake --build build/release)");
        }
        try {
            Files.createDirectories(out.getParent());
            Path tmp = out.resolveSibling("tiny.gguf.tmp");
            Process p = new ProcessBuilder(tool.toString(), tmp.toString(), "--layers", "2", "--heads", "2",
                    "--embd", "64", "--ctx", String.valueOf(MODEL_CTX), "--seed", "7")
                    .redirectErrorStream(true).start();
            String log = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(120, TimeUnit.SECONDS) || p.exitValue() != 0) {
                throw new IllegalStateException("gpt2-random failed: " + log);
            }
            Files.move(tmp, out);
            return out;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static Gpt2Model load(int slots, int queue, int contextSize) {
        return Gpt2Model.load(tinyModel(), ModelOptions.builder().threads(1).batchSlots(slots)
                .queueCapacity(queue).contextSize(contextSize).build());
    }

    static ServerSettings settings(Duration timeout) {
        return settings(timeout, Duration.ofSeconds(30));
    }

    static ServerSettings settings(Duration timeout, Duration bodyTimeout) {
        return new ServerSettings(tinyModel(), 1, 0, 4, 32, timeout, 64 * 1024, "tiny-test", false, bodyTimeout,
                "cpu", 8, dev.gpt2.ModelOptions.DEFAULT_PROMPT_CACHE_MB, 0, null, null, "auto");
    }

    static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    record Reply(int status, String body, java.net.http.HttpHeaders headers) {
        JsonNode json() {
            try {
                return JsonBody.MAPPER.readTree(body);
            } catch (IOException e) {
                throw new AssertionError("not JSON: " + body, e);
            }
        }
    }

    static Reply get(URI base, String path) {
        return send(HttpRequest.newBuilder(base.resolve(path)).GET().build());
    }

    static Reply post(URI base, String path, String json) {
        return send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build());
    }

    static Reply postBytes(URI base, String path, byte[] body) {
        return send(HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build());
    }

    static Reply send(HttpRequest request) {
        try {
            HttpResponse<String> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
            return new Reply(r.statusCode(), r.body(), r.headers());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The JSON payloads of "data: ..." lines of an event stream body ("[DONE]" kept as text). */
    static List<String> sseData(String body) {
        return body.lines().filter(l -> l.startsWith("data: ")).map(l -> l.substring(6)).toList();
    }

    static JsonNode parse(String json) {
        try {
            return JsonBody.MAPPER.readTree(json);
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + json, e);
        }
    }

    /**
     * A metric's value from a Prometheus scrape: SERIES is a name, or a name and its labels
     * ({@code gpt2_http_requests_total{route="/generate",status="200"}}, in any order; Helidon's "scope" label is
     * left out of the match).
     */
    static double metric(URI base, String series) {
        String text = get(base, "/metrics").body();
        Double value = prometheus(text).get(seriesKey(series));
        if (value == null) {
            throw new AssertionError("no metric " + series + " in\n" + text);
        }
        return value;
    }

    /**
     * Parses Prometheus text (0.0.4): every sample line into "name{k=v,...}" (labels sorted, "scope" dropped) ->
     * value; comment lines must be # HELP or # TYPE, and every sample line must parse, else the test fails.
     */
    static java.util.Map<String, Double> prometheus(String text) {
        java.util.Map<String, Double> samples = new java.util.HashMap<>();
        for (String line : text.split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            if (line.startsWith("#")) {
                assertThat(line, line.startsWith("# HELP ") || line.startsWith("# TYPE "), is(true));
                continue;
            }
            java.util.regex.Matcher m = SAMPLE.matcher(line);
            assertThat("not a Prometheus sample line: " + line, m.matches(), is(true));
            samples.put(seriesKey(m.group(1) + (m.group(2) == null ? "" : m.group(2))), Double.parseDouble(m.group(3)));
        }
        return samples;
    }

    private static final java.util.regex.Pattern SAMPLE = java.util.regex.Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*\\})? ([-+0-9.eE]+|NaN|[+-]Inf)( [0-9]+)?");
    private static final java.util.regex.Pattern LABEL = java.util.regex.Pattern.compile(
            "([a-zA-Z_][a-zA-Z0-9_]*)=\"((?:[^\"\\\\]|\\\\.)*)\"");

    /** "name{b="2",a="1",scope="x",}" -> "name{a="1",b="2"}". */
    private static String seriesKey(String series) {
        int brace = series.indexOf('{');
        if (brace < 0) {
            return series;
        }
        java.util.TreeMap<String, String> labels = new java.util.TreeMap<>();
        java.util.regex.Matcher m = LABEL.matcher(series.substring(brace));
        while (m.find()) {
            if (!m.group(1).equals("scope")) {
                labels.put(m.group(1), m.group(2));
            }
        }
        StringBuilder key = new StringBuilder(series.substring(0, brace));
        if (!labels.isEmpty()) {
            key.append('{');
            labels.forEach((k, v) -> key.append(k).append("=\"").append(v).append("\","));
            key.setLength(key.length() - 1);
            key.append('}');
        }
        return key.toString();
    }

    /**
     * A server configured as Main configures one: SERVER (keys under "server", e.g. "port") over
     * application.yaml's server node, then Main.server.
     */
    static io.helidon.webserver.WebServer startServer(java.util.Map<String, String> server, ModelHolder models,
                                                      ServerSettings settings) {
        java.util.Map<String, String> keys = new java.util.HashMap<>();
        server.forEach((k, v) -> keys.put("server." + k, v));
        io.helidon.config.Config config = io.helidon.config.Config.builder()
                .disableEnvironmentVariablesSource()
                .disableSystemPropertiesSource()
                .addSource(io.helidon.config.ConfigSources.create(keys))
                .addSource(io.helidon.config.ConfigSources.classpath("application.yaml"))
                .build();
        return Main.server(config.get("server"), models, new ServerMetrics(), settings)
                .build().start();
    }

    /** Posts BODY to /generate_stream over a raw socket (so a test can drop the connection) and returns it. */
    static Socket openStream(URI base, String body) throws Exception {
        return openPost(base, "/generate_stream", body);
    }

    /** Posts BODY to PATH over a raw socket (so a test can drop the connection) and returns it. */
    static Socket openPost(URI base, String path, String body) throws Exception {
        Socket socket = new Socket(base.getHost(), base.getPort());
        OutputStream out = socket.getOutputStream();
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        out.write(("POST " + path + " HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "Content-Length: " + bytes.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(bytes);
        out.flush();
        return socket;
    }
}
