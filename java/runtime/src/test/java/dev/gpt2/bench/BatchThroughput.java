package dev.gpt2.bench;

import dev.gpt2.GenerationListener;
import dev.gpt2.GenerationParams;
import dev.gpt2.GenerationResult;
import dev.gpt2.Generation;
import dev.gpt2.Gpt2Model;
import dev.gpt2.ModelOptions;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Throughput measurement (not a test): N concurrent greedy streams through the continuous-batching engine versus
 * one stream, on the same model. Prints generated tokens per second for each.
 *
 * <pre>
 * mvn -f java/runtime/pom.xml -q -Dgpt2.native.skip=true test-compile exec:java \
 *   -Dexec.classpathScope=test -Dexec.mainClass=dev.gpt2.bench.BatchThroughput \
 *   -Dexec.args="/tmp/m.gguf [streams=8] [tokens=64] [threads=0]"
 * </pre>
 */
public final class BatchThroughput {
    private BatchThroughput() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: BatchThroughput MODEL.gguf [streams=8] [tokens=64] [threads=0]");
            System.exit(2);
        }
        Path path = Path.of(args[0]);
        int streams = args.length > 1 ? Integer.parseInt(args[1]) : 8;
        int tokens = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        int threads = args.length > 3 ? Integer.parseInt(args[3]) : 0;
        ModelOptions options = ModelOptions.builder().threads(threads).batchSlots(streams)
                .queueCapacity(Math.max(64, streams)).build();
        try (Gpt2Model model = Gpt2Model.load(path, options)) {
            System.out.printf("model %s: %d layers, %d wide, %s, ctx %d, %d threads, %s%n", path,
                    model.info().layers(), model.info().embeddingSize(), model.info().type(),
                    model.info().contextSize(), model.info().threads(), model.info().buildInfo());
            GenerationParams params = GenerationParams.builder().temperature(0).maxNewTokens(tokens)
                    .ignoreEos(true).build();
            model.generate("Warm up the caches", GenerationParams.greedy(8));

            double single = run(model, params, 1);
            double batched = run(model, params, streams);
            System.out.printf("1 stream:  %8.1f tokens/s%n", single);
            System.out.printf("%d streams: %8.1f tokens/s aggregate (%.2fx)%n", streams, batched, batched / single);
        }
    }

    private static double run(Gpt2Model model, GenerationParams params, int streams) {
        long t0 = System.nanoTime();
        List<Generation> gens = new ArrayList<>();
        for (int i = 0; i < streams; i++) {
            gens.add(model.submit("Stream number " + i + " says", params, new GenerationListener() { }));
        }
        long generated = 0;
        double ttft = 0;
        for (Generation g : gens) {
            GenerationResult r = g.result().join();
            generated += r.generatedTokens();
            ttft += r.timings().timeToFirstTokenMs();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        System.out.printf("  %d stream(s): %d tokens in %.2f s, mean time to first token %.1f ms%n", streams,
                generated, seconds, ttft / streams);
        return generated / seconds;
    }
}
