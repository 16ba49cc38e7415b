package dev.gpt2.langchain4j;

import java.nio.file.Path;
import java.util.Objects;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

import dev.gpt2.GenerationListener;
import dev.gpt2.GenerationParams;
import dev.gpt2.GenerationResult;
import dev.gpt2.Gpt2Model;
import dev.gpt2.ModelOptions;
import dev.gpt2.StreamEvent;
import dev.langchain4j.model.StreamingResponseHandler;
import dev.langchain4j.model.language.LanguageModel;
import dev.langchain4j.model.language.StreamingLanguageModel;
import dev.langchain4j.model.output.FinishReason;
import dev.langchain4j.model.output.Response;
import dev.langchain4j.model.output.TokenUsage;

/**
 * LangChain4j's {@link LanguageModel} and {@link StreamingLanguageModel} over a {@link Gpt2Model} in this process:
 * no server, no HTTP. Generations share the model's continuous-batching engine, so concurrent calls run together.
 * <pre>{@code
 * try (Gpt2LanguageModel gpt2 = Gpt2LanguageModel.builder()
 *         .modelPath(Path.of("weights/models/gpt2-q8_0.gguf"))
 *         .maxNewTokens(32).temperature(0.8f).seed(42)
 *         .build()) {
 *     Response<String> answer = gpt2.generate("The meaning of life is");
 *     gpt2.generate("Once upon a time", new StreamingResponseHandler<>() {
 *         public void onNext(String token) { System.out.print(token); }
 *         public void onError(Throwable error) { error.printStackTrace(); }
 *     });
 * }
 * }</pre>
 * Streaming callbacks run on a virtual thread of their own per generation (never on the engine thread), in order;
 * {@code onNext} gets each newly emittable piece of text (never broken UTF-8 nor a partial stop string).
 */
public final class Gpt2LanguageModel implements LanguageModel, StreamingLanguageModel, AutoCloseable {
    private final Gpt2Model model;
    private final boolean ownsModel;
    private final GenerationParams defaults;

    private Gpt2LanguageModel(Gpt2Model model, boolean ownsModel, GenerationParams defaults) {
        this.model = model;
        this.ownsModel = ownsModel;
        this.defaults = defaults;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The generation parameters every call uses. */
    public GenerationParams defaults() {
        return defaults;
    }

    /** The underlying model (for tokenizing, {@link Gpt2Model#info()}, or generations with other parameters). */
    public Gpt2Model model() {
        return model;
    }

    @Override
    public Response<String> generate(String prompt) {
        return response(model.generate(Objects.requireNonNull(prompt, "prompt"), defaults));
    }

    @Override
    public void generate(String prompt, StreamingResponseHandler<String> handler) {
        Objects.requireNonNull(prompt, "prompt");
        Objects.requireNonNull(handler, "handler");
        // the engine thread only enqueues; the handler runs on a virtual thread of this generation, so a slow
        // handler slows this stream alone
        BlockingQueue<Object> events = new LinkedBlockingQueue<>();
        try {
            model.submit(prompt, defaults, new GenerationListener() {
                @Override
                public void onToken(StreamEvent event) {
                    events.add(event);
                }

                @Override
                public void onComplete(GenerationResult result) {
                    events.add(result);
                }

                @Override
                public void onError(Throwable error) {
                    events.add(error);
                }
            });
        } catch (RuntimeException e) {
            events.add(e);   // a full queue, a prompt that cannot fit, a closed model: LangChain4j reports in onError
        }
        Thread.ofVirtual().name("gpt2-langchain4j-stream").start(() -> deliver(events, handler));
    }

    private static void deliver(BlockingQueue<Object> events, StreamingResponseHandler<String> handler) {
        try {
            while (true) {
                Object e = events.take();
                if (e instanceof StreamEvent token) {
                    if (!token.text().isEmpty()) {
                        handler.onNext(token.text());
                    }
                } else if (e instanceof GenerationResult result) {
                    handler.onComplete(response(result));
                    return;
                } else {
                    handler.onError((Throwable) e);
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            handler.onError(e);
        }
    }

    private static Response<String> response(GenerationResult r) {
        return Response.from(r.text(), new TokenUsage(r.promptTokens(), r.generatedTokens()), finishReason(r));
    }

    /** LangChain4j's finish reason: the length limits are LENGTH, end-of-text and stop strings STOP. */
    static FinishReason finishReason(GenerationResult r) {
        return switch (r.finishReason()) {
            case LENGTH, CONTEXT_LENGTH -> FinishReason.LENGTH;
            case EOS_TOKEN, STOP_SEQUENCE -> FinishReason.STOP;
            case CANCELLED -> FinishReason.OTHER;
        };
    }

    /** Closes the model when this adapter loaded it (not one passed to {@link Builder#model}). */
    @Override
    public void close() {
        if (ownsModel) {
            model.close();
        }
    }

    /** Where the model comes from and how it generates. */
    public static final class Builder {
        private Path modelPath;
        private ModelOptions modelOptions = ModelOptions.defaults();
        private Gpt2Model model;
        private GenerationParams.Builder params = GenerationParams.builder();

        private Builder() {
        }

        /** A GGUF file to load (the adapter owns the model and closes it). */
        public Builder modelPath(Path path) {
            this.modelPath = Objects.requireNonNull(path, "path");
            return this;
        }

        /** Threads, context, batch slots... for {@link #modelPath}; defaults to {@link ModelOptions#defaults()}. */
        public Builder modelOptions(ModelOptions options) {
            this.modelOptions = Objects.requireNonNull(options, "options");
            return this;
        }

        /** An already loaded model, shared with others (the adapter does not close it). */
        public Builder model(Gpt2Model model) {
            this.model = Objects.requireNonNull(model, "model");
            return this;
        }

        /** All generation defaults at once (replaces what the setters below set). */
        public Builder defaults(GenerationParams defaults) {
            this.params = Objects.requireNonNull(defaults, "defaults").toBuilder();
            return this;
        }

        public Builder maxNewTokens(int v) {
            params.maxNewTokens(v);
            return this;
        }

        /** 0 = greedy. */
        public Builder temperature(float v) {
            params.temperature(v);
            return this;
        }

        public Builder topK(int v) {
            params.topK(v);
            return this;
        }

        public Builder topP(float v) {
            params.topP(v);
            return this;
        }

        public Builder seed(long v) {
            params.seed(v);
            return this;
        }

        public Builder stop(String... v) {
            params.stop(v);
            return this;
        }

        /**
         * Validates the parameters ({@link dev.gpt2.ParameterException} naming a bad one), then loads the model
         * when a path was given.
         */
        public Gpt2LanguageModel build() {
            GenerationParams defaults = params.build();
            if ((model == null) == (modelPath == null)) {
                throw new IllegalStateException("set exactly one of modelPath(...) and model(...)");
            }
            if (model != null) {
                return new Gpt2LanguageModel(model, false, defaults);
            }
            return new Gpt2LanguageModel(Gpt2Model.load(modelPath, modelOptions), true, defaults);
        }
    }
}
