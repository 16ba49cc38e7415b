package dev.gpt2;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Test support: the native tools of build/release (gpt2-random, gpt2-tokenize, gpt2-generate) and one small random
 * model per JVM (2 layers, 64 wide, context 128, real GPT-2 vocabulary), generated on first use.
 */
final class TestModels {
    private static Path smallModel;
    private static Path tempDir;

    private TestModels() {
    }

    /** build/release of the repository (system property gpt2.tools.dir, else found from the working dir). */
    static Path toolsDir() {
        String prop = System.getProperty("gpt2.tools.dir");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop).toAbsolutePath().normalize();
        }
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("native/include/gpt2.h"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("cannot find the repository root (native/include/gpt2.h) above "
                    + Path.of("").toAbsolutePath());
        }
        return dir.resolve("build/release");
    }

    static Path tool(String name) {
        Path p = toolsDir().resolve(name);
        if (!Files.isExecutable(p)) {
            throw new IllegalStateException("native tool " + p + " is missing: build it first with "
                    + "`cmake -S . -B build/release -DCMAKE_BUILD_TYPE=Release && cmake --build build/release -j2` "
                    + "(or run `mvn install` without -Dgpt2.native.skip)");
        }
        return p;
    }

    static synchronized Path tempDir() throws IOException {
        if (tempDir == null) {
            tempDir = Files.createTempDirectory("gpt2-java-test");
            Path d = tempDir;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try (var files = Files.list(d)) {
                    files.forEach(f -> f.toFile().delete());
                } catch (IOException ignored) {
                    // best effort
                }
                d.toFile().delete();
            }));
        }
        return tempDir;
    }

    /** The shared small random model (f32, 2 layers, 2 heads, 64 wide, ctx 128). */
    static synchronized Path smallModel() throws IOException, InterruptedException {
        if (smallModel == null) {
            smallModel = randomModel("small.gguf", "--layers", "2", "--heads", "2", "--embd", "64", "--ctx", "128",
                    "--seed", "7");
        }
        return smallModel;
    }

    static Path randomModel(String fileName, String... args) throws IOException, InterruptedException {
        Path out = tempDir().resolve(fileName);
        List<String> cmd = new ArrayList<>();
        cmd.add(tool("gpt2-random").toString());
        cmd.add(out.toString());
        cmd.addAll(Arrays.asList(args));
        Result r = run(cmd, null);
        if (r.exit != 0) {
            throw new IllegalStateException("gpt2-random failed (" + r.exit + "): " + r.stderr);
        }
        return out;
    }

    /** gpt2-tokenize -m MODEL with TEXT on stdin. */
    static int[] toolTokenize(Path model, String text) throws IOException, InterruptedException {
        Result r = run(List.of(tool("gpt2-tokenize").toString(), "-m", model.toString()),
                text.getBytes(StandardCharsets.UTF_8));
        if (r.exit != 0) {
            throw new IllegalStateException("gpt2-tokenize failed: " + r.stderr);
        }
        return parseIntArray(r.stdout.trim());
    }

    /** The "tokens" array of gpt2-generate --json with the given extra arguments. */
    static int[] toolGenerate(Path model, String prompt, int n, String... extra)
            throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of(tool("gpt2-generate").toString(), "-m", model.toString(),
                "-p", prompt, "-n", Integer.toString(n), "--json", "-t", "1"));
        cmd.addAll(Arrays.asList(extra));
        Result r = run(cmd, null);
        if (r.exit != 0) {
            throw new IllegalStateException("gpt2-generate failed: " + r.stderr);
        }
        Matcher m = Pattern.compile("\"tokens\"\\s*:\\s*(\\[[^\\]]*\\])").matcher(r.stdout);
        if (!m.find()) {
            throw new IllegalStateException("no \"tokens\" in gpt2-generate output: " + r.stdout);
        }
        return parseIntArray(m.group(1));
    }

    static int[] parseIntArray(String json) {
        String body = json.substring(json.indexOf('[') + 1, json.lastIndexOf(']')).trim();
        if (body.isEmpty()) {
            return new int[0];
        }
        return Arrays.stream(body.split(",")).map(String::trim).mapToInt(Integer::parseInt).toArray();
    }

    record Result(int exit, String stdout, String stderr) {
    }

    static Result run(List<String> cmd, byte[] stdin) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Process p = pb.start();
        Thread errReader;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        errReader = new Thread(() -> copy(p.getErrorStream(), err));
        errReader.start();
        if (stdin != null) {
            p.getOutputStream().write(stdin);
        }
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("timeout running " + cmd);
        }
        errReader.join();
        return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8),
                err.toString(StandardCharsets.UTF_8));
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        try {
            in.transferTo(out);
        } catch (IOException ignored) {
            // the process ended
        }
    }
}
