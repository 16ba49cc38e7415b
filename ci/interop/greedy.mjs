// greedy.mjs — llama.cpp's greedy continuation (node-llama-cpp, CPU only) of each prompt, one JSON line per
// prompt: {"prompt": P, "tokens": [ids]}. The prompt's own tokens come from llama.cpp's tokenizer.
// usage: node greedy.mjs MODEL.gguf N_TOKENS PROMPT...
import {getLlama} from "node-llama-cpp";

const [model, nTokens, ...prompts] = process.argv.slice(2);
const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const m = await llama.loadModel({modelPath: model});
for (const prompt of prompts) {
    const ctx = await m.createContext({contextSize: 256, threads: 2});
    const seq = ctx.getSequence();
    const out = [];
    for await (const t of seq.evaluate(m.tokenize(prompt), {temperature: 0})) {
        out.push(t);
        if (out.length >= Number(nTokens)) break;
    }
    console.log(JSON.stringify({prompt, tokens: out}));
    await ctx.dispose();
}
await m.dispose();
