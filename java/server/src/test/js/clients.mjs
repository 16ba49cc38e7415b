// Real third-party clients, unmodified, against a running gpt2 server: node clients.mjs http://localhost:PORT
// Prints one "ok <check>" line per passed check; exits non-zero with the error on the first failure.
import assert from "node:assert/strict";
import OpenAI from "openai";
import { InferenceClient } from "hf4";
import { HfInference } from "hf2";

const base = process.argv[2];
assert.ok(base, "usage: node clients.mjs BASE_URL");

async function check(name, fn) {
  await fn();
  console.log(`ok ${name}`);
}

// --- openai (v4): legacy completions, plain and streaming -------------------------------------------------
const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: "unused", maxRetries: 0 });
let greedyText;
await check("openai completions", async () => {
  const r = await openai.completions.create({ model: "gpt2", prompt: "Hello, my name is", max_tokens: 6,
    temperature: 0, logprobs: 2, seed: 1 });
  assert.equal(r.object, "text_completion");
  assert.equal(typeof r.choices[0].text, "string");
  assert.equal(r.choices[0].logprobs.tokens.length, r.usage.completion_tokens);
  assert.equal(r.usage.total_tokens, r.usage.prompt_tokens + r.usage.completion_tokens);
  greedyText = r.choices[0].text;
});
await check("openai completions stream", async () => {
  const stream = await openai.completions.create({ model: "gpt2", prompt: "Hello, my name is", max_tokens: 6,
    temperature: 0, stream: true });
  let text = "";
  let finish = null;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.text ?? "";
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  assert.equal(text, greedyText);
  assert.ok(["length", "stop"].includes(finish), `finish_reason ${finish}`);
});
await check("openai error", async () => {
  await assert.rejects(openai.completions.create({ model: "gpt2", prompt: "x", temperature: 500 }),
    (e) => e.status === 400 && e.param === "temperature");
});

// --- @huggingface/inference 4.x: textGeneration with endpointUrl posts OpenAI-shaped bodies ----------------
const hf4 = new InferenceClient();
await check("hf4 textGeneration", async () => {
  const r = await hf4.textGeneration({ endpointUrl: base, inputs: "Hello, my name is",
    parameters: { max_new_tokens: 6, do_sample: false, top_k: 10, repetition_penalty: 1.0,
      return_full_text: false, temperature: 1.0 } });
  assert.equal(typeof r.generated_text, "string");
  assert.equal(r.generated_text, greedyText);
});
await check("hf4 textGenerationStream", async () => {
  let text = "";
  for await (const chunk of hf4.textGenerationStream({ endpointUrl: base, inputs: "Hello, my name is",
    parameters: { max_new_tokens: 6, do_sample: false } })) {
    text += chunk.choices?.[0]?.text ?? chunk.token?.text ?? "";
  }
  assert.equal(text, greedyText);
});

// --- @huggingface/inference 2.x: TGI {inputs, parameters} to the endpoint, SSE via textGenerationStream ----
const hf2 = new HfInference().endpoint(`${base}/generate`);
await check("hf2 textGeneration", async () => {
  const r = await hf2.textGeneration({ model: "gpt2", inputs: "Hello, my name is",
    parameters: { max_new_tokens: 6 } });
  assert.equal(r.generated_text, greedyText);
});
await check("hf2 textGenerationStream", async () => {
  let text = "";
  let final = null;
  for await (const event of hf2.textGenerationStream({ model: "gpt2", inputs: "Hello, my name is",
    parameters: { max_new_tokens: 6, details: true } })) {
    text += event.token?.text ?? "";
    if (event.generated_text !== null) final = event;
  }
  assert.equal(text, greedyText);
  assert.equal(final.generated_text, greedyText);
  assert.equal(final.details.generated_tokens, 6);
});
await check("hf2 compat root", async () => {
  const root = new HfInference().endpoint(base);
  const r = await root.textGeneration({ model: "gpt2", inputs: "Hello, my name is", parameters: { max_new_tokens: 6 } });
  assert.equal(r.generated_text, greedyText);
});
await check("hf2 validation error", async () => {
  await assert.rejects(hf2.textGeneration({ model: "gpt2", inputs: "x", parameters: { top_p: 7 } }),
    (e) => /top_p/.test(e.message));
});
console.log("all clients ok");
