// The server's settings, read once from Helidon Config (application.yaml < environment < command-line flags).
package dev.gpt2.server;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import dev.gpt2.ModelOptions;
import dev.gpt2.ParameterException;
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
 * @param useMmap        map the model file instead of copying it ({@code gpt2.mmap}; see ModelOptions.useMmap)
 * @param bodyTimeout    a request body not fully received by then closes the connection
 *                       ({@code gpt2.body-timeout-seconds})
 * @param device         cpu, cuda or cuda:N ({@code gpt2.device}; see ModelOptions.device)
 * @param prefillChunk   prompt tokens per step while other requests are generating ({@code gpt2.prefill-chunk};
 *                       see ModelOptions.prefillChunkTokens)
 * @param promptCacheMb  MiB the prompt cache may hold, 0 = off ({@code gpt2.prompt-cache-mb}; see
 *                       ModelOptions.promptCacheMb)
 * @param speculate      speculative decoding's default drafted tokens per step for requests that do not choose,
 *                       0 = off ({@code gpt2.speculate}; see ModelOptions.speculativeTokens)
 * @param draftModel     a smaller GPT-2 with the same vocabulary that drafts instead of prompt lookup; null = none
 *                       ({@code gpt2.draft-model}; see ModelOptions.draftModel)
 * @param pinPromptFile  a UTF-8 text file (a system prompt, a few-shot preamble) whose tokens are computed at startup
 *                       and pinned in the prompt cache; null = none ({@code gpt2.pin-prompt-file}; see
 *                       Gpt2Model.pinPrompt)
 * @param kvCacheType    the KV caches' element type: auto, f32, f16 or q8_0 ({@code gpt2.kv-cache-type}; see
 *                       ModelOptions.kvCacheType)
 */
