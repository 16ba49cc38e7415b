// Connection floods (issue #8 item 5): idle and half-sent connections are closed after the idle timeout, a
// connection cap keeps the process below its file-descriptor limit, and the listener keeps serving after a flood.
// The server is configured from application.yaml's `server` node, with small limits so the test is quick.
package dev.gpt2.server;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

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

import io.helidon.webserver.WebServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class ConnectionLimitsTest {
    private static final int CAP = 16;
    private static ModelHolder models;
    private static WebServer server;
    private static URI base;

    @BeforeAll
    static void start() {
        models = ModelHolder.of(TestModels.load(1, 4, TestModels.MODEL_CTX), "tiny-test");
        server = TestModels.startServer(Map.of(
                        "port", "0",
                        "host", "127.0.0.1",
                        "max-tcp-connections", String.valueOf(CAP),
                        "idle-connection-timeout", "PT1S",
                        "idle-connection-period", "PT0.2S",
                        "connection-options.read-timeout", "PT2S"), models,
                TestModels.settings(Duration.ofSeconds(60), Duration.ofSeconds(2)));
        base = URI.create("http://127.0.0.1:" + server.port());
    }

    @AfterAll
    static void stop() {
        server.stop();
        models.close();
    }

    /** True when the server closed SOCKET (read sees end of stream or a reset) within TIMEOUT. */
    private static boolean closedByServer(Socket socket, Duration timeout) throws Exception {
        socket.setSoTimeout((int) timeout.toMillis());
        InputStream in = socket.getInputStream();
        try {
            while (true) {
                if (in.read() < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (java.io.IOException e) {
            return true;   // reset
        }
    }

    @Test
    void halfSentRequestsAreClosedAndTheListenerSurvivesAFlood() throws Exception {
        List<Socket> flood = new ArrayList<>();
        try {
            // three times the cap of connections that send nothing, half a request line, or the headers and
            // part of the body (the last is what the body deadline is for: Helidon's idle check skips it)
            String[] starts = {"", "POST /generate HT",
                    "POST /generate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                            + "Content-Length: 100\r\n\r\n{\"inp"};
            for (int i = 0; i < 3 * CAP; i++) {
                Socket s = new Socket("127.0.0.1", server.port());
                OutputStream out = s.getOutputStream();
                out.write(starts[i % starts.length].getBytes(StandardCharsets.US_ASCII));
                out.flush();
                flood.add(s);
            }
            // the accepted ones are closed by the idle check; the rest wait in the backlog, are accepted as
            // slots free up, and are closed in turn
            long closed = 0;
            for (Socket s : flood) {
                if (closedByServer(s, Duration.ofSeconds(15))) {
                    closed++;
                }
            }
            assertThat(closed, is((long) flood.size()));
        } finally {
            for (Socket s : flood) {
                s.close();
            }
        }
        // and the listener still answers
        assertThat(TestModels.get(base, "/health/live").status(), is(200));
        assertThat(TestModels.post(base, "/generate", "{\"inputs\":\"x\",\"parameters\":{\"max_new_tokens\":2}}")
                .status(), is(200));
    }

    @Test
    void aGenerationLongerThanTheIdleTimeoutIsNotCut() throws Exception {
        long t0 = System.nanoTime();
        TestModels.Reply r = TestModels.post(base, "/generate", "{\"inputs\":\"Long\",\"parameters\":"
                + "{\"max_new_tokens\":1000,\"ignore_eos\":true,\"details\":true}}");
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertThat(r.body(), r.status(), is(200));
        assertThat(r.json().at("/details/generated_tokens").asInt() > 0, is(true));
        System.out.printf("blocking generation took %.2f s (idle timeout 1 s)%n", seconds);
    }
}
