// Bad requests at the HTTP layer and in the JSON (issue #8 item 7 and its HTTP fuzz figure): raw sockets send
// malformed request lines, versions, headers, chunked framing, bodies and slow bodies; every answer must be a
// JSON error (4xx) or, for the odd request the mutations leave valid, a success; never a 5xx, never a body
// that names a Java class, and the server stays healthy. Seeded, so a failure reproduces.
package dev.gpt2.server;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;
import static org.hamcrest.Matchers.not;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;

import io.helidon.webserver.WebServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class HttpFuzzTest {
    private static final int REQUESTS = Integer.getInteger("gpt2.httpfuzz.requests", 10_000);
    private static ModelHolder models;
    private static WebServer server;
    private static URI base;

    @BeforeAll
    static void start() {
        models = ModelHolder.of(TestModels.load(4, 64, TestModels.N_CTX), "tiny-test");
        server = TestModels.startServer(Map.of("port", "0", "host", "127.0.0.1"), models,
                TestModels.settings(Duration.ofSeconds(30), Duration.ofSeconds(1)));
        base = URI.create("http://127.0.0.1:" + server.port());
    }

    @AfterAll
    static void stop() {
        server.stop();
        models.close();
    }

    /** What came back on one connection: the status (-1 none), the headers block and the body bytes. */
    record Answer(int status, String head, String body) {
        JsonNode json() {
            return TestModels.parse(body);
        }
    }

    /** Sends REQUEST (then waits PAUSE_MS between the remaining chunks of SLOW_TAIL) and reads one response. */
    static Answer exchange(byte[] request, byte[] slowTail, int pauseMs) throws IOException {
        try (Socket s = new Socket(base.getHost(), base.getPort())) {
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            try {
                out.write(request);
                out.flush();
                if (slowTail != null) {
                    for (int i = 0; i < slowTail.length; i += 7) {
                        sleep(pauseMs);
                        out.write(slowTail, i, Math.min(7, slowTail.length - i));
                        out.flush();
                    }
                }
            } catch (java.net.SocketException e) {
                // the server answered (and closed) before the request was all sent: read what it said
            }
            return read(s.getInputStream());
        }
    }

    private static void sleep(int ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One HTTP/1.1 response: status line, headers, and a Content-Length body (or up to the close). */
    static Answer read(InputStream in) throws IOException {
        Answer a = readOne(in);
        while (a.status() >= 100 && a.status() < 200) {   // 100 Continue: the answer follows
            a = readOne(in);
        }
        return a;
    }

    private static Answer readOne(InputStream in) throws IOException {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        try {
            int c;
            int state = 0;
            while (state < 4 && (c = in.read()) >= 0) {
                head.write(c);
                state = (c == '\r' && (state == 0 || state == 2)) || (c == '\n' && (state == 1 || state == 3))
                        ? state + 1 : (c == '\r' ? 1 : 0);
            }
        } catch (SocketTimeoutException | java.net.SocketException e) {
            // fall through with what came
        }
        String h = head.toString(StandardCharsets.ISO_8859_1);
        if (!h.startsWith("HTTP/1.1 ") || h.length() < 12) {
            return new Answer(-1, h, "");
        }
        int status = Integer.parseInt(h.substring(9, 12));
        int length = -1;
        for (String line : h.split("\r\n")) {
            if (line.toLowerCase().startsWith("content-length:")) {
                length = Integer.parseInt(line.substring(15).trim());
            }
        }
        byte[] body;
        try {
            body = length >= 0 ? in.readNBytes(length) : status < 200 ? new byte[0] : in.readAllBytes();
        } catch (SocketTimeoutException | java.net.SocketException e) {
            body = new byte[0];
        }
        return new Answer(status, h, new String(body, StandardCharsets.UTF_8));
    }

    static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static String post(String path, String headers, String body) {
        return "POST " + path + " HTTP/1.1\r\nHost: x\r\n" + headers
                + "Content-Length: " + body.getBytes(StandardCharsets.ISO_8859_1).length + "\r\n\r\n" + body;
    }

    static void assertJsonError(Answer a, int status) {
        assertThat(a.head() + a.body(), a.status(), is(status));
        assertThat(a.head(), a.head().toLowerCase(), containsString("content-type: application/json"));
        JsonNode json = a.json();
        assertThat(a.body(), json.has("error"), is(true));
        assertThat(a.body(), not(containsString("Exception")));
    }

    @Test
    void httpLayerErrorsAnswerJson() throws Exception {
        Answer old = exchange(ascii("GET /health HTTP/1.0\r\nHost: x\r\n\r\n"), null, 0);
        assertJsonError(old, 400);
        assertThat(old.body(), containsString("HTTP/1.1"));
        assertJsonError(exchange(ascii("GET /health HTTP/9.9\r\nHost: x\r\n\r\n"), null, 0), 400);
        assertJsonError(exchange(ascii("GARBAGE\r\n\r\n"), null, 0), 400);
        assertJsonError(exchange(ascii("GET /" + "a".repeat(20_000) + " HTTP/1.1\r\nHost: x\r\n\r\n"), null, 0),
                414);
        assertJsonError(exchange(ascii("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(20_000)
                + "\r\n\r\n"), null, 0), 400);   // Helidon: headers over max-headers-size are a bad request
        // a method that is not a token: Helidon's parser throws, which it reports as an internal error
        assertJsonError(exchange("P\u00d6ST /generate HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.UTF_8),
                null, 0), 400);
        Answer v1 = exchange(ascii("GET /v1/models HTTP/1.0\r\n\r\n"), null, 0);
        assertJsonError(v1, 400);
        assertThat(v1.json().at("/error/code").asText(), is("http_version_not_supported"));
    }

    @Test
    void malformedChunkedBodiesAnswer400() throws Exception {
        for (String chunks : List.of("zz\r\n{}\r\n0\r\n\r\n", "ffffffffffffffffff\r\n{}\r\n0\r\n\r\n",
                "-5\r\n{}\r\n0\r\n\r\n", "\r\n{}0\r\n\r\n")) {
            // and what follows a broken frame is not read as a next request: the connection closes
            try (Socket s = new Socket(base.getHost(), base.getPort())) {
                s.setSoTimeout(10_000);
                s.getOutputStream().write(ascii("POST /generate HTTP/1.1\r\nHost: x\r\n"
                        + "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks
                        + "GET /health HTTP/1.1\r\nHost: x\r\n\r\n"));
                Answer a = read(s.getInputStream());
                assertJsonError(a, 400);
                assertThat(a.body(), containsString("chunked"));
                assertThat(a.head().toLowerCase(), containsString("connection: close"));
                assertThat(s.getInputStream().read(), is(-1));
            }
        }
    }

    @Test
    void loneSurrogatesAreRefusedLikeInvalidUtf8() throws Exception {
        Answer tgi = exchange(ascii(post("/generate", "Content-Type: application/json\r\n",
                "{\"inputs\":\"a\\ud800b\"}")), null, 0);
        assertJsonError(tgi, 422);
        assertThat(tgi.json().get("field").asText(), is("inputs"));
        Answer oai = exchange(ascii(post("/v1/completions", "", "{\"prompt\":[\"ok\",\"\\udc00\"]}")), null, 0);
        assertJsonError(oai, 400);
        assertThat(oai.json().at("/error/param").asText(), is("prompt[1]"));
        // a correctly paired escape is text
        Answer ok = exchange(ascii(post("/generate", "", "{\"inputs\":\"\\ud83d\\ude00\","
                + "\"parameters\":{\"max_new_tokens\":1}}")), null, 0);
        assertThat(ok.body(), ok.status(), is(200));
    }

    @Test
    void connectionCloseIsHonoured() throws Exception {
        try (Socket s = new Socket(base.getHost(), base.getPort())) {
            s.setSoTimeout(5_000);
            s.getOutputStream().write(ascii("GET /health/live HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
            Answer a = read(s.getInputStream());
            assertThat(a.status(), is(200));
            assertThat(a.head().toLowerCase(), containsString("connection: close"));
            assertThat("the server closes the connection after its answer", s.getInputStream().read(), is(-1));
        }
    }

    // ---- the fuzz ---------------------------------------------------------------------------------------------

    private static final String[] PATHS = {"/generate", "/generate_stream", "/", "/v1/completions",
        "/v1/chat/completions", "/tokenize", "/health", "/info", "/v1/models", "/metrics", "/nope", "/generate?x=1",
        "/%zz", "/a/../generate", "//generate", "/generate%00", "/docs", "/docs/", "/openapi"};
    private static final String[] METHODS = {"GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "BREW",
        "get", "P\u00d6ST", ""};
    private static final String[] VERSIONS = {"HTTP/1.1", "HTTP/1.1", "HTTP/1.1", "HTTP/1.0", "HTTP/2.0",
        "HTTP/1.x", "http/1.1", "HTTP/1.1 extra", ""};
    private static final String[] BODIES = {
        "{\"inputs\":\"Hello\",\"parameters\":{\"max_new_tokens\":2}}",
        "{\"prompt\":\"Hi\",\"max_tokens\":2}",
        "{\"prompt\":[\"a\",\"b\"],\"max_tokens\":1,\"n\":2}",
        "{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":2}",
        "{\"inputs\":\"x\",\"parameters\":{\"max_new_tokens\":-1}}",
        "{\"inputs\":\"x\",\"parameters\":{\"temperature\":\"NaN\",\"top_p\":2,\"top_k\":-3}}",
        "{\"inputs\":\"x\",\"parameters\":{\"max_new_tokens\":1e309}}",
        "{\"inputs\":\"\\ud800\"}", "{\"inputs\":[1,2,3]}", "{\"inputs\":null}", "[]", "\"str\"", "", "{",
        "{\"inputs\":\"x\",\"stop\":[" + "\"s\",".repeat(40) + "\"s\"]}",
        "{\"inputs\":\"x\",\"unknown\":true}", "{\"inputs\":\"" + "long ".repeat(400) + "\"}",
        "[".repeat(5000) + "]".repeat(5000),
    };

    /** One generated bad (or occasionally valid) request: bytes, an optional slow tail and its pause. */
    record Case(String kind, byte[] bytes, byte[] slowTail, int pauseMs) {
    }

    static Case generate(Random rnd) {
        String path = PATHS[rnd.nextInt(PATHS.length)];
        String body = BODIES[rnd.nextInt(BODIES.length)];
        int kind = rnd.nextInt(100);
        if (kind < 15) {   // request line
            String line = METHODS[rnd.nextInt(METHODS.length)] + (rnd.nextInt(10) == 0 ? "  " : " ") + path
                    + (rnd.nextInt(20) == 0 ? "\u0001\u00ff" : "") + " " + VERSIONS[rnd.nextInt(VERSIONS.length)];
            return new Case("request-line", ascii(line + "\r\nHost: x\r\n\r\n"), null, 0);
        }
        if (kind < 35) {   // headers
            String[] headers = {
                "Content-Length: abc\r\n", "Content-Length: -1\r\n", "Content-Length: 5\r\nContent-Length: 6\r\n",
                "Content-Length: 99999999999999999999\r\n", "Transfer-Encoding: gzip\r\n",
                "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n", "Bad Header\r\n", "X-A : b\r\n",
                " folded\r\n", "Content-Type: text/plain\r\n", "Content-Type: multipart/form-data; boundary=x\r\n",
                "Content-Type: application/json; charset=latin1\r\n", "Content-Encoding: br\r\n",
                "Expect: 100-continue\r\n", "X-Long: " + "v".repeat(rnd.nextInt(20_000)) + "\r\n",
                "Host: a\r\nHost: b\r\n", "X-\u00e9: \u00ff\r\n", "Connection: close\r\n", "Upgrade: h2c\r\n"};
            StringBuilder h = new StringBuilder();
            for (int i = 0, n = 1 + rnd.nextInt(3); i < n; i++) {
                h.append(headers[rnd.nextInt(headers.length)]);
            }
            String text = "POST " + path + " HTTP/1.1\r\n" + (rnd.nextBoolean() ? "Host: x\r\n" : "") + h;
            boolean framed = h.indexOf("Content-Length") >= 0 || h.indexOf("Transfer-Encoding") >= 0;
            text += framed ? "\r\n" + body : "Content-Length: " + ascii(body).length + "\r\n\r\n" + body;
            return new Case("headers", ascii(text), null, 0);
        }
        if (kind < 50) {   // chunked framing
            int size = body.length() + rnd.nextInt(3) - 1;
            String[] chunks = {"zz\r\n", Integer.toHexString(size) + "\r\n",
                "ffffffffffffffffff\r\n", "-1\r\n", "5;ext=1\r\n", "\r\n", "0\r\n"};
            StringBuilder b = new StringBuilder(chunks[rnd.nextInt(chunks.length)]).append(body);
            b.append(rnd.nextBoolean() ? "\r\n0\r\n\r\n" : "0\r\n\r\n");
            return new Case("chunked", ascii("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: "
                    + "application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + b), null, 0);
        }
        if (kind < 52) {   // slow body: trickled in, well inside the body deadline (1 s here)
            byte[] bytes = (body.length() > 2100 ? BODIES[0] : body).getBytes(StandardCharsets.UTF_8);
            return new Case("slow-body", ascii("POST " + path + " HTTP/1.1\r\nHost: x\r\nContent-Type: "
                    + "application/json\r\nContent-Length: " + bytes.length + "\r\n\r\n"),
                    bytes, 2);
        }
        // JSON bodies: byte flips, truncation, invalid UTF-8, inserted escapes
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        int op = rnd.nextInt(5);
        if (op == 0 && bytes.length > 0) {
            for (int i = 0, n = 1 + rnd.nextInt(4); i < n; i++) {
                bytes[rnd.nextInt(bytes.length)] = (byte) rnd.nextInt(256);
            }
        } else if (op == 1 && bytes.length > 1) {
            bytes = java.util.Arrays.copyOf(bytes, rnd.nextInt(bytes.length));
        } else if (op == 2) {
            bytes = (body.replace("Hello", "\u00c3\u0028").replace("Hi", "\\udfff")).getBytes(StandardCharsets.ISO_8859_1);
        }
        String method = rnd.nextInt(10) == 0 ? "GET" : "POST";
        String head = method + " " + path + " HTTP/1.1\r\nHost: x\r\n" + (rnd.nextBoolean()
                ? "Content-Type: application/json\r\n" : "") + "Content-Length: " + bytes.length + "\r\n\r\n";
        byte[] req = new byte[ascii(head).length + bytes.length];
        System.arraycopy(ascii(head), 0, req, 0, ascii(head).length);
        System.arraycopy(bytes, 0, req, ascii(head).length, bytes.length);
        return new Case("json", req, null, 0);
    }

    @Test
    void tenThousandBadRequestsGetJson4xxAndTheServerStaysHealthy() throws Exception {
        Random seeds = new Random(8);
        List<Case> cases = new ArrayList<>();
        for (int i = 0; i < REQUESTS; i++) {
            cases.add(generate(new Random(seeds.nextLong())));
        }
        Map<String, AtomicInteger> byStatus = new ConcurrentHashMap<>();
        List<String> failures = java.util.Collections.synchronizedList(new ArrayList<>());
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        List<Future<?>> done = new ArrayList<>();
        for (Case c : cases) {
            done.add(pool.submit(() -> {
                Answer a;
                long start = System.nanoTime();
                try {
                    a = exchange(c.bytes(), c.slowTail(), c.pauseMs());
                } catch (IOException e) {
                    a = new Answer(-1, e.toString(), "");
                }
                // A body framed longer than what was sent (a chunk size past the data, say) waits for bytes that
                // never come: the body deadline (1 s) then closes the connection, with no one left to answer.
                boolean closedAtBodyDeadline = a.status() < 0 && !c.kind().equals("request-line")
                        && System.nanoTime() - start >= 900_000_000L;
                byStatus.computeIfAbsent(c.kind() + " " + a.status(), k -> new AtomicInteger()).incrementAndGet();
                String problem = closedAtBodyDeadline ? null : check(a);
                if (problem != null && failures.size() < 20) {
                    failures.add(problem + "\n  request: " + new String(c.bytes(), StandardCharsets.ISO_8859_1)
                            .replace("\r\n", "\\r\\n").substring(0, Math.min(300, c.bytes().length))
                            + "\n  answer: " + a.head().replace("\r\n", " | ") + a.body());
                }
                return null;
            }));
        }
        for (Future<?> f : done) {
            f.get();
        }
        pool.shutdown();
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("HTTP fuzz: %d requests in %.1f s; by kind and status: %s%n", cases.size(), seconds,
                new TreeMap<>(byStatus));
        assertThat(String.join("\n", failures), failures.isEmpty(), is(true));
        assertThat(TestModels.get(base, "/health").status(), is(200));
        assertThat(TestModels.post(base, "/generate", "{\"inputs\":\"still fine\",\"parameters\":"
                + "{\"max_new_tokens\":3}}").status(), is(200));
        assertThat(TestModels.metric(base, "gpt2_active_sequences"), is(0.0));
    }

    /** Null when A is acceptable: a JSON 4xx, or a success; a description of what is wrong otherwise. */
    static String check(Answer a) {
        if (a.status() < 0) {
            return "no HTTP response";
        }
        if (a.status() >= 500) {
            return "server error " + a.status();
        }
        if (a.body().contains("Exception") || a.body().contains("at dev.") || a.body().contains("at io.")) {
            return "internal detail in the body";
        }
        if (a.status() >= 400) {
            if (!a.head().toLowerCase().contains("content-type: application/json")) {
                return "error without a JSON content type";
            }
            try {
                if (!a.json().has("error")) {
                    return "error JSON without 'error'";
                }
            } catch (RuntimeException e) {
                return "error body is not JSON";
            }
        }
        return null;
    }
}
