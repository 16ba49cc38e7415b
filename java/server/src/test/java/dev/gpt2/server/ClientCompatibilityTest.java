// Real third-party clients, unmodified (npm openai 4, @huggingface/inference 4.x and 2.x), run through node
// against a real server. Skipped with a message only when node is not installed.
package dev.gpt2.server;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.is;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.helidon.config.Config;
import io.helidon.webserver.WebServer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

class ClientCompatibilityTest {
    private static final Path JS_DIR = Path.of(System.getProperty("gpt2.test.js.dir", "src/test/js"));

    @Test
    void openAiAndHuggingFaceClientsWorkUnmodified() throws Exception {
        Assumptions.assumeTrue(commandWorks(List.of("node", "--version")),
                "SKIPPED: node is not installed, so the npm client compatibility test cannot run");
        if (!Files.isDirectory(JS_DIR.resolve("node_modules/hf2"))) {
            Result ci = run(List.of("npm", "ci", "--no-audit", "--no-fund"), 240);
            assertThat("npm ci failed:\n" + ci.output(), ci.exit(), is(0));
        }
        ModelHolder models = ModelHolder.of(TestModels.load(4, 32, TestModels.N_CTX), "gpt2");
        ServerSettings settings = TestModels.settings(Duration.ofSeconds(60));
        WebServer server = Main.server(Config.empty(), models, new ServerMetrics(), settings).port(0)
                .build().start();
        try {
            Result r = run(List.of("node", "clients.mjs", "http://localhost:" + server.port()), 120);
            assertThat(r.output(), r.exit(), is(0));
            assertThat(r.output(), containsString("all clients ok"));
        } finally {
            server.stop();
            models.close();
        }
    }

    private record Result(int exit, String output) {
    }

    private static Result run(List<String> command, long timeoutSeconds) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).directory(JS_DIR.toFile()).redirectErrorStream(true).start();
        byte[][] out = new byte[1][];
        Thread reader = Thread.ofVirtual().start(() -> {
            try {
                out[0] = p.getInputStream().readAllBytes();
            } catch (IOException e) {
                out[0] = e.toString().getBytes();
            }
        });
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            reader.join();
            return new Result(-1, "timed out: " + command + "\n" + new String(out[0]));
        }
        reader.join();
        return new Result(p.exitValue(), new String(out[0]));
    }

    private static boolean commandWorks(List<String> command) {
        try {
            return new ProcessBuilder(command).redirectErrorStream(true).start().waitFor() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
