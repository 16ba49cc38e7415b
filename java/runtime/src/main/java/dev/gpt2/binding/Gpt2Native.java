package dev.gpt2.binding;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.javacpp.annotation.ByPtrPtr;
import org.bytedeco.javacpp.annotation.ByVal;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Const;
import org.bytedeco.javacpp.annotation.MemberGetter;
import org.bytedeco.javacpp.annotation.Opaque;
import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Properties;

/**
 * The JavaCPP binding of native/include/gpt2.h: the whole binding is this one annotated class. At build time the
 * javacpp Maven plugin generates the JNI glue from it (target/classes/.../linux-x86_64/libjniGpt2Native.so) and
 * copies libgpt2.so beside it; {@link Loader#load()} extracts and loads both from the jar.
 *
 * <p>Internal: raw pointers stay here. The public API is package {@code dev.gpt2}, whose package-private classes
 * wrap these handles in AutoCloseable Java objects. Only the parts of the C API the Java side uses are bound
 * (notably not gpt2_generate: its callback would cross into Java on every token; the engine drives gpt2_decode
 * and the sampler itself).
 */
@Properties(value = @Platform(include = "gpt2.h", link = "gpt2"))
public final class Gpt2Native {
    static {
        Loader.load();
    }

    private Gpt2Native() {
    }

    /** Loads the native libraries (idempotent); throws UnsatisfiedLinkError when they cannot be loaded. */
    public static void ensureLoaded() {
        Loader.load(Gpt2Native.class);
    }

    /**
     * Extracts libgpt2_cuda.so (the optional CUDA backend, bundled only by a -Dgpt2.cuda=ON build) beside the
     * extracted libgpt2.so, where libgpt2 dlopen()s it when a model asks for a CUDA device. Nothing else loads it,
     * so a CPU-only host never touches CUDA. Absent from the jar: a no-op, and the load on cuda then fails with
     * libgpt2's message naming the missing library.
     */
    public static synchronized void extractCudaBackend() {
        try {
            Loader.cacheResource(Gpt2Native.class, Loader.getPlatform() + "/libgpt2_cuda.so");
        } catch (java.io.IOException | RuntimeException e) {
            // not bundled: reported by gpt2_model_load
        }
    }

    // ---- status codes (gpt2_status) ----------------------------------------------------------------------
    public static final int GPT2_OK = 0;
    public static final int GPT2_ERR_INVALID_ARGUMENT = -1;
    public static final int GPT2_ERR_IO = -2;
    public static final int GPT2_ERR_FORMAT = -3;
    public static final int GPT2_ERR_OUT_OF_MEMORY = -4;
    public static final int GPT2_ERR_CONTEXT_FULL = -5;
    public static final int GPT2_ERR_BUFFER_TOO_SMALL = -6;
    public static final int GPT2_ERR_CANCELLED = -7;
    public static final int GPT2_ERR_UNSUPPORTED = -8;
    public static final int GPT2_ERR_INTERNAL = -9;

    public static final int GPT2_MAX_TOP_N = 20;
    public static final int GPT2_MAX_STOP = 16;
    public static final int GPT2_MAX_STOP_BYTES = 256;

    // ---- gpt2_type ---------------------------------------------------------------------------------------
    public static final int GPT2_TYPE_F32 = 0;
    public static final int GPT2_TYPE_F16 = 1;
    public static final int GPT2_TYPE_Q4_0 = 2;
    public static final int GPT2_TYPE_Q8_0 = 8;
    // the further types llama.cpp's quantizer writes (read and computed; named by gpt2_type_name)
    public static final int GPT2_TYPE_Q4_1 = 3;
    public static final int GPT2_TYPE_Q5_0 = 6;
    public static final int GPT2_TYPE_Q5_1 = 7;
    public static final int GPT2_TYPE_Q2_K = 10;
    public static final int GPT2_TYPE_Q3_K = 11;
    public static final int GPT2_TYPE_Q4_K = 12;
    public static final int GPT2_TYPE_Q5_K = 13;
    public static final int GPT2_TYPE_Q6_K = 14;
    public static final int GPT2_TYPE_IQ4_NL = 20;
    public static final int GPT2_TYPE_BF16 = 30;

