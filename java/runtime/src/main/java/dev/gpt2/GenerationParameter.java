package dev.gpt2;

import java.util.Locale;

/**
 * The one table of what a generation can be asked for: each tunable field of {@link GenerationParams} with its
 * kind, range and default. {@link GenerationParams.Builder#build()} checks every field against it (the only range
 * check there is); the server's API parsers map their wire names onto these rows and leave the ranges to it; the
 * server's tests check that its OpenAPI document says the same.
 */
public enum GenerationParameter {
    /** 0 generates nothing (finish reason LENGTH): a prompt-scoring request (GenerationParams.promptLogprobs). */
    MAX_NEW_TOKENS("maxNewTokens", Kind.INT, 0, true, 1_000_000, true, 32),
    TEMPERATURE("temperature", Kind.FLOAT, 0, true, 100, true, 1.0),
    TOP_K("topK", Kind.INT, 0, true, Integer.MAX_VALUE, true, 0),
    TOP_P("topP", Kind.FLOAT, 0, false, 1, true, 1.0),
    MIN_P("minP", Kind.FLOAT, 0, true, 1, true, 0),
    TYPICAL_P("typicalP", Kind.FLOAT, 0, false, 1, true, 1.0),
    REPETITION_PENALTY("repetitionPenalty", Kind.FLOAT, 0, false, 10, true, 1.0),
    PRESENCE_PENALTY("presencePenalty", Kind.FLOAT, -2, true, 2, true, 0),
    FREQUENCY_PENALTY("frequencyPenalty", Kind.FLOAT, -2, true, 2, true, 0),
    /** Any 64-bit value; absent = a random seed (reported back). */
    SEED("seed", Kind.LONG, Long.MIN_VALUE, true, Long.MAX_VALUE, true, null),
    /** The range is of the entry count; each entry is 1..{@link GenerationParams#MAX_STOP_BYTES} UTF-8 bytes. */
    STOP("stop", Kind.STRINGS, 0, true, GenerationParams.MAX_STOP, true, null),
    /** Alternatives reported per token, 0..GPT2_MAX_TOP_N of gpt2.h. */
    TOP_N_TOKENS("topNTokens", Kind.INT, 0, true, GenerationParams.MAX_TOP_N, true, 0),
    /** 0 = off; N keeps the last N prompt tokens. */
    TRUNCATE("truncate", Kind.INT, 0, true, Integer.MAX_VALUE, true, 0),
    IGNORE_EOS("ignoreEos", Kind.BOOL, 0, true, 1, true, false),
    PARSE_SPECIAL("parseSpecial", Kind.BOOL, 0, true, 1, true, false),
    /**
     * Speculative decoding: most drafted tokens per step (prompt lookup or the draft model), verified by the target
     * model in one forward (output unchanged: greedy identical, sampled from the same distribution); 0 = off; -1 = the
     * engine's default ({@link ModelOptions#speculativeTokens()}, the server's --speculate).
     */
    SPECULATE("speculate", Kind.INT, -1, true, Speculation.MAX_DRAFT, true, -1);

    /** What a value of the field is. */
    public enum Kind { INT, LONG, FLOAT, BOOL, STRINGS }

    private final String field;
    private final Kind kind;
    private final double min;
    private final boolean minInclusive;
    private final double max;
    private final boolean maxInclusive;
    private final Object defaultValue;

    GenerationParameter(String field, Kind kind, double min, boolean minInclusive, double max, boolean maxInclusive,
                        Object defaultValue) {
        this.field = field;
        this.kind = kind;
        this.min = min;
        this.minInclusive = minInclusive;
        this.max = max;
        this.maxInclusive = maxInclusive;
        this.defaultValue = defaultValue;
    }

    /** The builder's name of the field ({@code topP}); {@link ParameterException#field()} names it so. */
    public String field() {
        return field;
    }

    public Kind kind() {
        return kind;
    }

    /** Lower bound of the value (of the entry count for STOP). */
    public double min() {
        return min;
    }

    public boolean minInclusive() {
        return minInclusive;
    }

    /** Upper bound of the value (of the entry count for STOP). */
    public double max() {
        return max;
    }

    public boolean maxInclusive() {
        return maxInclusive;
    }

    /** The library's default (Integer, Double or Boolean), or null when the field has none (seed, stop). */
    public Object defaultValue() {
        return defaultValue;
    }

    /** The row whose builder name is FIELD, or null. */
    public static GenerationParameter byField(String field) {
        for (GenerationParameter p : values()) {
            if (p.field.equals(field)) {
                return p;
            }
        }
        return null;
    }

    /** Throws {@link ParameterException} naming this field when V is not a finite number in the range. */
    void check(double v) {
        boolean ok = Double.isFinite(v) && (minInclusive ? v >= min : v > min) && (maxInclusive ? v <= max : v < max);
        if (!ok) {
            throw new ParameterException(field, field + " must be in " + (minInclusive ? "[" : "(") + fmt(min)
                    + ", " + fmt(max) + (maxInclusive ? "]" : ")") + ", got " + fmtValue(v));
        }
    }

    private String fmtValue(double v) {
        return kind == Kind.FLOAT ? Float.toString((float) v) : fmt(v);
    }

    private static String fmt(double d) {
        return d == Math.rint(d) && Math.abs(d) < 1e18 ? Long.toString((long) d) : String.format(Locale.ROOT, "%s", d);
    }
}
