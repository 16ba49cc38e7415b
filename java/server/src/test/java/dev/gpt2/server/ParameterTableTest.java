// The OpenAPI document and the parameter table (dev.gpt2.GenerationParameter + ApiParameters' wire names) say the
// same: every parameter of a family is a property of its request schema with the table's range and default.
package dev.gpt2.server;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.is;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import dev.gpt2.GenerationParameter;
import dev.gpt2.GenerationParams;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;

class ParameterTableTest {
    private static final JsonNode SPEC = JsonBody.MAPPER.valueToTree(new Yaml().load(new String(
            Responses.resource("/" + ApiDocs.OPENAPI_FILE), StandardCharsets.UTF_8)));

    @Test
    void tgiSchemaMatchesTheTable() {
        assertThat(mismatches(ApiParameters.Family.TGI, "GenerateParameters"), is(List.of()));
    }

    @Test
    void openAiSchemaMatchesTheTable() {
        assertThat(mismatches(ApiParameters.Family.OPENAI, "CompletionRequest"), is(List.of()));
    }

    @Test
    void buildIsTheRangeCheckTheTableDescribes() {
        // one probe per bound: just outside fails naming the field, the bound itself passes when inclusive
        for (GenerationParameter p : GenerationParameter.values()) {
            if (p.kind() != GenerationParameter.Kind.INT && p.kind() != GenerationParameter.Kind.FLOAT) {
                continue;
            }
            double below = p.kind() == GenerationParameter.Kind.INT ? p.min() - 1 : p.min() - 0.01;
            if (below >= Integer.MIN_VALUE) {
                assertThat(p + " below min", rejects(p, p.minInclusive() ? below : p.min()), is(true));
            }
            double above = p.kind() == GenerationParameter.Kind.INT ? p.max() + 1 : p.max() + 0.5;
            if (above <= Integer.MAX_VALUE) {
                assertThat(p + " above max", rejects(p, p.maxInclusive() ? above : p.max()), is(true));
            }
        }
    }

    private static boolean rejects(GenerationParameter p, double v) {
        var b = ApiParameters.apply(java.util.Map.of(p, p.kind() == GenerationParameter.Kind.INT
                ? (Object) (int) v : (Object) (float) v), ApiParameters.Family.TGI);
        try {
            b.build();
            return false;
        } catch (dev.gpt2.ParameterException e) {
            return e.field().equals(p.field());
        }
    }

    /** What the schema says differently from the table, one line per difference. */
    private static List<String> mismatches(ApiParameters.Family family, String schema) {
        List<String> out = new ArrayList<>();
        JsonNode props = SPEC.at("/components/schemas/" + schema + "/properties");
        for (ApiParameters.Row row : ApiParameters.ROWS) {
            String name = row.name(family);
            if (name == null) {
                continue;
            }
            JsonNode prop = props.get(name);
            if (prop == null) {
                out.add(name + ": not in " + schema);
                continue;
            }
            GenerationParameter p = row.parameter();
            switch (p.kind()) {
                case INT, FLOAT -> {
                    expect(out, name, "minimum", prop, p.min() <= Integer.MIN_VALUE ? null : p.min());
                    expect(out, name, "maximum", prop, p.max() >= Integer.MAX_VALUE ? null : p.max());
                    boolean exclusive = prop.path("exclusiveMinimum").asBoolean(false);
                    if (exclusive == p.minInclusive()) {
                        out.add(name + ": exclusiveMinimum " + exclusive + ", the table says min inclusive "
                                + p.minInclusive());
                    }
                    expect(out, name, "default", prop, ApiParameters.defaultValue(family, p));
                }
                case LONG -> expect(out, name, "minimum", prop, 0.0);   // seeds on the wire are unsigned
                case BOOL -> expect(out, name, "default", prop, p.defaultValue());
                case STRINGS -> {
                    JsonNode array = prop.has("oneOf") ? prop.get("oneOf").get(1) : prop;
                    expect(out, name, "maxItems", array, (double) GenerationParams.MAX_STOP);
                }
            }
        }
        return out;
    }

    private static void expect(List<String> out, String name, String key, JsonNode prop, Object want) {
        JsonNode got = prop.get(key);
        if (want == null) {
            if (got != null && key.equals("default")) {
                out.add(name + ": " + key + " " + got + " in the document, none in the table");
            }
            return;
        }
        boolean same = got != null && (want instanceof Boolean w ? got.isBoolean() && got.asBoolean() == w
                : got.isNumber() && got.asDouble() == ((Number) want).doubleValue());
        if (!same) {
            out.add(name + ": " + key + " " + got + " in the document, " + want + " in the table");
        }
    }
}
