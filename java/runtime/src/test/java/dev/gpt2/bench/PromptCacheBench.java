package dev.gpt2.bench;

import dev.gpt2.EngineStats;
import dev.gpt2.GenerationParams;
import dev.gpt2.GenerationResult;
import dev.gpt2.Gpt2Model;
import dev.gpt2.ModelOptions;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * The prompt cache's effect on time to first token (not a test): a prompt of SHARED tokens that an earlier request
 * already computed plus NEW tokens of its own, against the same prompt length with nothing cached. Each round uses
 * a fresh shared prefix: first a SHARED + NEW request (uncached: a miss), then SHARED + NEW other tokens (cached:
 * the first one's snapshot serves SHARED). Prints the median time to first token of both and their ratio.
 *
 * <pre>
 * mvn -f java/runtime/pom.xml -q -Dgpt2.native.skip=true test-compile exec:java \
 *   -Dexec.classpathScope=test -Dexec.mainClass=dev.gpt2.bench.PromptCacheBench \
 *   -Dexec.args="/tmp/m.gguf [shared=900] [new=20] [threads=2] [rounds=5]"
 * </pre>
 */
public final class PromptCacheBench {
    private PromptCacheBench() {
    }

    private static int[] prompt(int round, int shared, int fresh, int variant) {
        int[] p = new int[shared + fresh];
        for (int i = 0; i < p.length; i++) {
            long k = i < shared ? (long) i * 7919 + round * 104_729L + 11 : (long) i * 389 + variant * 65_537L + 3;
            p[i] = (int) Math.floorMod(k, 50_000L);
        }
        return p;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: PromptCacheBench MODEL.gguf [shared=900] [new=20] [threads=2] [rounds=5]");
            System.exit(2);
        }
        Path path = Path.of(args[0]);
        int shared = args.length > 1 ? Integer.parseInt(args[1]) : 900;
        int fresh = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 2;
        int rounds = args.length > 4 ? Integer.parseInt(args[4]) : 5;
        GenerationParams one = GenerationParams.builder().temperature(0).maxNewTokens(1).build();
        try (Gpt2Model model = Gpt2Model.load(path, ModelOptions.builder().threads(threads).batchSlots(2).build())) {
            if (shared + fresh >= model.info().contextSize()) {   // a short-context model: as much as fits
                shared = model.info().contextSize() - fresh - 1;
                System.out.printf("the context holds %d tokens: %d shared%n", model.info().contextSize(), shared);
            }
            model.generate(prompt(-1, Math.min(64, shared), 8, 0), one);   // warm-up (JIT, buffers)
            double[] uncached = new double[rounds];
            double[] cached = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                GenerationResult miss = model.generate(prompt(r, shared, fresh, 1), one);
                GenerationResult hit = model.generate(prompt(r, shared, fresh, 2), one);
                uncached[r] = miss.timings().timeToFirstTokenMs();
                cached[r] = hit.timings().timeToFirstTokenMs();
                System.out.printf("round %d: uncached %.1f ms, cached %.1f ms%n", r, uncached[r], cached[r]);
            }
            EngineStats s = model.stats();
            double u = median(uncached);
            double c = median(cached);
            System.out.printf("%s, %d threads, prompt %d shared + %d new tokens: time to first token median "
                            + "uncached %.1f ms, cached %.1f ms = %.1f%% of uncached%n", path.getFileName(), threads,
                    shared, fresh, u, c, 100 * c / u);
            System.out.printf("prompt cache: %d hits, %d misses, %d tokens reused, %.1f MiB held%n",
                    s.promptCacheHits(), s.promptCacheMisses(), s.promptCacheReusedTokens(),
                    s.promptCacheBytes() / 1048576.0);
        }
    }
}
