package dev.gpt2;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ModelOptions.kvCacheType reaches the native context: "auto" resolves to the model's default, "q8_0" gives q8_0
 * caches whose prompt scores are close to the f16 caches' but not the same bits (so the option really changed the
 * cache), the prompt cache serves q8_0 prefixes (a hit gives the tokens a miss gives), and a bad name is a
 * ParameterException naming the field.
 */
class KvCacheTypeTest {
    private static final String TEXT = "It was the best of times, it was the worst of times, it was the age of wisdom,"
            + " it was the age of foolishness, it was the epoch of belief, it was the epoch of incredulity.";

    private static GenerationParams scoring() {
        return GenerationParams.builder().maxNewTokens(0).promptLogprobs(true).build();
    }

    private static double nll(GenerationResult r) {
        double sum = 0;
        for (PromptToken t : r.promptLogprobs().subList(1, r.promptLogprobs().size())) {
            sum -= t.logprob();
        }
        return sum;
    }

    @Test
    void q8_0CachesScoreCloseToF16AndServeThePromptCache() throws Exception {
        Path file = TestModels.smallModel();
        GenerationResult f16;
        try (Gpt2Model model = Gpt2Model.load(file, ModelOptions.builder().threads(1).promptCacheMb(0)
                .kvCacheType("f16").build())) {
            assertEquals("f16", model.info().kvCacheType());
            f16 = model.generate(TEXT, scoring());
        }
        try (Gpt2Model model = Gpt2Model.load(file, ModelOptions.builder().threads(2).kvCacheType("q8_0").build())) {
            assertEquals("q8_0", model.info().kvCacheType());
            GenerationResult q8 = model.generate(TEXT, scoring());
            double a = nll(f16), b = nll(q8);
            assertTrue(a != b, "the q8_0 cache must change the scores a little: " + a);
            // measured on this model: 2e-4 of the sum; bound 1 %
            assertEquals(a, b, 0.01 * a, "summed prompt nll, f16 vs q8_0 caches");
            GenerationParams greedy = GenerationParams.builder().temperature(0).maxNewTokens(12).ignoreEos(true)
                    .build();
            GenerationResult first = model.generate(TEXT, greedy);
            long hits = model.stats().promptCacheHits();
            GenerationResult again = model.generate(TEXT, greedy);
            assertTrue(model.stats().promptCacheHits() > hits, model.stats().toString());
            assertArrayEquals(first.tokenIds(), again.tokenIds());
            assertEquals(12, again.generatedTokens());
        }
    }

    @Test
    void autoIsTheModelsDefaultAndNamesAreChecked() throws Exception {
        try (Gpt2Model model = Gpt2Model.load(TestModels.smallModel(), ModelOptions.builder().threads(1).build())) {
            assertEquals("f32", model.info().kvCacheType());   // an f32 model keeps f32 caches
        }
        Path f16 = TestModels.randomModel("kv-f16.gguf", "--layers", "1", "--heads", "2", "--embd", "64", "--ctx", "64",
                "--type", "f16", "--seed", "3");
        try (Gpt2Model model = Gpt2Model.load(f16, ModelOptions.builder().threads(1).build())) {
            assertEquals("f16", model.info().kvCacheType());
        }
        try (Gpt2Model model = Gpt2Model.load(f16, ModelOptions.builder().threads(1).kvCacheType("q8_0").build())) {
            assertEquals("q8_0", model.info().kvCacheType());
            assertFalse(model.generate("Hello", GenerationParams.greedy(4)).text().isEmpty());
        }
        ParameterException e = assertThrows(ParameterException.class,
                () -> ModelOptions.builder().kvCacheType("q4_0").build());
        assertEquals("kvCacheType", e.field());
        assertTrue(e.getMessage().contains("q8_0"), e.getMessage());
        assertThrows(ParameterException.class, () -> ModelOptions.builder().kvCacheType(null).build());
    }
}
