package dev.gpt2;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * ModelOptions.device through the native library: "cpu" loads and reports itself in ModelInfo; "cuda" either
 * runs on a GPU (a -DGPT2_CUDA=ON build on a GPU host: the same greedy tokens as the CPU) or fails with a
 * Gpt2Exception naming what is missing, never a crash, and the CPU keeps working in the same JVM afterwards.
 */
class DeviceTest {
    private static final int GPT2_ERR_UNSUPPORTED = -8;

    @Test
    void cpuIsReportedInTheModelInfo() throws Exception {
        try (Gpt2Model m = Gpt2Model.load(TestModels.smallModel(), ModelOptions.builder().threads(1).build())) {
            assertEquals("cpu", m.info().device());
            assertEquals("cpu", m.info().deviceName());
        }
    }

    @Test
    void cudaRunsOrFailsCleanlyAndTheCpuStillWorks() throws Exception {
        Path path = TestModels.smallModel();
        GenerationParams greedy = GenerationParams.greedy(8);
        String cpuText;
        try (Gpt2Model cpu = Gpt2Model.load(path, ModelOptions.builder().threads(1).build())) {
            cpuText = cpu.generate("Hello", greedy).text();
        }
        Gpt2Model gpu = null;
        try {
            gpu = Gpt2Model.load(path, ModelOptions.builder().device("cuda").build());
        } catch (Gpt2Exception e) {
            assertEquals(GPT2_ERR_UNSUPPORTED, e.status(), e.getMessage());
            String msg = e.getMessage();
            assertTrue(msg.contains("cuda:0"), msg);
            assertTrue(msg.contains("libgpt2_cuda.so") || msg.contains("libcuda.so.1") || msg.contains("CUDA"), msg);
        }
        if (gpu != null) {
            try (Gpt2Model m = gpu) {
                assertEquals("cuda:0", m.info().device());
                assertFalse(m.info().deviceName().isEmpty());
                assertEquals(cpuText, m.generate("Hello", greedy).text());
            }
        }
        try (Gpt2Model cpu = Gpt2Model.load(path, ModelOptions.builder().threads(1).build())) {
            assertEquals(cpuText, cpu.generate("Hello", greedy).text());
        }
    }

    @Test
    void aDeviceThatDoesNotExistIsAGpt2Exception() throws Exception {
        Gpt2Exception e = assertThrows(Gpt2Exception.class,
                () -> Gpt2Model.load(TestModels.smallModel(), ModelOptions.builder().device("cuda:4095").build()));
        assertEquals(GPT2_ERR_UNSUPPORTED, e.status(), e.getMessage());
    }
}
