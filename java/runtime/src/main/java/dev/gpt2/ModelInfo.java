package dev.gpt2;

/**
 * What a loaded model is and how its engine is configured. {@code contextSize} is the effective context per
 * sequence; {@code type} is "f32", "f16", "q8_0" or "q4_0"; {@code device} is "cpu" or "cuda:N" and
 * {@code deviceName} "cpu" or the GPU's name; {@code kvCacheType} the KV caches' element type as resolved
 * ("f32", "f16" or "q8_0"; never "auto").
 */
public record ModelInfo(String name, String path, String description, boolean randomWeights, String type,
                        long fileSizeBytes, long parameterCount, int vocabSize, int contextSize, int trainContextSize,
                        int embeddingSize, int layers, int heads, int threads, int batchSlots, int queueCapacity,
                        String device, String deviceName, String buildInfo, String runtimeVersion,
                        String kvCacheType) {
}
