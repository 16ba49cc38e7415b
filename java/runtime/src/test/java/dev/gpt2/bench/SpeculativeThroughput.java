package dev.gpt2.bench;

import dev.gpt2.EngineStats;
import dev.gpt2.Generation;
import dev.gpt2.GenerationListener;
import dev.gpt2.GenerationParams;
import dev.gpt2.GenerationResult;
import dev.gpt2.Gpt2Model;
import dev.gpt2.ModelOptions;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Speculative decoding's effect (a measurement, not a test): the same greedy requests through the engine without
 * and with prompt-lookup speculation, STREAMS at a time; prints generated tokens per second of each, the speed-up,
 * the drafted and accepted tokens and the acceptance rate, and checks that the outputs are identical. On a trained
 * model greedy GPT-2 loops, so most drafts are accepted; on a random-weights model with sampling (temperature 1)
 * the drafts fail and the figure is the mechanical overhead.
 *
 * <pre>
 * mvn -f java/runtime/pom.xml -q -Dgpt2.native.skip=true test-compile exec:java -Dexec.classpathScope=test \
 *   -Dexec.mainClass=dev.gpt2.bench.SpeculativeThroughput \
 *   -Dexec.args="MODEL.gguf [tokens=200] [streams=1] [draft=8] [threads=2] [temperature=0] [rounds=3] [DRAFT.gguf]"
 * </pre>
 * With DRAFT.gguf the drafts come from that draft model instead of prompt lookup (a random draft model for a random
 * target: nearly every draft is rejected, so the figure is the overhead of drafting and verifying in vain).
 */
public final class SpeculativeThroughput {
    private static final String[] PROMPTS = {
        "ROMEO:\nBut soft, what light through yonder window breaks?",
        "First Citizen:\nBefore we proceed any further, hear me speak.",
        "KING RICHARD III:\nNow is the winter of our discontent",
        "JULIET:\nO Romeo, Romeo! wherefore art thou Romeo?",
    };

    private SpeculativeThroughput() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: SpeculativeThroughput MODEL.gguf [tokens=200] [streams=1] [draft=8] [threads=2]"
                    + " [temperature=0] [rounds=3] [DRAFT.gguf]");
            System.exit(2);
        }
        Path path = Path.of(args[0]);
        int tokens = args.length > 1 ? Integer.parseInt(args[1]) : 200;
        int streams = args.length > 2 ? Integer.parseInt(args[2]) : 1;
        int draft = args.length > 3 ? Integer.parseInt(args[3]) : 8;
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : 2;
        float temperature = args.length > 5 ? Float.parseFloat(args[5]) : 0f;
        int rounds = args.length > 6 ? Integer.parseInt(args[6]) : 3;
        Path draftModel = args.length > 7 ? Path.of(args[7]) : null;
        ModelOptions options = ModelOptions.builder().threads(threads).batchSlots(streams).draftModel(draftModel)
                .build();
        try (Gpt2Model model = Gpt2Model.load(path, options)) {
            int room = model.info().contextSize() - 24;
            int n = Math.min(tokens, room);
            System.out.printf("model %s: %d layers, %d wide, %s, ctx %d, %d threads; %d tokens x %d prompts, %d "
                            + "stream(s), temperature %s, draft <= %d from %s%n", path, model.info().layers(),
                    model.info().embeddingSize(), model.info().type(), model.info().contextSize(),
                    model.info().threads(), n, PROMPTS.length, streams, temperature, draft,
                    draftModel == null ? "prompt lookup" : draftModel);
            model.generate("Warm up", GenerationParams.greedy(8));
            double bestPlain = 0, bestSpec = 0;
            long drafted = 0, accepted = 0;
            boolean same = true;
            for (int round = 0; round < rounds; round++) {   // alternate, best of ROUNDS each (noisy shared host)
                Run plain = run(model, n, 0, temperature, streams);
                EngineStats before = model.stats();
                Run spec = run(model, n, draft, temperature, streams);
                EngineStats after = model.stats();
                drafted = after.draftedTokens() - before.draftedTokens();
                accepted = after.acceptedDraftTokens() - before.acceptedDraftTokens();
                bestPlain = Math.max(bestPlain, plain.tokensPerSecond);
                bestSpec = Math.max(bestSpec, spec.tokensPerSecond);
                same &= temperature > 0 || Arrays.deepEquals(plain.tokens, spec.tokens);
            }
            System.out.printf("plain:       %8.1f tokens/s%n", bestPlain);
            System.out.printf("speculative: %8.1f tokens/s (%.2fx)%n", bestSpec, bestSpec / bestPlain);
            System.out.printf("drafted %d, accepted %d (acceptance %.1f%%), %.2f drafted per generated token%n",
                    drafted, accepted, drafted == 0 ? 0.0 : 100.0 * accepted / drafted,
                    (double) drafted / (n * PROMPTS.length));
            if (temperature == 0) {
                System.out.println(same ? "greedy outputs identical" : "GREEDY OUTPUTS DIFFER");
            }
        }
    }

    private record Run(double tokensPerSecond, int[][] tokens) {
    }

    private static Run run(Gpt2Model model, int n, int draft, float temperature, int streams) throws Exception {
        GenerationParams.Builder b = GenerationParams.builder().temperature(temperature).maxNewTokens(n)
                .ignoreEos(true).speculate(draft).seed(42);
        long t0 = System.nanoTime();
        List<Generation> gens = new ArrayList<>();
        for (String p : PROMPTS) {
            gens.add(model.submit(p, b.build(), new GenerationListener() { }));
        }
        int[][] out = new int[PROMPTS.length][];
        long generated = 0;
        for (int i = 0; i < gens.size(); i++) {
            GenerationResult r = gens.get(i).result().get();
            out[i] = r.tokenIds();
            generated += r.generatedTokens();
        }
        return new Run(generated / ((System.nanoTime() - t0) / 1e9), out);
    }
}
