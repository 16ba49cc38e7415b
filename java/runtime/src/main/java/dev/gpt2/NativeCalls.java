package dev.gpt2;

import dev.gpt2.binding.Gpt2Native;
import org.bytedeco.javacpp.BytePointer;

import java.nio.charset.StandardCharsets;

/** Status checking for native calls: a negative gpt2_status becomes a Gpt2Exception with the native message. */
final class NativeCalls {
    private NativeCalls() {
    }

    /** Throws Gpt2Exception unless status is GPT2_OK. Must run on the thread that made the call (thread-local). */
    static void check(int status, String what) {
        if (status != Gpt2Native.GPT2_OK) {
            throw failure(status, what);
        }
    }

    static Gpt2Exception failure(int status, String what) {
        String name = string(Gpt2Native.gpt2_status_name(status));
        String message = string(Gpt2Native.gpt2_last_error());
        return new Gpt2Exception(status, what + " failed: " + name + (message.isEmpty() ? "" : ": " + message));
    }

    /** A NUL-terminated UTF-8 C string, "" for NULL. */
    static String string(BytePointer p) {
        if (p == null || p.isNull()) {
            return "";
        }
        return p.getString(StandardCharsets.UTF_8);
    }

    /** UTF-8 bytes as a NUL-terminated native string (caller closes). */
    static BytePointer cString(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        BytePointer p = new BytePointer(b.length + 1L);
        p.put(b, 0, b.length).put(b.length, (byte) 0);
        return p;
    }
}
