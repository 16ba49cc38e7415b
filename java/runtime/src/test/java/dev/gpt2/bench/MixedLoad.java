package dev.gpt2.bench;

import dev.gpt2.Generation;
import dev.gpt2.GenerationListener;
import dev.gpt2.GenerationParams;
import dev.gpt2.Gpt2Model;
import dev.gpt2.ModelOptions;
import dev.gpt2.StreamEvent;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Latency under mixed load (not a test): STREAMS greedy streams decode; their inter-token gaps are recorded for a
 * quiet window, then a PROMPT-token prompt arrives and the gaps are recorded until its first token. Prints the p50
 * and p99 inter-token latency of both windows and their ratio (chunked prefill keeps it low; the chunk size is the
 * third argument).
 *
 * <pre>
 * mvn -f java/runtime/pom.xml -q -Dgpt2.native.skip=true test-compile exec:java \
 *   -Dexec.classpathScope=test -Dexec.mainClass=dev.gpt2.bench.MixedLoad \
 *   -Dexec.args="/tmp/m.gguf [streams=7] [chunk=32] [prompt=1000] [threads=0]"
 * </pre>
 */
public final class MixedLoad {
    private MixedLoad() {
    }

    /** Records each stream's inter-token gaps (ms) into the current window's list (none between windows). */
    private static final class Gaps implements GenerationListener {
        static volatile List<Double> window;
        private long last;

        @Override
        public void onToken(StreamEvent event) {
            long now = System.nanoTime();
            List<Double> w = window;
            if (w != null && last != 0) {
                synchronized (w) {
                    w.add((now - last) / 1e6);
                }
            }
            last = now;
        }
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: MixedLoad MODEL.gguf [streams=7] [chunk=32] [prompt=1000] [threads=0]");
            System.exit(2);
        }
        Path path = Path.of(args[0]);
        int streams = args.length > 1 ? Integer.parseInt(args[1]) : 7;
        int chunk = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        int promptLen = args.length > 3 ? Integer.parseInt(args[3]) : 1000;
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : 0;
        ModelOptions options = ModelOptions.builder().threads(threads).batchSlots(streams + 1)
                .prefillChunkTokens(chunk).batchTokens(Math.max(512, streams + 1)).build();
        try (Gpt2Model model = Gpt2Model.load(path, options)) {
            int nCtx = model.info().contextSize();
            promptLen = Math.min(promptLen, nCtx - 2);
            System.out.printf("model %s, ctx %d, %d threads, %d streams, prefill chunk %d, prompt %d tokens%n", path,
                    nCtx, model.info().threads(), streams, chunk, promptLen);
            GenerationParams forever = GenerationParams.builder().temperature(0).maxNewTokens(nCtx - 8)
                    .ignoreEos(true).build();
            List<Generation> running = new ArrayList<>();
            for (int i = 0; i < streams; i++) {
                running.add(model.submit(new int[] {100 + i, 200 + i}, forever, new Gaps()));
            }
            Thread.sleep(500);                       // every stream decoding
            List<Double> quiet = new ArrayList<>(), mixed = new ArrayList<>();
            Gaps.window = quiet;
            Thread.sleep(3000);
            int[] prompt = new int[promptLen];
            for (int i = 0; i < promptLen; i++) {
                prompt[i] = (i * 7919 + 13) % 50000;
            }
            Gaps.window = mixed;
            long t0 = System.nanoTime();
            model.submit(prompt, GenerationParams.greedy(1), new GenerationListener() {
            }).result().join();
            double prefillMs = (System.nanoTime() - t0) / 1e6;
            Gaps.window = null;
            running.forEach(Generation::cancel);
            print("quiet", quiet);
            print("while a " + promptLen + "-token prompt is prefilled (" + String.format("%.0f", prefillMs)
                    + " ms to its token)", mixed);
            System.out.printf("p99 ratio: %.2f (target <= 2)%n", pct(mixed, 0.99) / pct(quiet, 0.99));
        }
    }

    private static double pct(List<Double> xs, double p) {
        double[] a = xs.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(a);
        return a.length == 0 ? Double.NaN : a[Math.min(a.length - 1, (int) Math.ceil(p * a.length) - 1)];
    }

    private static void print(String what, List<Double> gaps) {
        System.out.printf("inter-token latency %s: p50 %.1f ms, p99 %.1f ms (%d gaps)%n", what, pct(gaps, 0.5),
                pct(gaps, 0.99), gaps.size());
    }
}
