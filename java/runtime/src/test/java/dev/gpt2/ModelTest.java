package dev.gpt2;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Loading, model info, tokenizer parity with the native tool, and errors through the real library. */
class ModelTest {
    private static Path path;
    private static Gpt2Model model;

    @BeforeAll
    static void load() throws Exception {
        path = TestModels.smallModel();
        model = Gpt2Model.load(path, ModelOptions.builder().threads(1).batchSlots(2).build());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void infoDescribesTheRandomModel() throws Exception {
        ModelInfo info = model.info();
        assertEquals(path.toString(), info.path());
        assertTrue(info.randomWeights(), info.description());
        assertEquals("f32", info.type());
        assertEquals(50257, info.vocabSize());
        assertEquals(128, info.trainContextSize());
        assertEquals(128, info.contextSize());
        assertEquals(64, info.embeddingSize());
        assertEquals(2, info.layers());
        assertEquals(2, info.heads());
        assertEquals(1, info.threads());
        assertEquals(2, info.batchSlots());
        assertEquals(64, info.queueCapacity());
        assertEquals(Files.size(path), info.fileSizeBytes());
        assertTrue(info.parameterCount() > 50257L * 64, "parameters: " + info.parameterCount());
        assertFalse(info.buildInfo().isEmpty());
        assertEquals(Gpt2Model.RUNTIME_VERSION, info.runtimeVersion());
        assertEquals(50256, model.eosToken());
        assertTrue(model.isSpecial(50256));
        assertFalse(model.isSpecial(15496));
    }

    @Test
    void contextSizeOptionIsApplied() throws Exception {
        try (Gpt2Model m = Gpt2Model.load(path, ModelOptions.builder().contextSize(64).threads(1).build())) {
            assertEquals(64, m.info().contextSize());
        }
    }

    @Test
    void contextLargerThanTheModelsIsANativeError() {
        Gpt2Exception e = assertThrows(Gpt2Exception.class,
                () -> Gpt2Model.load(path, ModelOptions.builder().contextSize(4096).build()));
        assertTrue(e.status() < 0, "status " + e.status());
    }

    @Test
    void missingFileIsAGpt2ExceptionWithTheNativeMessage() {
        Path missing = path.resolveSibling("does-not-exist.gguf");
        Gpt2Exception e = assertThrows(Gpt2Exception.class, () -> Gpt2Model.load(missing));
        assertEquals(-2, e.status(), e.getMessage());   // GPT2_ERR_IO
        assertTrue(e.getMessage().contains("does-not-exist.gguf"), e.getMessage());
    }

    @Test
    void corruptFileIsAGpt2ExceptionNotACrash() throws Exception {
        Path bad = TestModels.tempDir().resolve("corrupt.gguf");
        byte[] good = Files.readAllBytes(path);
        // a valid header followed by garbage where the metadata should be
        byte[] corrupt = new byte[4096];
        System.arraycopy(good, 0, corrupt, 0, 16);
        for (int i = 16; i < corrupt.length; i++) {
            corrupt[i] = (byte) (i * 31 + 7);
        }
        Files.write(bad, corrupt);
        Gpt2Exception e = assertThrows(Gpt2Exception.class, () -> Gpt2Model.load(bad));
        assertEquals(-3, e.status(), e.getMessage());   // GPT2_ERR_FORMAT
        assertTrue(e.getMessage().contains("GPT2_ERR_FORMAT"), e.getMessage());

        Path text = TestModels.tempDir().resolve("not-a-model.gguf");
        Files.writeString(text, "hello, I am not a GGUF file");
        Gpt2Exception e2 = assertThrows(Gpt2Exception.class, () -> Gpt2Model.load(text));
        assertEquals(-3, e2.status(), e2.getMessage());
    }

    @Test
    void tokenizeMatchesTheNativeTool() throws Exception {
        List<String> texts = List.of("Hello world", "  leading spaces and\ttabs\nnewlines\n\n",
                "It's 2024: GPT-2's tokenizer don't split 'll 've 're", "😀🎉 emoji 👩‍👩‍👧 family",
                "中文字符和日本語のテキスト", "Ünïcödé àccents — dashes … ellipsis",
                "<|endoftext|> is plain text here", "");
        for (String t : texts) {
            assertArrayEquals(TestModels.toolTokenize(path, t), model.tokenize(t), "text: " + t);
        }
        assertArrayEquals(new int[] {15496, 995}, model.tokenize("Hello world"));
    }

    @Test
    void specialTokensOnlyWhenAsked() {
        assertArrayEquals(new int[] {50256}, model.tokenize("<|endoftext|>", true));
        assertTrue(model.tokenize("<|endoftext|>", false).length > 1);
    }

    @Test
    void detokenizeRoundTripsAndReplacesBrokenUtf8() {
        String text = "round trip: 中文 😀 ünïcödé";
        assertEquals(text, model.detokenize(model.tokenize(text)));
        int[] emoji = model.tokenize("😀");
        assertTrue(emoji.length > 1, "😀 should span byte tokens");
        // the first token alone is part of a 4-byte character: it decodes to U+FFFD
        assertTrue(model.detokenize(new int[] {emoji[0]}).contains("\uFFFD"));
        byte[] all = new byte[0];
        for (int t : emoji) {
            byte[] b = model.tokenBytes(t);
            byte[] n = new byte[all.length + b.length];
            System.arraycopy(all, 0, n, 0, all.length);
            System.arraycopy(b, 0, n, all.length, b.length);
            all = n;
        }
        assertArrayEquals("😀".getBytes(StandardCharsets.UTF_8), all);
    }

    @Test
    void badTokenIdIsRejected() {
        Gpt2Exception e = assertThrows(Gpt2Exception.class, () -> model.tokenBytes(1_000_000));
        assertEquals(-1, e.status());
        assertThrows(ParameterException.class, () -> model.generate(new int[] {-3}, GenerationParams.greedy(1)));
    }

    @Test
    void closedModelRefusesCalls() throws Exception {
        Gpt2Model m = Gpt2Model.load(path, ModelOptions.builder().threads(1).build());
        assertEquals(2, m.tokenize("Hello world").length);
        m.close();
        m.close();   // idempotent
        assertThrows(ModelClosedException.class, () -> m.tokenize("Hello"));
        assertThrows(ModelClosedException.class, () -> m.generate("Hello", GenerationParams.greedy(2)));
        assertThrows(ModelClosedException.class, () -> m.detokenize(new int[] {1}));
    }
}
