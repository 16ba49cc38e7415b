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
    /** Most stop strings per request (the native sampler's limit). */
    public static final int MAX_STOP = 16;
    /** Longest stop string in UTF-8 bytes. */
    public static final int MAX_STOP_BYTES = 256;
    /** Most alternatives reported per token (GPT2_MAX_TOP_N). */
    public static final int MAX_TOP_N = 20;
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
                && parseSpecial == p.parseSpecial && truncate == p.truncate;
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxNewTokens, temperature, topK, topP, minP, typicalP, repetitionPenalty,
                presencePenalty, frequencyPenalty, seed, stop, ignoreEos, topNTokens, parseSpecial, truncate);
    }

    @Override
    public String toString() {
        return "GenerationParams{maxNewTokens=" + maxNewTokens + ", temperature=" + temperature + ", topK=" + topK
                + ", topP=" + topP + ", minP=" + minP + ", typicalP=" + typicalP + ", repetitionPenalty="
                + repetitionPenalty + ", presencePenalty=" + presencePenalty + ", frequencyPenalty="
                + frequencyPenalty + ", seed=" + seed + ", stop=" + stop + ", ignoreEos=" + ignoreEos
                + ", topNTokens=" + topNTokens + ", parseSpecial=" + parseSpecial + ", truncate=" + truncate + "}";
    }

    /** Mutable builder of {@link GenerationParams}. */
    public static final class Builder {
        private int maxNewTokens = 32;
        private float temperature = 1.0f;
        private int topK = 0;
        private float topP = 1.0f;
        private float minP = 0f;
        private float typicalP = 1.0f;
        private float repetitionPenalty = 1.0f;
        private float presencePenalty = 0f;
        private float frequencyPenalty = 0f;
        private OptionalLong seed = OptionalLong.empty();
        private List<String> stop = new ArrayList<>();
        private boolean ignoreEos = false;
        private int topNTokens = 0;
        private boolean parseSpecial = false;
        private int truncate = 0;

        private Builder() {
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

        /** Validates every field; throws {@link ParameterException} naming the first one out of range. */
        public GenerationParams build() {
            intRange("maxNewTokens", maxNewTokens, 1, MAX_NEW_TOKENS);
            floatRange("temperature", temperature, 0f, true, 100f, true);
            if (topK < 0) {
                throw new ParameterException("topK", "topK must be >= 0, got " + topK);
            }
            floatRange("topP", topP, 0f, false, 1f, true);
            floatRange("minP", minP, 0f, true, 1f, true);
            floatRange("typicalP", typicalP, 0f, false, 1f, true);
            floatRange("repetitionPenalty", repetitionPenalty, 0f, false, 10f, true);
            floatRange("presencePenalty", presencePenalty, -2f, true, 2f, true);
            floatRange("frequencyPenalty", frequencyPenalty, -2f, true, 2f, true);
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
            intRange("topNTokens", topNTokens, 0, MAX_TOP_N);
            if (truncate < 0) {
                throw new ParameterException("truncate", "truncate must be >= 0 (0 = off), got " + truncate);
            }
            return new GenerationParams(this);
        }

        private static void intRange(String field, int v, int min, int max) {
            if (v < min || v > max) {
                throw new ParameterException(field, field + " must be in [" + min + ", " + max + "], got " + v);
            }
        }

        private static void floatRange(String field, float v, float min, boolean minIncl, float max,
                                       boolean maxIncl) {
            boolean ok = Float.isFinite(v) && (minIncl ? v >= min : v > min) && (maxIncl ? v <= max : v < max);
            if (!ok) {
                throw new ParameterException(field, field + " must be in " + (minIncl ? "[" : "(") + fmt(min)
                        + ", " + fmt(max) + (maxIncl ? "]" : ")") + ", got " + v);
            }
        }

        private static String fmt(float f) {
            return f == Math.rint(f) ? Integer.toString((int) f) : Float.toString(f);
        }
    }
}
