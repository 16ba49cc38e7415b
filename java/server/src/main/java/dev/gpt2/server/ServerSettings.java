// The server's settings, read once from Helidon Config (application.yaml < environment < command-line flags).
package dev.gpt2.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import io.helidon.config.Config;

/**
 * Settings under the {@code gpt2} config node. Environment variables map by Helidon's rules
 * ({@code GPT2_MODEL} -> {@code gpt2.model}); flags such as {@code --model M.gguf --port 9090} are turned into
 * config keys by {@link #flagsToConfig(String[])}.
 *
 * @param modelPath      GGUF file to serve ({@code gpt2.model})
 * @param threads        compute threads, 0 = auto ({@code gpt2.threads})
 * @param contextSize    context tokens, 0 = the model's ({@code gpt2.context})
 * @param batchSlots     sequences generated together ({@code gpt2.slots})
 * @param queueSize      requests that may wait for a slot before 429 ({@code gpt2.queue})
 * @param requestTimeout a generation running longer is cancelled ({@code gpt2.request-timeout-seconds})
 * @param maxBodyBytes   request bodies above this answer 413 ({@code gpt2.max-body-bytes})
 * @param modelName      name reported by /v1/models and /info; empty = the model's own ({@code gpt2.model-name})
 */
record ServerSettings(Path modelPath, int threads, int contextSize, int batchSlots, int queueSize,
                      Duration requestTimeout, long maxBodyBytes, String modelName) {

    static final String FLAG_HELP = """
            --model PATH  --host HOST  --port N  --threads N  --context N  --slots N  --queue N
            --request-timeout-seconds N  --max-body-bytes N  --model-name NAME""";

    private static final Map<String, String> FLAGS = Map.of(
            "model", "gpt2.model",
            "host", "server.host",
            "port", "server.port",
            "threads", "gpt2.threads",
            "context", "gpt2.context",
            "slots", "gpt2.slots",
            "queue", "gpt2.queue",
            "request-timeout-seconds", "gpt2.request-timeout-seconds",
            "max-body-bytes", "gpt2.max-body-bytes",
            "model-name", "gpt2.model-name");

    static ServerSettings from(Config gpt2) {
        String model = gpt2.get("model").asString().orElse("");
        return new ServerSettings(
                model.isBlank() ? null : Path.of(model),
                gpt2.get("threads").asInt().orElse(0),
                gpt2.get("context").asInt().orElse(0),
                gpt2.get("slots").asInt().orElse(8),
                gpt2.get("queue").asInt().orElse(64),
                Duration.ofSeconds(gpt2.get("request-timeout-seconds").asLong().orElse(300L)),
                gpt2.get("max-body-bytes").asLong().orElse(1L << 20),
                gpt2.get("model-name").asString().orElse(""));
    }

    /** {@code --port 9090 --model=M.gguf} -> {@code {server.port=9090, gpt2.model=M.gguf}}; unknown flags throw. */
    static Map<String, String> flagsToConfig(String[] args) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (!arg.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + arg + "'; flags:\n" + FLAG_HELP);
            }
            String name = arg.substring(2);
            String value;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                throw new IllegalArgumentException("flag --" + name + " needs a value");
            }
            String key = FLAGS.get(name);
            if (key == null) {
                throw new IllegalArgumentException("unknown flag --" + name + "; flags:\n" + FLAG_HELP);
            }
            out.put(key, value);
        }
        return out;
    }
}