    // ---- gpt2_device_kind ----------------------------------------------------------------------------------
    public static final int GPT2_DEVICE_CPU = 0;
    public static final int GPT2_DEVICE_CUDA = 1;

    // ---- gpt2_finish -------------------------------------------------------------------------------------
    public static final int GPT2_FINISH_NONE = 0;
    public static final int GPT2_FINISH_LENGTH = 1;
    public static final int GPT2_FINISH_EOS = 2;
    public static final int GPT2_FINISH_STOP = 3;
    public static final int GPT2_FINISH_CONTEXT = 4;

    // ---- opaque handles ----------------------------------------------------------------------------------
    @Opaque
    public static final class gpt2_model extends Pointer {
        public gpt2_model() {
            super((Pointer) null);
        }

        public gpt2_model(Pointer p) {
            super(p);
        }
    }

    @Opaque
    public static final class gpt2_kv_snapshot extends Pointer {
        public gpt2_kv_snapshot() {
            super((Pointer) null);
        }

        public gpt2_kv_snapshot(Pointer p) {
            super(p);
        }
    }

    @Opaque
    public static final class gpt2_context extends Pointer {
        public gpt2_context() {
            super((Pointer) null);
        }

        public gpt2_context(Pointer p) {
            super(p);
        }
    }

    @Opaque
    public static final class gpt2_sampler extends Pointer {
        public gpt2_sampler() {
            super((Pointer) null);
        }

        public gpt2_sampler(Pointer p) {
            super(p);
        }
    }

    // ---- structs -----------------------------------------------------------------------------------------
    public static final class gpt2_model_params extends Pointer {
        static {
            Loader.load();
        }

        public gpt2_model_params() {
            super((Pointer) null);
            allocate();
        }

        public gpt2_model_params(Pointer p) {
            super(p);
        }

        private native void allocate();

        public native int use_mmap();
        public native gpt2_model_params use_mmap(int setter);
        /** gpt2_device_kind: GPT2_DEVICE_CPU (0, default) or GPT2_DEVICE_CUDA. */
        public native int device();
        public native gpt2_model_params device(int setter);
        /** The N of cuda:N; 0 for the CPU. */
        public native int device_index();
        public native gpt2_model_params device_index(int setter);
    }

    public static final class gpt2_context_params extends Pointer {
        static {
            Loader.load();
        }

        public gpt2_context_params() {
            super((Pointer) null);
            allocate();
        }

        public gpt2_context_params(Pointer p) {
            super(p);
        }

        private native void allocate();

        public native int n_ctx();
        public native gpt2_context_params n_ctx(int setter);
        public native int n_seq_max();
        public native gpt2_context_params n_seq_max(int setter);
        public native int n_batch();
        public native gpt2_context_params n_batch(int setter);
        public native int n_threads();
        public native gpt2_context_params n_threads(int setter);
        public native int kv_type();
        public native gpt2_context_params kv_type(int setter);
    }

    public static final class gpt2_sampler_params extends Pointer {
        static {
            Loader.load();
        }

        public gpt2_sampler_params() {
            super((Pointer) null);
            allocate();
        }

        public gpt2_sampler_params(Pointer p) {
            super(p);
        }

        private native void allocate();

        public native float temperature();
        public native gpt2_sampler_params temperature(float setter);
        public native int top_k();
        public native gpt2_sampler_params top_k(int setter);
        public native float top_p();
        public native gpt2_sampler_params top_p(float setter);
        public native float min_p();
        public native gpt2_sampler_params min_p(float setter);
        public native float typical_p();
        public native gpt2_sampler_params typical_p(float setter);
        public native float repetition_penalty();
        public native gpt2_sampler_params repetition_penalty(float setter);
        public native float presence_penalty();
        public native gpt2_sampler_params presence_penalty(float setter);
        public native float frequency_penalty();
        public native gpt2_sampler_params frequency_penalty(float setter);
        public native @Cast("uint64_t") long seed();
        public native gpt2_sampler_params seed(@Cast("uint64_t") long setter);
        @MemberGetter public native int n_top();
        public native gpt2_sampler_params n_top(int setter);
        public native int max_tokens();
        public native gpt2_sampler_params max_tokens(int setter);
        public native int ignore_eos();
        public native gpt2_sampler_params ignore_eos(int setter);
    }

