package dev.gpt2;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Draft-model speculation: greedy output is the plain output whatever the draft model (the target itself, so every
 * draft must be accepted: the draft cache stays in sync with the accepted text; and a one-layer random model, whose
 * drafts are mostly rejected), alone and amid batch mates, f32 and q8_0, with a context that ends inside a draft;
 * seeded sampling gives the tokens it gives without drafts; a draft model of another vocabulary is refused naming the token that differs.
 */
class DraftModelTest {
    private static final int N = 4;

    private static Path target(String type) throws Exception {
        return TestModels.randomModel("draft-target-" + type + ".gguf", "--layers", "2", "--heads", "2", "--embd",
                "64", "--ctx", "128", "--seed", "21", "--type", type);
    }

    private static Path smallDraft() throws Exception {
        return TestModels.randomModel("draft-small.gguf", "--layers", "1", "--heads", "2", "--embd", "32", "--ctx",
                "128", "--seed", "22");
    }

    private static int[] prompt(int i) {
        int[] p = new int[5 + 9 * i];
        for (int j = 0; j < p.length; j++) {
            p[j] = (j * 1237 + i * 6007 + 3) % 50000;
        }
        return p;
    }

    private static GenerationResult[] run(Path file, ModelOptions options, GenerationParams params) throws Exception {
        try (Gpt2Model model = Gpt2Model.load(file, options)) {
            List<Generation> gens = new ArrayList<>();
            for (int i = 0; i < N; i++) {
                gens.add(model.submit(prompt(i), params, new GenerationListener() {
                }));
            }
            GenerationResult[] out = new GenerationResult[N];
            for (int i = 0; i < N; i++) {
                out[i] = gens.get(i).result().get(120, TimeUnit.SECONDS);
            }
            return out;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"f32", "q8_0"})
    void greedyOutputIsThePlainOutput(String type) throws Exception {
        Path target = target(type);
        GenerationParams.Builder greedy = GenerationParams.builder().temperature(0).maxNewTokens(40).ignoreEos(true);
        ModelOptions alone = ModelOptions.builder().threads(1).batchSlots(1).build();
        GenerationResult[] plain = run(target, alone, greedy.speculate(0).build());
        // the target as its own draft model: every greedy draft is the target's argmax, so all are accepted
        GenerationResult[] self = run(target, alone.toBuilder().draftModel(target).build(),
                greedy.speculate(5).build());
        // a small random draft model, four sequences at once in a batch that clamps the drafts
        GenerationResult[] small = run(target, ModelOptions.builder().threads(2).batchSlots(4).batchTokens(10)
                .draftModel(smallDraft()).build(), greedy.speculate(4).build());
        long selfDrafted = 0, smallDrafted = 0;
        for (int i = 0; i < N; i++) {
            assertArrayEquals(plain[i].tokenIds(), self[i].tokenIds(), type + " request " + i + ", self-draft");
            assertArrayEquals(plain[i].tokenIds(), small[i].tokenIds(), type + " request " + i + ", small draft");
            assertEquals(self[i].speculation().draftedTokens(), self[i].speculation().acceptedTokens());
            selfDrafted += self[i].speculation().draftedTokens();
            smallDrafted += small[i].speculation().draftedTokens();
        }
        assertTrue(selfDrafted >= N * 20L, "self-draft drafted " + selfDrafted);
        assertTrue(smallDrafted > 0);
    }

    @Test
    void theContextEndInsideADraftAndSeededSampling() throws Exception {
        Path target = target("f32");
        ModelOptions small = ModelOptions.builder().threads(1).batchSlots(2).contextSize(40).build();
        GenerationParams greedy = GenerationParams.builder().temperature(0).maxNewTokens(100).ignoreEos(true)
                .speculate(0).build();
        GenerationResult[] plain = run(target, small, greedy);
        GenerationResult[] spec = run(target, small.toBuilder().draftModel(target).build(),
                greedy.toBuilder().speculate(16).build());
        for (int i = 0; i < N; i++) {
            assertEquals(FinishReason.CONTEXT_LENGTH, spec[i].finishReason());
            assertArrayEquals(plain[i].tokenIds(), spec[i].tokenIds());
        }
        GenerationParams sampled = GenerationParams.builder().temperature(0.8f).seed(5).maxNewTokens(30)
                .ignoreEos(true).speculate(4).build();
        ModelOptions withDraft = ModelOptions.builder().threads(1).batchSlots(4).draftModel(smallDraft()).build();
        GenerationResult[] a = run(target, withDraft, sampled);
        GenerationResult[] b = run(target, withDraft.toBuilder().batchSlots(1).build(), sampled);
        GenerationResult[] none = run(target, withDraft, sampled.toBuilder().speculate(0).build());
        long drafted = 0;
        for (int i = 0; i < N; i++) {
            assertArrayEquals(none[i].tokenIds(), a[i].tokenIds(), "seeded, with drafts, amid batch mates");
            assertArrayEquals(none[i].tokenIds(), b[i].tokenIds(), "seeded, with drafts, alone");
            drafted += a[i].speculation().draftedTokens();
        }
        assertTrue(drafted > 0);
    }

    @Test
    void aDraftModelOfAnotherVocabularyIsRefused() throws Exception {
        // the GPT-2 vocabulary with the ids of "!" and "\"" swapped: same size, token 0 differs
        Path vocab = TestModels.tempDir().resolve("swapped-vocab");
        Files.createDirectories(vocab);
        Path tokenizer = TestModels.toolsDir().resolve("../../weights/tokenizer").normalize();
        String json = Files.readString(tokenizer.resolve("vocab.json"), StandardCharsets.UTF_8);
        assertTrue(json.startsWith("{\"!\": 0, \"\\\"\": 1,"));
        Files.writeString(vocab.resolve("vocab.json"), "{\"!\": 1, \"\\\"\": 0," + json.substring(17),
                StandardCharsets.UTF_8);
        Files.copy(tokenizer.resolve("merges.txt"), vocab.resolve("merges.txt"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path other = TestModels.randomModel("draft-other-vocab.gguf", "--vocab-dir", vocab.toString());
        ParameterException e = assertThrows(ParameterException.class, () -> Gpt2Model.load(target("f32"),
                ModelOptions.builder().threads(1).draftModel(other).build()));
        assertEquals("draftModel", e.field());
        assertTrue(e.getMessage().contains("token 0 is \""), e.getMessage());
        assertThrows(Gpt2Exception.class, () -> Gpt2Model.load(target("f32"),
                ModelOptions.builder().threads(1).draftModel(Path.of("/nonexistent/draft.gguf")).build()));
    }
}
