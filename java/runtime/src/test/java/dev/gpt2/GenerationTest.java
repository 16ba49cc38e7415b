package dev.gpt2;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Generation through the engine: parity with the native CLI, sampling, streaming, stops and limits. */
class GenerationTest {
    private static Path path;
    private static Gpt2Model model;

    @BeforeAll
    static void load() throws Exception {
        path = TestModels.smallModel();
        model = Gpt2Model.load(path, ModelOptions.builder().threads(1).batchSlots(4).build());
    }

    @AfterAll
    static void close() {
        model.close();
    }

    @Test
    void aLambdaReceivesTheTokens() {
        GenerationParams greedy = GenerationParams.builder().temperature(0f).maxNewTokens(6).ignoreEos(true).build();
        StringBuilder text = new StringBuilder();
        GenerationResult r = model.submit("Hello", greedy, e -> text.append(e.text())).result().join();
        assertEquals(r.text(), text.toString());
        assertEquals(6, r.generatedTokens());
    }

    @Test
    void greedyEqualsTheNativeCli() throws Exception {
        for (String prompt : List.of("Hello world", "The quick brown fox jumps over", "中文 😀")) {
            int[] expected = TestModels.toolGenerate(path, prompt, 24, "--temp", "0");
            GenerationResult r = model.generate(prompt, GenerationParams.greedy(24));
            assertArrayEquals(expected, r.tokenIds(), "prompt: " + prompt);
            assertArrayEquals(model.tokenize(prompt), r.promptTokenIds());
            assertEquals(r.promptTokenIds().length, r.promptTokens());
            assertEquals(r.tokens().size(), r.generatedTokens());
        }
    }

    @Test
    void quantizedModelsEqualTheNativeCli() throws Exception {
        for (String type : List.of("f16", "q8_0", "q4_0")) {
            Path q = TestModels.randomModel("small-" + type + ".gguf", "--layers", "2", "--heads", "2", "--embd", "64",
                    "--ctx", "128", "--seed", "11", "--type", type);
            try (Gpt2Model m = Gpt2Model.load(q, ModelOptions.builder().threads(1).batchSlots(2).build())) {
                assertEquals(type, m.info().type());
                int[] expected = TestModels.toolGenerate(q, "Quantized weights", 16, "--temp", "0");
                assertArrayEquals(expected, m.generate("Quantized weights", GenerationParams.greedy(16)).tokenIds(),
                        type);
            }
        }
    }

    @Test
    void seededSamplingEqualsTheNativeCliAndIsReproducible() throws Exception {
        GenerationParams p = GenerationParams.builder().temperature(0.9f).topK(40).topP(0.95f).seed(1234)
                .maxNewTokens(20).ignoreEos(true).build();
        GenerationResult a = model.generate("Once upon a time", p);
        GenerationResult b = model.generate("Once upon a time", p);
        assertArrayEquals(a.tokenIds(), b.tokenIds());
        assertEquals(a.text(), b.text());
        assertEquals(1234, a.seed());
        int[] cli = TestModels.toolGenerate(path, "Once upon a time", 20, "--temp", "0.9", "--top-k", "40",
                "--top-p", "0.95", "--seed", "1234", "--ignore-eos");
        assertArrayEquals(cli, a.tokenIds());
        GenerationResult c = model.generate("Once upon a time", p.toBuilder().seed(99).build());
        assertFalse(java.util.Arrays.equals(a.tokenIds(), c.tokenIds()), "different seeds gave the same tokens");
    }

    @Test
    void unseededRequestsGetARandomReportedSeed() {
        GenerationParams p = GenerationParams.builder().maxNewTokens(12).ignoreEos(true).build();
        GenerationResult a = model.generate("Seed me", p);
        GenerationResult b = model.generate("Seed me", p);
        assertNotEquals(a.seed(), b.seed());
        GenerationResult again = model.generate("Seed me", p.toBuilder().seed(a.seed()).build());
        assertArrayEquals(a.tokenIds(), again.tokenIds());
    }

