package dev.gpt2;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * Immutable sampling and stopping parameters of one generation. Build with {@link #builder()}; {@link
 * Builder#build()} validates every field and throws {@link ParameterException} naming it.
 */
public final class GenerationParams {
    /** Most stop strings per request: GPT2_MAX_STOP of gpt2.h (the native sampler's limit). */
    public static final int MAX_STOP = dev.gpt2.binding.Gpt2Native.GPT2_MAX_STOP;
    /** Longest stop string in UTF-8 bytes: GPT2_MAX_STOP_BYTES of gpt2.h. */
    public static final int MAX_STOP_BYTES = dev.gpt2.binding.Gpt2Native.GPT2_MAX_STOP_BYTES;
    /** Most alternatives reported per token: GPT2_MAX_TOP_N of gpt2.h. */
    public static final int MAX_TOP_N = dev.gpt2.binding.Gpt2Native.GPT2_MAX_TOP_N;
    /** Upper bound of maxNewTokens; the context bounds it further at run time. */
    public static final int MAX_NEW_TOKENS = 1_000_000;

    private final int maxNewTokens;
    private final float temperature;
    private final int topK;
    private final float topP;
    private final float minP;
    private final float typicalP;
    private final float repetitionPenalty;
    private final float presencePenalty;
    private final float frequencyPenalty;
    private final OptionalLong seed;
    private final List<String> stop;
    private final boolean ignoreEos;
    private final int topNTokens;
    private final boolean parseSpecial;
    private final int truncate;
    private final boolean promptLogprobs;
    private final int speculate;

    private GenerationParams(Builder b) {
        this.maxNewTokens = b.maxNewTokens;
        this.temperature = b.temperature;
        this.topK = b.topK;
        this.topP = b.topP;
        this.minP = b.minP;
        this.typicalP = b.typicalP;
        this.repetitionPenalty = b.repetitionPenalty;
        this.presencePenalty = b.presencePenalty;
        this.frequencyPenalty = b.frequencyPenalty;
        this.seed = b.seed;
        this.stop = List.copyOf(b.stop);
        this.ignoreEos = b.ignoreEos;
        this.topNTokens = b.topNTokens;
        this.parseSpecial = b.parseSpecial;
        this.truncate = b.truncate;
        this.promptLogprobs = b.promptLogprobs;
        this.speculate = b.speculate;
    }

    /** The defaults (32 new tokens, temperature 1, no filters, random seed). */
    public static GenerationParams defaults() {
        return builder().build();
    }

    /** Greedy decoding (temperature 0) of up to {@code maxNewTokens} tokens. */
    public static GenerationParams greedy(int maxNewTokens) {
        return builder().temperature(0f).maxNewTokens(maxNewTokens).build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        Builder b = new Builder();
        b.maxNewTokens = maxNewTokens;
        b.temperature = temperature;
        b.topK = topK;
        b.topP = topP;
        b.minP = minP;
        b.typicalP = typicalP;
        b.repetitionPenalty = repetitionPenalty;
        b.presencePenalty = presencePenalty;
        b.frequencyPenalty = frequencyPenalty;
        b.seed = seed;
        b.stop = new ArrayList<>(stop);
        b.ignoreEos = ignoreEos;
        b.topNTokens = topNTokens;
        b.parseSpecial = parseSpecial;
        b.truncate = truncate;
        b.promptLogprobs = promptLogprobs;
        b.speculate = speculate;
        return b;
    }

    public int maxNewTokens() { return maxNewTokens; }
    public float temperature() { return temperature; }
    public int topK() { return topK; }
    public float topP() { return topP; }
    public float minP() { return minP; }
    public float typicalP() { return typicalP; }
    public float repetitionPenalty() { return repetitionPenalty; }
    public float presencePenalty() { return presencePenalty; }
    public float frequencyPenalty() { return frequencyPenalty; }
    public OptionalLong seed() { return seed; }
    public List<String> stop() { return stop; }
    public boolean ignoreEos() { return ignoreEos; }
    public int topNTokens() { return topNTokens; }
    public boolean parseSpecial() { return parseSpecial; }
    public int truncate() { return truncate; }
    /**
     * Whether the result carries every prompt token's logprob given the tokens before it, with topNTokens
     * alternatives ({@link GenerationResult#promptLogprobs()}; the first token's is null): exact scoring, what
     * evaluation harnesses call. With {@code maxNewTokens} 0 the prompt is scored and nothing is generated.
     */
    public boolean promptLogprobs() { return promptLogprobs; }
    /** Most drafted tokens per step of speculative decoding; 0 = off; -1 = the engine's default. */
    public int speculate() { return speculate; }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof GenerationParams p)) {
            return false;
        }
        return maxNewTokens == p.maxNewTokens && Float.compare(temperature, p.temperature) == 0 && topK == p.topK
                && Float.compare(topP, p.topP) == 0 && Float.compare(minP, p.minP) == 0
                && Float.compare(typicalP, p.typicalP) == 0
                && Float.compare(repetitionPenalty, p.repetitionPenalty) == 0
                && Float.compare(presencePenalty, p.presencePenalty) == 0
                && Float.compare(frequencyPenalty, p.frequencyPenalty) == 0 && seed.equals(p.seed)
                && stop.equals(p.stop) && ignoreEos == p.ignoreEos && topNTokens == p.topNTokens
                && parseSpecial == p.parseSpecial && truncate == p.truncate && promptLogprobs == p.promptLogprobs
                && speculate == p.speculate;
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxNewTokens, temperature, topK, topP, minP, typicalP, repetitionPenalty,
                presencePenalty, frequencyPenalty, seed, stop, ignoreEos, topNTokens, parseSpecial, truncate,
                promptLogprobs, speculate);
    }

    @Override
    public String toString() {
        return "GenerationParams{maxNewTokens=" + maxNewTokens + ", temperature=" + temperature + ", topK=" + topK
                + ", topP=" + topP + ", minP=" + minP + ", typicalP=" + typicalP + ", repetitionPenalty="
                + repetitionPenalty + ", presencePenalty=" + presencePenalty + ", frequencyPenalty="
                + frequencyPenalty + ", seed=" + seed + ", stop=" + stop + ", ignoreEos=" + ignoreEos
                + ", topNTokens=" + topNTokens + ", parseSpecial=" + parseSpecial + ", truncate=" + truncate
                + ", promptLogprobs=" + promptLogprobs + ", speculate=" + speculate + "}";
    }

    /** Mutable builder of {@link GenerationParams}. */
    public static final class Builder {
        private int maxNewTokens = intDefault(GenerationParameter.MAX_NEW_TOKENS);
        private float temperature = floatDefault(GenerationParameter.TEMPERATURE);
        private int topK = intDefault(GenerationParameter.TOP_K);
        private float topP = floatDefault(GenerationParameter.TOP_P);
        private float minP = floatDefault(GenerationParameter.MIN_P);
        private float typicalP = floatDefault(GenerationParameter.TYPICAL_P);
        private float repetitionPenalty = floatDefault(GenerationParameter.REPETITION_PENALTY);
        private float presencePenalty = floatDefault(GenerationParameter.PRESENCE_PENALTY);
        private float frequencyPenalty = floatDefault(GenerationParameter.FREQUENCY_PENALTY);
        private OptionalLong seed = OptionalLong.empty();
        private List<String> stop = new ArrayList<>();
        private boolean ignoreEos = false;
        private int topNTokens = 0;
        private boolean parseSpecial = false;
        private int truncate = 0;
        private boolean promptLogprobs = false;
        private int speculate = intDefault(GenerationParameter.SPECULATE);

        private Builder() {
        }

        private static int intDefault(GenerationParameter p) {
            return ((Number) p.defaultValue()).intValue();
        }

        private static float floatDefault(GenerationParameter p) {
            return ((Number) p.defaultValue()).floatValue();
        }

        public Builder maxNewTokens(int v) { this.maxNewTokens = v; return this; }
        public Builder temperature(float v) { this.temperature = v; return this; }
        public Builder topK(int v) { this.topK = v; return this; }
        public Builder topP(float v) { this.topP = v; return this; }
        public Builder minP(float v) { this.minP = v; return this; }
        public Builder typicalP(float v) { this.typicalP = v; return this; }
        public Builder repetitionPenalty(float v) { this.repetitionPenalty = v; return this; }
        public Builder presencePenalty(float v) { this.presencePenalty = v; return this; }
        public Builder frequencyPenalty(float v) { this.frequencyPenalty = v; return this; }
        public Builder seed(long v) { this.seed = OptionalLong.of(v); return this; }
        public Builder seed(OptionalLong v) { this.seed = Objects.requireNonNull(v, "seed"); return this; }
        public Builder stop(List<String> v) { this.stop = new ArrayList<>(Objects.requireNonNull(v, "stop")); return this; }
        public Builder stop(String... v) { return stop(List.of(v)); }
        public Builder addStop(String v) { this.stop.add(v); return this; }
        public Builder ignoreEos(boolean v) { this.ignoreEos = v; return this; }
        public Builder topNTokens(int v) { this.topNTokens = v; return this; }
        public Builder parseSpecial(boolean v) { this.parseSpecial = v; return this; }
        public Builder truncate(int v) { this.truncate = v; return this; }
        public Builder promptLogprobs(boolean v) { this.promptLogprobs = v; return this; }
        public Builder speculate(int v) { this.speculate = v; return this; }

        /**
         * Validates every field against {@link GenerationParameter}'s ranges; throws {@link ParameterException}
         * naming the first one out of range.
         */
        public GenerationParams build() {
            GenerationParameter.MAX_NEW_TOKENS.check(maxNewTokens);
            GenerationParameter.TEMPERATURE.check(temperature);
            GenerationParameter.TOP_K.check(topK);
            GenerationParameter.TOP_P.check(topP);
            GenerationParameter.MIN_P.check(minP);
            GenerationParameter.TYPICAL_P.check(typicalP);
            GenerationParameter.REPETITION_PENALTY.check(repetitionPenalty);
            GenerationParameter.PRESENCE_PENALTY.check(presencePenalty);
            GenerationParameter.FREQUENCY_PENALTY.check(frequencyPenalty);
            if (stop.size() > MAX_STOP) {
                throw new ParameterException("stop", "stop must have at most " + MAX_STOP + " entries, got "
                        + stop.size());
            }
            for (String s : stop) {
                if (s == null) {
                    throw new ParameterException("stop", "stop entries must not be null");
                }
                int n = s.getBytes(StandardCharsets.UTF_8).length;
                if (n < 1 || n > MAX_STOP_BYTES) {
                    throw new ParameterException("stop", "stop entries must be 1.." + MAX_STOP_BYTES
                            + " UTF-8 bytes, got " + n);
                }
            }
            GenerationParameter.TOP_N_TOKENS.check(topNTokens);
            GenerationParameter.TRUNCATE.check(truncate);
            GenerationParameter.SPECULATE.check(speculate);
            return new GenerationParams(this);
        }
    }
}
