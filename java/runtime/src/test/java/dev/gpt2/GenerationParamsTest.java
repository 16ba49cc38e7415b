package dev.gpt2;

import org.junit.jupiter.api.Test;

import java.util.Collections;
import java.util.List;
import java.util.function.UnaryOperator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GenerationParamsTest {

    private static void rejects(String field, UnaryOperator<GenerationParams.Builder> set) {
        ParameterException e = assertThrows(ParameterException.class,
                () -> set.apply(GenerationParams.builder()).build(), field);
        assertEquals(field, e.field());
        assertTrue(e.getMessage().startsWith(field), e.getMessage());
    }

    private static void accepts(UnaryOperator<GenerationParams.Builder> set) {
        set.apply(GenerationParams.builder()).build();
    }

    @Test
    void defaultsMatchTheContract() {
        GenerationParams p = GenerationParams.defaults();
        assertEquals(32, p.maxNewTokens());
        assertEquals(1.0f, p.temperature());
        assertEquals(0, p.topK());
        assertEquals(1.0f, p.topP());
        assertEquals(0f, p.minP());
        assertEquals(1.0f, p.typicalP());
        assertEquals(1.0f, p.repetitionPenalty());
        assertEquals(0f, p.presencePenalty());
        assertEquals(0f, p.frequencyPenalty());
        assertTrue(p.seed().isEmpty());
        assertEquals(List.of(), p.stop());
        assertEquals(0, p.topNTokens());
        assertEquals(0, p.truncate());
        assertFalse(p.promptLogprobs());
        assertEquals(p, p.toBuilder().build());
        GenerationParams scoring = p.toBuilder().promptLogprobs(true).build();
        assertTrue(scoring.promptLogprobs());
        assertEquals(scoring, scoring.toBuilder().build());
        assertNotEquals(p, scoring);
    }

    @Test
    void everyFieldIsRangeChecked() {
        rejects("maxNewTokens", b -> b.maxNewTokens(-1));
        rejects("maxNewTokens", b -> b.maxNewTokens(1_000_001));
        accepts(b -> b.maxNewTokens(0));   // a scoring-only request
        accepts(b -> b.maxNewTokens(1));
        accepts(b -> b.maxNewTokens(1_000_000));
        rejects("temperature", b -> b.temperature(-0.01f));
        rejects("temperature", b -> b.temperature(100.5f));
        rejects("temperature", b -> b.temperature(Float.NaN));
        rejects("temperature", b -> b.temperature(Float.POSITIVE_INFINITY));
        accepts(b -> b.temperature(0f));
        accepts(b -> b.temperature(100f));
        rejects("topK", b -> b.topK(-1));
        accepts(b -> b.topK(0));
        rejects("topP", b -> b.topP(0f));
        rejects("topP", b -> b.topP(1.5f));
        rejects("topP", b -> b.topP(Float.NaN));
        accepts(b -> b.topP(1f));
        rejects("minP", b -> b.minP(-0.1f));
        rejects("minP", b -> b.minP(1.01f));
        accepts(b -> b.minP(0f));
        accepts(b -> b.minP(1f));
        rejects("typicalP", b -> b.typicalP(0f));
        rejects("typicalP", b -> b.typicalP(1.01f));
        accepts(b -> b.typicalP(0.5f));
        rejects("repetitionPenalty", b -> b.repetitionPenalty(0f));
        rejects("repetitionPenalty", b -> b.repetitionPenalty(10.5f));
        accepts(b -> b.repetitionPenalty(10f));
        rejects("presencePenalty", b -> b.presencePenalty(-2.01f));
        rejects("presencePenalty", b -> b.presencePenalty(2.01f));
        accepts(b -> b.presencePenalty(-2f));
        rejects("frequencyPenalty", b -> b.frequencyPenalty(2.5f));
        rejects("frequencyPenalty", b -> b.frequencyPenalty(Float.NEGATIVE_INFINITY));
        accepts(b -> b.frequencyPenalty(2f));
        rejects("stop", b -> b.stop(Collections.nCopies(17, "x")));
        accepts(b -> b.stop(Collections.nCopies(16, "x")));
        rejects("stop", b -> b.stop(""));
        rejects("stop", b -> b.stop("é".repeat(129)));   // 258 UTF-8 bytes
        accepts(b -> b.stop("é".repeat(128)));           // 256 bytes
        rejects("topNTokens", b -> b.topNTokens(-1));
        rejects("topNTokens", b -> b.topNTokens(21));
        accepts(b -> b.topNTokens(20));
        rejects("truncate", b -> b.truncate(-1));
        accepts(b -> b.seed(-1L));
    }

    @Test
    void messageNamesTheRange() {
        ParameterException e = assertThrows(ParameterException.class,
                () -> GenerationParams.builder().topP(1.5f).build());
        assertEquals("topP must be in (0, 1], got 1.5", e.getMessage());
    }

    @Test
    void modelOptionsAreValidated() {
        ModelOptions d = ModelOptions.defaults();
        assertEquals(new ModelOptions(0, 0, 8, 64, 512, "cpu", false, 8, 256, 0, null, "auto"), d);
        assertEquals("batchSlots",
                assertThrows(ParameterException.class, () -> d.toBuilder().batchSlots(0).build()).field());
        assertEquals("threads",
                assertThrows(ParameterException.class, () -> d.toBuilder().threads(-1).build()).field());
        assertEquals("contextSize",
                assertThrows(ParameterException.class, () -> d.toBuilder().contextSize(-5).build()).field());
        assertEquals("queueCapacity",
                assertThrows(ParameterException.class, () -> d.toBuilder().queueCapacity(-1).build()).field());
        assertEquals("batchTokens",
                assertThrows(ParameterException.class, () -> d.toBuilder().batchTokens(4).build()).field());
        assertEquals("device",
                assertThrows(ParameterException.class, () -> d.toBuilder().device("gpu").build()).field());
        assertEquals("device",
                assertThrows(ParameterException.class, () -> d.toBuilder().device("cuda:").build()).field());
        assertEquals("device",
                assertThrows(ParameterException.class, () -> d.toBuilder().device(null).build()).field());
        assertEquals("cuda:7", d.toBuilder().device("cuda:7").build().device());
        assertEquals(7, d.toBuilder().device("cuda:7").build().deviceIndex());
        assertEquals(1, d.toBuilder().device("cuda").build().deviceKind());
        assertEquals(0, d.toBuilder().device("cpu").build().deviceKind());
    }
}
