package dev.gpt2;

import dev.gpt2.binding.Gpt2Native;
import dev.gpt2.binding.Gpt2Native.gpt2_sampler;
import dev.gpt2.binding.Gpt2Native.gpt2_sampler_params;

import java.nio.charset.StandardCharsets;

/** Owns one native gpt2_sampler (one per sequence); used only by the engine thread. Freed exactly once. */
final class NativeSampler implements AutoCloseable {
    private final gpt2_sampler handle;

    private NativeSampler(gpt2_sampler handle) {
        this.handle = handle;
    }

    /** Creates a sampler with PARAMS and SEED, adds the stop strings and feeds the prompt. */
    static NativeSampler create(NativeModel model, GenerationParams params, long seed, int[] prompt, int nCtx) {
        gpt2_sampler out = new gpt2_sampler();
        try (gpt2_sampler_params p = Gpt2Native.gpt2_sampler_default_params()) {
            p.temperature(params.temperature()).top_k(params.topK()).top_p(params.topP()).min_p(params.minP())
                    .typical_p(params.typicalP()).repetition_penalty(params.repetitionPenalty())
                    .presence_penalty(params.presencePenalty()).frequency_penalty(params.frequencyPenalty())
                    .seed(seed).n_top(params.topNTokens()).max_tokens(params.maxNewTokens())
                    .ignore_eos(params.ignoreEos() ? 1 : 0);
            NativeCalls.check(Gpt2Native.gpt2_sampler_create(model.handle(), p, out), "gpt2_sampler_create");
        }
        NativeSampler sampler = new NativeSampler(out);
        try {
            for (String stop : params.stop()) {
                byte[] b = stop.getBytes(StandardCharsets.UTF_8);
                NativeCalls.check(Gpt2Native.gpt2_sampler_add_stop(out, b, b.length), "gpt2_sampler_add_stop");
            }
            NativeCalls.check(Gpt2Native.gpt2_sampler_set_prompt(out, prompt, prompt.length, nCtx),
                    "gpt2_sampler_set_prompt");
        } catch (RuntimeException e) {
            sampler.close();
            throw e;
        }
        return sampler;
    }

    gpt2_sampler handle() {
        return handle;
    }

    @Override
    public void close() {
        if (!handle.isNull()) {
            Gpt2Native.gpt2_sampler_free(handle);
            handle.setNull();
        }
    }
}
