package dev.gpt2;

/**
 * How a model is loaded and its engine sized.
 *
 * @param threads       CPU threads of the forward pass; 0 = all hardware threads. 0..1024
 * @param contextSize   positions per sequence; 0 = the model's training context. 0..1_048_576 (and at most the
 *                      model's, checked at load)
 * @param batchSlots    sequences decoded together (continuous batching). 1..256
 * @param queueCapacity requests that may wait for a slot; beyond it submit throws QueueFullException. 0..1_000_000
 * @param batchTokens   most tokens one forward step carries (prompt chunks + one per decoding sequence). 1..65536,
 *                      and at least batchSlots
 * @param device        where the forward pass runs: "cpu" (default), "cuda" (= "cuda:0") or "cuda:N". CUDA needs a
 *                      native build with -DGPT2_CUDA=ON (libgpt2_cuda.so in the jar), the NVIDIA driver and the
 *                      device: without them loading fails with a Gpt2Exception naming what is missing, and "cpu"
 *                      keeps working in the same JVM
 * @param prefillChunkTokens most prompt tokens one step carries while other sequences are decoding (chunked
 *                      prefill: a long prompt joins in slices, so the decoding streams' inter-token latency stays
 *                      low; when no sequence decodes, a step carries up to batchTokens). 1..65536; default 8
 * @param useMmap       map the GGUF file instead of copying it into memory: faster start and a page cache shared
 *                      between processes, but the file must then not be truncated or rewritten while the model is
 *                      loaded (a read past a truncated end is a SIGBUS that kills the JVM). Default false: the
 *                      loaded model is independent of the file.
 * @param promptCacheMb memory (MiB) the prompt cache may hold: the KV cache of finished sequences, kept so that
 *                      a later prompt starting with the same tokens computes only the rest (running sequences'
 *                      prefixes are shared too). Least recently used entries go first. 0 = off. 0..1_048_576;
 *                      default 256 (GPT-2 124M: ~7000 positions). Ignored (off) on a CUDA device.
 * @param speculativeTokens speculative decoding's default for requests that do not choose (GenerationParams
 *                      speculate = -1): most tokens drafted per step by prompt lookup and verified in the same
 *                      forward; 0 (default) = off. Output is unchanged either way. 0..16
 * @param draftModel    speculative decoding drafts with this smaller GPT-2 (same vocabulary, e.g. gpt2 for
 *                      gpt2-xl; checked at load) instead of prompt lookup; null (default) = prompt lookup
 * @param kvCacheType   element type of the sequences' key/value caches: "auto" (default: f16, or f32 for a model
 *                      whose matrices are f32), "f32", "f16" or "q8_0". q8_0 (CPU only) takes about half f16's
 *                      memory per position, so a long context or many slots cost half, and decode at a long
 *                      context reads half as many cache bytes, for a small loss of precision. CUDA takes only "auto"
 */