    @Test
    void streamingIsOrderedAndUtf8Safe() throws Exception {
        boolean sawPartialToken = false;
        // temperature 100 samples nearly uniformly over the vocabulary, where 344 of 50257 GPT-2 tokens are parts of
        // a multi-byte character: 8 x 96 tokens all but surely include some (and the seeds make it deterministic)
        for (long seed = 1; seed <= 8; seed++) {
            List<StreamEvent> events = new CopyOnWriteArrayList<>();
            GenerationParams p = GenerationParams.builder().temperature(100f).seed(seed).maxNewTokens(96)
                    .ignoreEos(true).build();
            Generation g = model.submit("日本語のテキスト 😀🎉 中文字符", p, new GenerationListener() {
                @Override
                public void onToken(StreamEvent event) {
                    events.add(event);
                }
            });
            GenerationResult r = g.result().get(60, TimeUnit.SECONDS);
            assertEquals(r.tokens().size(), events.size());
            StringBuilder joined = new StringBuilder();
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            for (int i = 0; i < events.size(); i++) {
                StreamEvent e = events.get(i);
                assertEquals(i, e.index());
                assertEquals(r.tokens().get(i), e.token());
                joined.append(e.text());
                byte[] tb = model.tokenBytes(e.token().id());
                bytes.write(tb);
                if (!isValidUtf8(tb)) {
                    sawPartialToken = true;
                }
            }
            assertEquals(r.text(), joined.toString());
            String lossy = new String(bytes.toByteArray(), StandardCharsets.UTF_8);
            if (isValidUtf8(bytes.toByteArray())) {
                // every piece is whole characters: nothing was replaced (a character split between two pieces
                // would have become U+FFFD in the joined text). GPT-2 also has tokens for U+FFFD itself.
                assertEquals(lossy, r.text());
            } else {
                // bytes that are really invalid become U+FFFD (how many per broken sequence is the decoder's
                // choice), but no valid character is split or lost across pieces
                assertEquals(lossy.replace("\uFFFD", ""), r.text().replace("\uFFFD", ""));
            }
        }
        assertTrue(sawPartialToken, "no generated token was a partial UTF-8 character; the test proved nothing");
    }

    private static boolean isValidUtf8(byte[] b) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    @Test
    void maxNewTokensEndsWithLength() {
        GenerationResult r = model.generate("Count", GenerationParams.builder().temperature(0).maxNewTokens(5)
                .ignoreEos(true).build());
        assertEquals(5, r.generatedTokens());
        assertEquals(FinishReason.LENGTH, r.finishReason());
        assertTrue(r.timings().timeToFirstTokenMs() > 0);
        assertTrue(r.timings().promptMs() > 0);
        assertTrue(r.timings().decodeMs() > 0);
    }

    @Test
    void contextFullEndsWithContextLength() {
        int[] prompt = model.tokenize("fill the context");
        GenerationResult r = model.generate("fill the context", GenerationParams.builder().temperature(0)
                .maxNewTokens(1000).ignoreEos(true).build());
        assertEquals(FinishReason.CONTEXT_LENGTH, r.finishReason());
        assertEquals(128 - prompt.length, r.generatedTokens());
    }

    @Test
    void stopStringEndsTheTextBeforeIt() {
        GenerationParams greedy = GenerationParams.builder().temperature(0).maxNewTokens(16).ignoreEos(true).build();
        GenerationResult full = model.generate("Stop test", greedy);
        // pick a stop string from the middle of the greedy text: a piece of the 4th token's text
        String text = full.text();
        String target = full.tokens().get(3).text().strip();
        if (target.isEmpty() || !text.contains(target)) {
            target = text.substring(text.length() / 2, text.length() / 2 + 1);
        }
        int at = text.indexOf(target);
        GenerationResult stopped = model.generate("Stop test", greedy.toBuilder().stop(target).build());
        assertEquals(FinishReason.STOP_SEQUENCE, stopped.finishReason());
        assertEquals(text.substring(0, at), stopped.text());
    }

    @Test
    void promptOverTheContextIsRejected() {
        String longPrompt = "word ".repeat(200);
        ContextOverflowException e = assertThrows(ContextOverflowException.class,
                () -> model.generate(longPrompt, GenerationParams.greedy(4)));
        assertEquals(128, e.contextSize());
        assertEquals(model.tokenize(longPrompt).length, e.promptTokens());
        assertTrue(e.getMessage().contains("n_prompt_tokens") && e.getMessage().contains("n_ctx"), e.getMessage());
        // exactly contextSize tokens is over too (no room for one generated token); contextSize - 1 fits
        int[] tokens = new int[128];
        java.util.Arrays.fill(tokens, 1000);
        assertThrows(ContextOverflowException.class, () -> model.generate(tokens, GenerationParams.greedy(1)));
        GenerationResult r = model.generate(java.util.Arrays.copyOf(tokens, 127), GenerationParams.greedy(5));
        assertEquals(1, r.generatedTokens());
        assertEquals(FinishReason.CONTEXT_LENGTH, r.finishReason());
        // truncate keeps the last N tokens and makes it fit
        GenerationResult t = model.generate(longPrompt, GenerationParams.builder().temperature(0).maxNewTokens(3)
                .truncate(10).build());
        assertEquals(10, t.promptTokens());
        int[] all = model.tokenize(longPrompt);
        assertArrayEquals(java.util.Arrays.copyOfRange(all, all.length - 10, all.length), t.promptTokenIds());
    }