    public static final class gpt2_sample_result extends Pointer {
        static {
            Loader.load();
        }

        public gpt2_sample_result() {
            super((Pointer) null);
            allocate();
        }

        public gpt2_sample_result(Pointer p) {
            super(p);
        }

        /** An array of SIZE results (members are read at the current position). */
        public gpt2_sample_result(long size) {
            super((Pointer) null);
            allocateArray(size);
        }

        private native void allocate();
        private native void allocateArray(long size);

        @Override
        public gpt2_sample_result position(long position) {
            return (gpt2_sample_result) super.position(position);
        }

        @MemberGetter public native int token();
        @MemberGetter public native float logprob();
        @MemberGetter public native int n_top();
        @MemberGetter public native int top_tokens(int i);
        @MemberGetter public native float top_logprobs(int i);
        @MemberGetter public native int finish();
        @MemberGetter public native int n_generated();
        @MemberGetter public native int text_len();
    }

    // ---- errors and build --------------------------------------------------------------------------------
    public static native @Cast("const char*") BytePointer gpt2_last_error();
    public static native @Cast("const char*") BytePointer gpt2_status_name(int status);
    public static native int gpt2_api_version();
    public static native @Cast("const char*") BytePointer gpt2_build_info();
    public static native @Cast("const char*") BytePointer gpt2_type_name(int type);

    // ---- model -------------------------------------------------------------------------------------------
    public static native @ByVal gpt2_model_params gpt2_model_default_params();
    /** params may be null (defaults). */
    public static native int gpt2_model_load(@Cast("const char*") BytePointer path, @Const gpt2_model_params params,
                                             @ByPtrPtr gpt2_model out);
    public static native void gpt2_model_free(gpt2_model model);
    public static native int gpt2_model_n_vocab(@Const gpt2_model model);
    public static native int gpt2_model_n_ctx_train(@Const gpt2_model model);
    public static native int gpt2_model_n_embd(@Const gpt2_model model);
    public static native int gpt2_model_n_layer(@Const gpt2_model model);
    public static native int gpt2_model_n_head(@Const gpt2_model model);
    public static native int gpt2_model_type(@Const gpt2_model model);
    public static native @Cast("int64_t") long gpt2_model_n_params(@Const gpt2_model model);
    public static native @Cast("int64_t") long gpt2_model_file_size_bytes(@Const gpt2_model model);
    public static native int gpt2_model_token_eos(@Const gpt2_model model);
    public static native int gpt2_model_token_bos(@Const gpt2_model model);
    public static native @Cast("const char*") BytePointer gpt2_model_name(@Const gpt2_model model);
    /** "cpu" or "cuda:N". */
    public static native @Cast("const char*") BytePointer gpt2_model_device(@Const gpt2_model model);
    /** "cpu" or the GPU's name. */
    public static native @Cast("const char*") BytePointer gpt2_model_device_name(@Const gpt2_model model);
    public static native @Cast("const char*") BytePointer gpt2_model_meta_str(@Const gpt2_model model,
                                                                              @Cast("const char*") BytePointer key);

    // ---- tokenizer ---------------------------------------------------------------------------------------
    public static native int gpt2_tokenize(@Const gpt2_model model, @Cast("const char*") byte[] text, int text_len,
                                           int parse_special, int[] tokens, int n_tokens_max, int[] n_out);
    public static native int gpt2_token_to_bytes(@Const gpt2_model model, int token, @Cast("char*") byte[] buf,
                                                 int buf_size, int[] n_out);
    public static native int gpt2_detokenize(@Const gpt2_model model, @Const int[] tokens, int n_tokens,
                                             @Cast("char*") byte[] buf, int buf_size, int[] n_out);
    public static native int gpt2_token_is_special(@Const gpt2_model model, int token);