record ServerSettings(Path modelPath, int threads, int contextSize, int batchSlots, int queueSize,
                      Duration requestTimeout, long maxBodyBytes, String modelName, boolean useMmap,
                      Duration bodyTimeout, String device, int prefillChunk, int promptCacheMb, int speculate,
                      Path draftModel, Path pinPromptFile, String kvCacheType) {

    static final String FLAG_HELP = """
            --model PATH  --host HOST  --port N  --threads N  --context N  --slots N  --queue N
            --request-timeout-seconds N  --max-body-bytes N  --model-name NAME  --mmap true|false
            --body-timeout-seconds N  --device cpu|cuda|cuda:N  --prefill-chunk N  --prompt-cache-mb N
            --speculate N  --draft-model PATH  --pin-prompt-file PATH  --kv-cache-type auto|f32|f16|q8_0""";

    private static final Map<String, String> FLAGS = Map.ofEntries(
            Map.entry("model", "gpt2.model"),
            Map.entry("host", "server.host"),
            Map.entry("port", "server.port"),
            Map.entry("threads", "gpt2.threads"),
            Map.entry("context", "gpt2.context"),
            Map.entry("slots", "gpt2.slots"),
            Map.entry("queue", "gpt2.queue"),
            Map.entry("request-timeout-seconds", "gpt2.request-timeout-seconds"),
            Map.entry("max-body-bytes", "gpt2.max-body-bytes"),
            Map.entry("model-name", "gpt2.model-name"),
            Map.entry("mmap", "gpt2.mmap"),
            Map.entry("body-timeout-seconds", "gpt2.body-timeout-seconds"),
            Map.entry("device", "gpt2.device"),
            Map.entry("prefill-chunk", "gpt2.prefill-chunk"),
            Map.entry("prompt-cache-mb", "gpt2.prompt-cache-mb"),
            Map.entry("speculate", "gpt2.speculate"),
            Map.entry("draft-model", "gpt2.draft-model"),
            Map.entry("pin-prompt-file", "gpt2.pin-prompt-file"),
            Map.entry("kv-cache-type", "gpt2.kv-cache-type"));

    /** ModelOptions field -> the gpt2 key that sets it, so that its range errors can name the flag. */
    private static final Map<String, String> OPTION_KEYS = Map.ofEntries(
            Map.entry("threads", "threads"), Map.entry("contextSize", "context"), Map.entry("batchSlots", "slots"),
            Map.entry("queueCapacity", "queue"), Map.entry("device", "device"),
            Map.entry("prefillChunkTokens", "prefill-chunk"), Map.entry("promptCacheMb", "prompt-cache-mb"),
            Map.entry("speculativeTokens", "speculate"), Map.entry("draftModel", "draft-model"),
            Map.entry("kvCacheType", "kv-cache-type"));

    /**
     * Reads and validates the {@code gpt2} node; IllegalArgumentException names the flag, the allowed range and
     * the value, so a startup error is one line. The engine's numbers are only parsed here: their ranges are
     * ModelOptions', checked by {@link #modelOptions()}.
     */
    static ServerSettings from(Config gpt2) {
        String model = gpt2.get("model").asString().orElse("");
        String draft = gpt2.get("draft-model").asString().orElse("");
        String pin = gpt2.get("pin-prompt-file").asString().orElse("");
        return new ServerSettings(
                model.isBlank() ? null : Path.of(model),
                (int) number(gpt2, "threads", 0, Integer.MIN_VALUE, Integer.MAX_VALUE),
                (int) number(gpt2, "context", 0, Integer.MIN_VALUE, Integer.MAX_VALUE),
                (int) number(gpt2, "slots", 8, Integer.MIN_VALUE, Integer.MAX_VALUE),
                (int) number(gpt2, "queue", 64, Integer.MIN_VALUE, Integer.MAX_VALUE),
                Duration.ofSeconds(number(gpt2, "request-timeout-seconds", 300, 1, 86_400L * 365)),
                number(gpt2, "max-body-bytes", 1L << 20, 1, 1L << 30),
                gpt2.get("model-name").asString().orElse(""),
                bool(gpt2, "mmap", false),
                Duration.ofSeconds(number(gpt2, "body-timeout-seconds", 30, 1, 3600)),
                gpt2.get("device").asString().orElse("cpu").trim(),
                (int) number(gpt2, "prefill-chunk", 8, Integer.MIN_VALUE, Integer.MAX_VALUE),
                (int) number(gpt2, "prompt-cache-mb", ModelOptions.DEFAULT_PROMPT_CACHE_MB, Integer.MIN_VALUE,
                        Integer.MAX_VALUE),
                (int) number(gpt2, "speculate", 0, Integer.MIN_VALUE, Integer.MAX_VALUE),
                draft.isBlank() ? null : Path.of(draft.trim()),
                pin.isBlank() ? null : Path.of(pin.trim()),
                gpt2.get("kv-cache-type").asString().orElse("auto").trim());
    }

    /** The engine's options; a value out of ModelOptions' range is an IllegalArgumentException naming the flag. */
    ModelOptions modelOptions() {
        try {
            return ModelOptions.builder()
                    .threads(threads)
                    .contextSize(contextSize)
                    .batchSlots(batchSlots)
                    .queueCapacity(queueSize)
                    .useMmap(useMmap)
                    .device(device)
                    .prefillChunkTokens(prefillChunk)
                    .promptCacheMb(promptCacheMb)
                    .speculativeTokens(speculate)
                    .draftModel(draftModel)
                    .kvCacheType(kvCacheType)
                    .build();
        } catch (ParameterException e) {
            String key = OPTION_KEYS.get(e.field());
            String message = e.getMessage();
            throw new IllegalArgumentException(key == null ? message
                    : message.replace(e.field(), describe("gpt2." + key)));
        }
    }

    /** The port under {@code server}, checked like the gpt2 settings (0 = any free port). */
    static int port(Config server) {
        return (int) number(server, "port", 8080, 0, 65535);
    }

    private static long number(Config node, String key, long fallback, long min, long max) {
        String raw = node.get(key).asString().orElse(String.valueOf(fallback)).trim();
        long value;
        try {
            value = Long.parseLong(raw);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(describe(node, key) + " must be a whole number, got '" + raw + "'");
        }
        if (value < min || value > max) {
            throw new IllegalArgumentException(describe(node, key) + " must be in [" + min + ", " + max + "], got "
                    + value);
        }
        return value;
    }

    private static boolean bool(Config node, String key, boolean fallback) {
        String raw = node.get(key).asString().orElse(String.valueOf(fallback)).trim();
        return switch (raw.toLowerCase(java.util.Locale.ROOT)) {
            case "true" -> true;
            case "false" -> false;
            default -> throw new IllegalArgumentException(describe(node, key) + " must be true or false, got '"
                    + raw + "'");
        };
    }

    private static String describe(Config node, String key) {
        return describe(node.key().toString() + "." + key);
    }

    /** "--slots (gpt2.slots)": the flag a user most likely typed, and the config key FULL it maps to. */
    private static String describe(String full) {
        for (Map.Entry<String, String> e : FLAGS.entrySet()) {
            if (e.getValue().equals(full)) {
                return "--" + e.getKey() + " (" + full + ")";
            }
        }
        return full;
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