    @Test
    void emptyPromptStartsFromEndOfText() {
        GenerationResult r = model.generate("", GenerationParams.greedy(4));
        assertArrayEquals(new int[] {model.eosToken()}, r.promptTokenIds());
        GenerationResult same = model.generate(new int[] {model.eosToken()}, GenerationParams.greedy(4));
        assertArrayEquals(same.tokenIds(), r.tokenIds());
    }

    @Test
    void topTokensAreReported() {
        GenerationResult r = model.generate("Alternatives", GenerationParams.builder().temperature(0).maxNewTokens(3)
                .topNTokens(5).build());
        for (TokenInfo t : r.tokens()) {
            assertEquals(5, t.top().size());
            assertEquals(t.id(), t.top().get(0).id());   // greedy picks the most likely
            assertEquals(t.logprob(), t.top().get(0).logprob(), 1e-6f);
            assertTrue(t.logprob() <= 0f);
        }
    }

    @Test
    void throwingListenerDoesNotKillTheEngine() throws Exception {
        Generation g = model.submit("boom", GenerationParams.greedy(3), new GenerationListener() {
            @Override
            public void onToken(StreamEvent event) {
                throw new IllegalStateException("listener failure (expected by the test)");
            }

            @Override
            public void onComplete(GenerationResult result) {
                throw new IllegalStateException("listener failure (expected by the test)");
            }
        });
        assertEquals(3, g.result().get(30, TimeUnit.SECONDS).generatedTokens());
        assertEquals(2, model.generate("still alive", GenerationParams.greedy(2)).generatedTokens());
    }

    @Test
    void publisherHonoursDemandAndMatchesGenerate() throws Exception {
        GenerationParams p = GenerationParams.greedy(10);
        GenerationResult expected = model.generate("Flow of tokens", p);
        List<StreamEvent> got = new ArrayList<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        Flow.Subscription[] sub = new Flow.Subscription[1];
        model.stream("Flow of tokens", p).subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                sub[0] = s;
                s.request(1);
            }

            @Override
            public void onNext(StreamEvent item) {
                synchronized (got) {
                    got.add(item);
                }
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onComplete() {
                done.complete(null);
            }
        });
        // only one item requested: the rest waits however long the generation takes
        Thread.sleep(300);
        synchronized (got) {
            assertEquals(1, got.size());
        }
        assertFalse(done.isDone());
        sub[0].request(Long.MAX_VALUE);
        done.get(30, TimeUnit.SECONDS);
        assertEquals(expected.tokens().size(), got.size());
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < got.size(); i++) {
            assertEquals(expected.tokens().get(i), got.get(i).token());
            text.append(got.get(i).text());
        }
        assertEquals(expected.text(), text.toString());
    }

    @Test
    void publisherCancelStopsTheGeneration() throws Exception {
        long cancelledBefore = model.stats().requestsCancelled();
        CompletableFuture<Void> firstItem = new CompletableFuture<>();
        List<Object> afterCancel = new CopyOnWriteArrayList<>();
        model.stream("cancel me", GenerationParams.builder().maxNewTokens(100_000).ignoreEos(true).seed(3).build())
                .subscribe(new Flow.Subscriber<>() {
                    Flow.Subscription s;
                    boolean cancelled;

                    @Override
                    public void onSubscribe(Flow.Subscription s) {
                        this.s = s;
                        s.request(Long.MAX_VALUE);
                    }

                    @Override
                    public void onNext(StreamEvent item) {
                        if (cancelled) {
                            afterCancel.add(item);
                            return;
                        }
                        cancelled = true;
                        s.cancel();
                        firstItem.complete(null);
                    }

                    @Override
                    public void onError(Throwable t) {
                        afterCancel.add(t);
                    }

                    @Override
                    public void onComplete() {
                        afterCancel.add("complete");
                    }
                });
        firstItem.get(30, TimeUnit.SECONDS);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (model.stats().requestsCancelled() == cancelledBefore && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(cancelledBefore + 1, model.stats().requestsCancelled());
        assertEquals(List.of(), afterCancel);
    }

    @Test
    void publisherReportsSubmitFailures() throws Exception {
        CompletableFuture<Throwable> error = new CompletableFuture<>();
        model.stream("word ".repeat(300), GenerationParams.greedy(2)).subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                s.request(1);
            }

            @Override
            public void onNext(StreamEvent item) {
                error.complete(new AssertionError("unexpected item"));
            }

            @Override
            public void onError(Throwable t) {
                error.complete(t);
            }

            @Override
            public void onComplete() {
                error.complete(new AssertionError("unexpected completion"));
            }
        });
        assertTrue(error.get(10, TimeUnit.SECONDS) instanceof ContextOverflowException);
    }
}
