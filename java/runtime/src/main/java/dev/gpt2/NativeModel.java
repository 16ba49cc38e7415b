package dev.gpt2;

import dev.gpt2.binding.Gpt2Native;
import dev.gpt2.binding.Gpt2Native.gpt2_model;
import org.bytedeco.javacpp.BytePointer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Owns one native gpt2_model (immutable, thread-safe) and speaks Java to it: tokenize to int[], bytes to byte[],
 * strings decoded as UTF-8. Freed exactly once by {@link #close()}; callers guarantee no call races the free
 * (Gpt2Model guards it with a read/write lock).
 */
final class NativeModel implements AutoCloseable {
    private final gpt2_model handle;
    private final int vocabSize;
    private final String[] tokenTextCache;
    private boolean freed;

    private NativeModel(gpt2_model handle) {
        this.handle = handle;
        this.vocabSize = Gpt2Native.gpt2_model_n_vocab(handle);
        this.tokenTextCache = new String[Math.max(vocabSize, 0)];
    }

    /** USE_MMAP: map the file instead of copying it (see gpt2_model_params.use_mmap for the trade-off). */
    static NativeModel load(Path path, boolean useMmap) {
        return load(path, useMmap, 0, 0);
    }

    /** DEVICE_KIND / DEVICE_INDEX: gpt2_model_params.device / device_index (0, 0 = the CPU). */
    static NativeModel load(Path path, boolean useMmap, int deviceKind, int deviceIndex) {
        Gpt2Native.ensureLoaded();
        if (deviceKind != 0) {
            Gpt2Native.extractCudaBackend();
        }
        gpt2_model out = new gpt2_model();
        int status;
        try (BytePointer p = NativeCalls.cString(path.toString());
             Gpt2Native.gpt2_model_params params = Gpt2Native.gpt2_model_default_params()) {
            params.use_mmap(useMmap ? 1 : 0);
            params.device(deviceKind);
            params.device_index(deviceIndex);
            status = Gpt2Native.gpt2_model_load(p, params, out);
        }
        if (status != Gpt2Native.GPT2_OK || out.isNull()) {
            throw NativeCalls.failure(status == 0 ? Gpt2Native.GPT2_ERR_INTERNAL : status,
                    "loading model " + path);
        }
        return new NativeModel(out);
    }

    gpt2_model handle() {
        return handle;
    }

    int vocabSize() {
        return vocabSize;
    }

    int eosToken() {
        return Gpt2Native.gpt2_model_token_eos(handle);
    }

    int[] tokenize(String text, boolean parseSpecial) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        int[] n = new int[1];
        // A GPT-2 token is at least one byte, so bytes.length + 1 ids always suffice; one call in practice.
        int[] tokens = new int[bytes.length + 1];
        int status = Gpt2Native.gpt2_tokenize(handle, bytes, bytes.length, parseSpecial ? 1 : 0, tokens,
                tokens.length, n);
        if (status == Gpt2Native.GPT2_ERR_BUFFER_TOO_SMALL) {
            tokens = new int[n[0]];
            status = Gpt2Native.gpt2_tokenize(handle, bytes, bytes.length, parseSpecial ? 1 : 0, tokens,
                    tokens.length, n);
        }
        NativeCalls.check(status, "gpt2_tokenize");
        return n[0] == tokens.length ? tokens : Arrays.copyOf(tokens, n[0]);
    }

    byte[] detokenizeBytes(int[] tokens) {
        int[] n = new int[1];
        byte[] buf = new byte[Math.max(16, tokens.length * 8)];
        int status = Gpt2Native.gpt2_detokenize(handle, tokens, tokens.length, buf, buf.length, n);
        if (status == Gpt2Native.GPT2_ERR_BUFFER_TOO_SMALL) {
            buf = new byte[n[0]];
            status = Gpt2Native.gpt2_detokenize(handle, tokens, tokens.length, buf, buf.length, n);
        }
        NativeCalls.check(status, "gpt2_detokenize");
        return Arrays.copyOf(buf, n[0]);
    }

    byte[] tokenBytes(int token) {
        int[] n = new int[1];
        byte[] buf = new byte[64];
        int status = Gpt2Native.gpt2_token_to_bytes(handle, token, buf, buf.length, n);
        if (status == Gpt2Native.GPT2_ERR_BUFFER_TOO_SMALL) {
            buf = new byte[n[0]];
            status = Gpt2Native.gpt2_token_to_bytes(handle, token, buf, buf.length, n);
        }
        NativeCalls.check(status, "gpt2_token_to_bytes");
        return Arrays.copyOf(buf, n[0]);
    }

    /** The token's bytes decoded as lossy UTF-8 (cached; the model is immutable). */
    String tokenText(int token) {
        if (token < 0 || token >= tokenTextCache.length) {
            return new String(tokenBytes(token), StandardCharsets.UTF_8);
        }
        String s = tokenTextCache[token];
        if (s == null) {
            s = new String(tokenBytes(token), StandardCharsets.UTF_8);
            tokenTextCache[token] = s;
        }
        return s;
    }

    boolean isSpecial(int token) {
        return Gpt2Native.gpt2_token_is_special(handle, token) != 0;
    }

    ModelInfo info(Path path, int contextSize, int threads, int batchSlots, int queueCapacity, String kvCacheType) {
        String description;
        try (BytePointer key = NativeCalls.cString("general.description")) {
            description = NativeCalls.string(Gpt2Native.gpt2_model_meta_str(handle, key));
        }
        int type = Gpt2Native.gpt2_model_type(handle);
        BytePointer name = Gpt2Native.gpt2_type_name(type);
        String typeName = name == null || name.isNull() ? "type" + type : NativeCalls.string(name);
        return new ModelInfo(NativeCalls.string(Gpt2Native.gpt2_model_name(handle)), path.toString(), description,
                description.startsWith("Random weights"), typeName,
                Gpt2Native.gpt2_model_file_size_bytes(handle), Gpt2Native.gpt2_model_n_params(handle), vocabSize,
                contextSize, Gpt2Native.gpt2_model_n_ctx_train(handle), Gpt2Native.gpt2_model_n_embd(handle),
                Gpt2Native.gpt2_model_n_layer(handle), Gpt2Native.gpt2_model_n_head(handle), threads, batchSlots,
                queueCapacity, NativeCalls.string(Gpt2Native.gpt2_model_device(handle)),
                NativeCalls.string(Gpt2Native.gpt2_model_device_name(handle)),
                NativeCalls.string(Gpt2Native.gpt2_build_info()), Gpt2Model.RUNTIME_VERSION, kvCacheType);
    }

    @Override
    public void close() {
        if (!freed) {
            freed = true;
            Gpt2Native.gpt2_model_free(handle);
            handle.setNull();
        }
    }
}