public record ModelOptions(int threads, int contextSize, int batchSlots, int queueCapacity, int batchTokens,
                           String device, boolean useMmap, int prefillChunkTokens, int promptCacheMb,
                           int speculativeTokens, java.nio.file.Path draftModel, String kvCacheType) {

    public ModelOptions {
        check("threads", threads, 0, 1024);
        check("contextSize", contextSize, 0, 1_048_576);
        check("batchSlots", batchSlots, 1, 256);
        check("queueCapacity", queueCapacity, 0, 1_000_000);
        check("batchTokens", batchTokens, 1, 65536);
        check("prefillChunkTokens", prefillChunkTokens, 1, 65536);
        check("promptCacheMb", promptCacheMb, 0, 1_048_576);
        check("speculativeTokens", speculativeTokens, 0, Speculation.MAX_DRAFT);
        if (batchTokens < batchSlots) {
            throw new ParameterException("batchTokens",
                    "batchTokens must be >= batchSlots (" + batchSlots + "), got " + batchTokens);
        }
        if (device == null || !DEVICE.matcher(device).matches()) {
            throw new ParameterException("device", "device must be \"cpu\", \"cuda\" or \"cuda:N\", got " + device);
        }
        if (kvCacheType == null || !KV_CACHE_TYPES.contains(kvCacheType)) {
            throw new ParameterException("kvCacheType",
                    "kvCacheType must be one of " + KV_CACHE_TYPES + ", got " + kvCacheType);
        }
    }

    /** The KV cache types, in the order of the C API's gpt2_kv_type (GPT2_KV_AUTO = 0 ... GPT2_KV_Q8_0 = 3). */
    public static final java.util.List<String> KV_CACHE_TYPES = java.util.List.of("auto", "f32", "f16", "q8_0");

    /** gpt2_kv_type of {@link #kvCacheType()}. */
    int kvTypeCode() {
        return KV_CACHE_TYPES.indexOf(kvCacheType);
    }

    /** The prompt cache's default budget in MiB. */
    public static final int DEFAULT_PROMPT_CACHE_MB = 256;

    /** The names gpt2_device_parse accepts: cpu, cuda, cuda:N (N of at most 4 digits). */
    private static final java.util.regex.Pattern DEVICE = java.util.regex.Pattern.compile("cpu|cuda(:[0-9]{1,4})?");

    /** gpt2_device_kind of {@link #device()}: 0 cpu, 1 cuda. */
    int deviceKind() {
        return device.equals("cpu") ? 0 : 1;
    }

    /** The N of "cuda:N" (0 for "cuda" and "cpu"). */
    int deviceIndex() {
        int colon = device.indexOf(':');
        return colon < 0 ? 0 : Integer.parseInt(device.substring(colon + 1));
    }

    private static void check(String field, int value, int min, int max) {
        if (value < min || value > max) {
            throw new ParameterException(field,
                    field + " must be in [" + min + ", " + max + "], got " + value);
        }
    }

    /**
     * The defaults: threads auto, the model's context, 8 slots, queue 64, 512 tokens per step (8 prompt tokens per
     * step beside decoding streams), cpu, no mmap, a 256 MiB prompt cache, the model's default KV cache type.
     */
    public static ModelOptions defaults() {
        return builder().build();
    }

    public static Builder builder() {
        return new Builder();
    }

    public Builder toBuilder() {
        return new Builder().threads(threads).contextSize(contextSize).batchSlots(batchSlots)
                .queueCapacity(queueCapacity).batchTokens(batchTokens).device(device)
                .useMmap(useMmap).prefillChunkTokens(prefillChunkTokens).promptCacheMb(promptCacheMb)
                .speculativeTokens(speculativeTokens).draftModel(draftModel).kvCacheType(kvCacheType);
    }

    /** Mutable builder; {@link #build()} validates every field (ParameterException naming it). */
    public static final class Builder {
        private int threads = 0;
        private int contextSize = 0;
        private int batchSlots = 8;
        private int queueCapacity = 64;
        private int batchTokens = 512;
        private String device = "cpu";
        private boolean useMmap = false;
        private int prefillChunkTokens = 8;
        private int promptCacheMb = DEFAULT_PROMPT_CACHE_MB;
        private int speculativeTokens = 0;
        private java.nio.file.Path draftModel;
        private String kvCacheType = "auto";

        private Builder() {
        }

        public Builder threads(int threads) {
            this.threads = threads;
            return this;
        }

        public Builder contextSize(int contextSize) {
            this.contextSize = contextSize;
            return this;
        }

        public Builder batchSlots(int batchSlots) {
            this.batchSlots = batchSlots;
            return this;
        }

        public Builder queueCapacity(int queueCapacity) {
            this.queueCapacity = queueCapacity;
            return this;
        }

        public Builder batchTokens(int batchTokens) {
            this.batchTokens = batchTokens;
            return this;
        }

        public Builder device(String device) {
            this.device = device;
            return this;
        }

        public Builder useMmap(boolean useMmap) {
            this.useMmap = useMmap;
            return this;
        }

        public Builder prefillChunkTokens(int prefillChunkTokens) {
            this.prefillChunkTokens = prefillChunkTokens;
            return this;
        }

        public Builder promptCacheMb(int promptCacheMb) {
            this.promptCacheMb = promptCacheMb;
            return this;
        }

        public Builder speculativeTokens(int speculativeTokens) {
            this.speculativeTokens = speculativeTokens;
            return this;
        }

        public Builder draftModel(java.nio.file.Path draftModel) {
            this.draftModel = draftModel;
            return this;
        }

        public Builder kvCacheType(String kvCacheType) {
            this.kvCacheType = kvCacheType;
            return this;
        }

        public ModelOptions build() {
            return new ModelOptions(threads, contextSize, batchSlots, queueCapacity, batchTokens, device, useMmap,
                    prefillChunkTokens, promptCacheMb, speculativeTokens, draftModel, kvCacheType);
        }
    }
}
