package dev.gpt2;

import dev.gpt2.binding.Gpt2Native;
import org.junit.jupiter.api.Test;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The binding's integer constants (status codes, tensor types, finish reasons, limits) are copies of gpt2.h's;
 * this test reads the header and checks that the two agree, in both directions, so they cannot drift.
 */
class BindingConstantsTest {
    private static final Pattern ENUM_VALUE = Pattern.compile("^\\s*(GPT2_[A-Z0-9_]+)\\s*=\\s*(-?\\d+)\\s*,?",
            Pattern.MULTILINE);
    private static final Pattern DEFINE = Pattern.compile("^#define\\s+(GPT2_[A-Z0-9_]+)\\s+(-?\\d+)\\b",
            Pattern.MULTILINE);

    private static Map<String, Integer> headerConstants() throws Exception {
        Path header = TestModels.toolsDir().getParent().getParent().resolve("native/include/gpt2.h");
        String text = Files.readString(header);
        Map<String, Integer> out = new TreeMap<>();
        for (Pattern p : new Pattern[] {ENUM_VALUE, DEFINE}) {
            Matcher m = p.matcher(text);
            while (m.find()) {
                out.put(m.group(1), Integer.parseInt(m.group(2)));
            }
        }
        return out;
    }

    private static Map<String, Integer> bindingConstants() throws Exception {
        Map<String, Integer> out = new TreeMap<>();
        for (Field f : Gpt2Native.class.getDeclaredFields()) {
            int mod = f.getModifiers();
            if (f.getName().startsWith("GPT2_") && Modifier.isStatic(mod) && Modifier.isFinal(mod)
                    && f.getType() == int.class) {
                out.put(f.getName(), f.getInt(null));
            }
        }
        return out;
    }

    @Test
    void everyBindingConstantEqualsTheHeader() throws Exception {
        Map<String, Integer> header = headerConstants();
        Map<String, Integer> binding = bindingConstants();
        assertTrue(header.size() > 30, "parsed too few constants from gpt2.h: " + header);
        for (Map.Entry<String, Integer> e : binding.entrySet()) {
            assertTrue(header.containsKey(e.getKey()), e.getKey() + " is not in gpt2.h");
            assertEquals(header.get(e.getKey()), e.getValue(), e.getKey());
        }
    }

    @Test
    void everyHeaderStatusTypeAndFinishReasonIsBound() throws Exception {
        Map<String, Integer> binding = bindingConstants();
        for (String name : headerConstants().keySet()) {
            boolean wanted = name.startsWith("GPT2_ERR_") || name.equals("GPT2_OK") || name.startsWith("GPT2_TYPE_")
                    || name.startsWith("GPT2_FINISH_") || name.startsWith("GPT2_DEVICE_")
                    || name.startsWith("GPT2_MAX_");
            if (wanted) {
                assertTrue(binding.containsKey(name), name + " of gpt2.h has no constant in Gpt2Native");
            }
        }
    }

    @Test
    void typeNamesComeFromTheNativeLibrary() {
        assertEquals("q4_K", NativeCalls.string(Gpt2Native.gpt2_type_name(Gpt2Native.GPT2_TYPE_Q4_K)));
        assertEquals("bf16", NativeCalls.string(Gpt2Native.gpt2_type_name(Gpt2Native.GPT2_TYPE_BF16)));
        assertTrue(Gpt2Native.gpt2_type_name(16) == null || Gpt2Native.gpt2_type_name(16).isNull());
    }
}