    // ---- context -----------------------------------------------------------------------------------------
    public static native @ByVal gpt2_context_params gpt2_context_default_params();
    public static native int gpt2_context_create(@Const gpt2_model model, @Const gpt2_context_params params,
                                                 @ByPtrPtr gpt2_context out);
    public static native void gpt2_context_free(gpt2_context ctx);
    public static native int gpt2_context_n_ctx(@Const gpt2_context ctx);
    public static native int gpt2_context_n_seq_max(@Const gpt2_context ctx);
    public static native int gpt2_context_n_batch(@Const gpt2_context ctx);
    public static native int gpt2_context_n_threads(@Const gpt2_context ctx);
    public static native int gpt2_context_kv_type(@Const gpt2_context ctx);
    public static native @Cast("const char*") BytePointer gpt2_kv_type_name(int kv_type);
    public static native int gpt2_context_seq_clear(gpt2_context ctx, int seq_id);
    public static native int gpt2_context_seq_len(@Const gpt2_context ctx, int seq_id);
    public static native int gpt2_context_seq_keep(gpt2_context ctx, int seq_id, int n_pos);
    public static native int gpt2_context_seq_copy(gpt2_context ctx, int src, int dst, int n_pos);
    public static native int gpt2_kv_snapshot_save(@Const gpt2_context ctx, int seq_id, int n_pos,
                                                   @ByPtrPtr gpt2_kv_snapshot out);
    public static native int gpt2_kv_snapshot_restore(gpt2_context ctx, int seq_id, @Const gpt2_kv_snapshot snap,
                                                      int n_pos);
    public static native int gpt2_kv_snapshot_n_pos(@Const gpt2_kv_snapshot snap);
    public static native long gpt2_kv_snapshot_bytes(@Const gpt2_kv_snapshot snap);
    public static native void gpt2_kv_snapshot_free(gpt2_kv_snapshot snap);
    public static native int gpt2_decode(gpt2_context ctx, int n, @Const IntPointer seq_ids,
                                         @Const IntPointer positions, @Const IntPointer tokens,
                                         @Cast("const int8_t*") BytePointer want_logits);
    public static native int gpt2_copy_logits(gpt2_context ctx, int i, FloatPointer out, int n_vocab);

    // ---- sampler -----------------------------------------------------------------------------------------
    public static native @ByVal gpt2_sampler_params gpt2_sampler_default_params();
    public static native int gpt2_sampler_create(@Const gpt2_model model, @Const gpt2_sampler_params params,
                                                 @ByPtrPtr gpt2_sampler out);
    public static native void gpt2_sampler_free(gpt2_sampler sampler);
    public static native int gpt2_sampler_add_stop(gpt2_sampler sampler, @Cast("const char*") byte[] stop,
                                                   int stop_len);
    public static native int gpt2_sampler_set_prompt(gpt2_sampler sampler, @Const int[] tokens, int n_tokens,
                                                     int n_ctx);
    public static native int gpt2_sampler_sample_ctx(gpt2_sampler sampler, gpt2_context ctx, int i,
                                                     gpt2_sample_result result);
    public static native int gpt2_sample_batch(gpt2_context ctx, @Cast("gpt2_sampler*const*") PointerPointer<?> samplers,
                                               @Const IntPointer entries, int n, gpt2_sample_result results,
                                               IntPointer statuses);
    public static native int gpt2_score_tokens(gpt2_context ctx, @Const IntPointer entries, @Const IntPointer tokens,
                                               int n, int n_top, gpt2_sample_result results);
    public static native int gpt2_sampler_text(@Const gpt2_sampler sampler, @Cast("char*") BytePointer buf,
                                               int buf_size, IntPointer n_out);
    public static native int gpt2_sampler_flush(gpt2_sampler sampler, @Cast("char*") BytePointer buf, int buf_size,
                                                IntPointer n_out);
}
