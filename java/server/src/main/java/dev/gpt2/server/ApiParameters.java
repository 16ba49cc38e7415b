// The wire names of the generation parameters per API family (TGI, OpenAI, llama.cpp's flat body) over the library's
// one table (dev.gpt2.GenerationParameter: kinds, ranges, defaults). Parsers read values here by kind only, and
// GenerationParams.build() is the only range check; its ParameterException is renamed back to the wire name here.
package dev.gpt2.server;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.gpt2.GenerationParameter;
import dev.gpt2.GenerationParams;

final class ApiParameters {
    /** An API family's naming. */
    enum Family { TGI, OPENAI, LLAMA }

    /** One row: a library parameter and its name in each family (null where the family lacks it). */
    record Row(GenerationParameter parameter, String tgi, String openAi, String llama) {
        String name(Family f) {
            return switch (f) {
                case TGI -> tgi;
                case OPENAI -> openAi;
                case LLAMA -> llama;
            };
        }
    }

    static final List<Row> ROWS = List.of(
            new Row(GenerationParameter.MAX_NEW_TOKENS, "max_new_tokens", "max_tokens", "n_predict"),
            new Row(GenerationParameter.TEMPERATURE, "temperature", "temperature", "temperature"),
            new Row(GenerationParameter.TOP_K, "top_k", "top_k", "top_k"),
            new Row(GenerationParameter.TOP_P, "top_p", "top_p", "top_p"),
            new Row(GenerationParameter.MIN_P, "min_p", "min_p", "min_p"),
            new Row(GenerationParameter.TYPICAL_P, "typical_p", "typical_p", "typical_p"),
            new Row(GenerationParameter.REPETITION_PENALTY, "repetition_penalty", "repetition_penalty",
                    "repeat_penalty"),
            new Row(GenerationParameter.PRESENCE_PENALTY, "presence_penalty", "presence_penalty", "presence_penalty"),
            new Row(GenerationParameter.FREQUENCY_PENALTY, "frequency_penalty", "frequency_penalty",
                    "frequency_penalty"),
            new Row(GenerationParameter.SEED, "seed", "seed", "seed"),
            new Row(GenerationParameter.STOP, "stop", "stop", "stop"),
            new Row(GenerationParameter.TOP_N_TOKENS, "top_n_tokens", "logprobs", "n_probs"),
            new Row(GenerationParameter.TRUNCATE, "truncate", "truncate", null),
            new Row(GenerationParameter.IGNORE_EOS, "ignore_eos", "ignore_eos", "ignore_eos"),
            new Row(GenerationParameter.PARSE_SPECIAL, "parse_special", null, null),
            new Row(GenerationParameter.SPECULATE, "speculate", "speculate", null));

    /** TGI's default of max_new_tokens (the library's is 32). */
    static final int TGI_DEFAULT_MAX_NEW_TOKENS = 20;
    /** OpenAI's default of max_tokens. */
    static final int OPENAI_DEFAULT_MAX_TOKENS = 16;

    private ApiParameters() {
    }

    /** The family's names of the table's parameters. */
    static java.util.Set<String> names(Family f) {
        java.util.Set<String> out = new java.util.HashSet<>();
        for (Row row : ROWS) {
            if (row.name(f) != null) {
                out.add(row.name(f));
            }
        }
        return out;
    }

    /** The family's default of P where it has one of its own, else the library's (null when none). */
    static Object defaultValue(Family f, GenerationParameter p) {
        if (p == GenerationParameter.TOP_N_TOKENS && f == Family.OPENAI) {
            return null;   // absent logprobs = no logprobs at all (0 = the chosen token's only)
        }
        if (p == GenerationParameter.MAX_NEW_TOKENS) {
            return switch (f) {
                case TGI, LLAMA -> TGI_DEFAULT_MAX_NEW_TOKENS;
                case OPENAI -> OPENAI_DEFAULT_MAX_TOKENS;
            };
        }
        return p.defaultValue();
    }

    /** The values NODE gives for the family's parameters, checked by kind only (ranges are the library's). */
    static Map<GenerationParameter, Object> read(ObjectNode node, String prefix, Family f) {
        Map<GenerationParameter, Object> values = new EnumMap<>(GenerationParameter.class);
        for (Row row : ROWS) {
            String name = row.name(f);
            if (name == null) {
                continue;
            }
            Object v = switch (row.parameter().kind()) {
                case INT -> JsonBody.optInt(node, name, prefix, Integer.MIN_VALUE, Integer.MAX_VALUE);
                case FLOAT -> JsonBody.optFloat(node, name, prefix, -Float.MAX_VALUE, Float.MAX_VALUE);
                case LONG -> JsonBody.optLong(node, name, prefix);
                case BOOL -> JsonBody.optBool(node, name, prefix);
                case STRINGS -> JsonBody.optStrings(node, name, prefix);
            };
            if (v != null) {
                values.put(row.parameter(), v);
            }
        }
        return values;
    }

    /** Sets every value onto the builder (max tokens falls back to the family's default). */
    @SuppressWarnings("unchecked")
    static GenerationParams.Builder apply(Map<GenerationParameter, Object> values, Family f) {
        GenerationParams.Builder b = GenerationParams.builder();
        b.maxNewTokens((Integer) values.getOrDefault(GenerationParameter.MAX_NEW_TOKENS,
                defaultValue(f, GenerationParameter.MAX_NEW_TOKENS)));
        values.forEach((p, v) -> {
            switch (p) {
                case MAX_NEW_TOKENS -> { }
                case TEMPERATURE -> b.temperature((Float) v);
                case TOP_K -> b.topK((Integer) v);
                case TOP_P -> b.topP((Float) v);
                case MIN_P -> b.minP((Float) v);
                case TYPICAL_P -> b.typicalP((Float) v);
                case REPETITION_PENALTY -> b.repetitionPenalty((Float) v);
                case PRESENCE_PENALTY -> b.presencePenalty((Float) v);
                case FREQUENCY_PENALTY -> b.frequencyPenalty((Float) v);
                case SEED -> b.seed((Long) v);
                case STOP -> b.stop((List<String>) v);
                case TOP_N_TOKENS -> b.topNTokens((Integer) v);
                case TRUNCATE -> b.truncate((Integer) v);
                case IGNORE_EOS -> b.ignoreEos((Boolean) v);
                case PARSE_SPECIAL -> b.parseSpecial((Boolean) v);
                case SPECULATE -> b.speculate((Integer) v);
            }
        });
        return b;
    }

    /** The family's wire name of a builder field (topP -> top_p; maxNewTokens -> max_tokens for OpenAI). */
    static String wireName(Family f, String builderField) {
        if (builderField == null) {
            return null;
        }
        GenerationParameter p = GenerationParameter.byField(builderField);
        if (p != null) {
            for (Row row : ROWS) {
                if (row.parameter() == p && row.name(f) != null) {
                    return row.name(f);
                }
            }
        }
        return builderField.replaceAll("([a-z0-9])([A-Z])", "$1_$2").toLowerCase();
    }
}
