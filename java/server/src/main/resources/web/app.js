// Playground: streams tokens from POST /generate_stream (TGI SSE) with fetch + ReadableStream.
"use strict";

const $ = (id) => document.getElementById(id);
let controller = null;

async function showModel() {
  for (;;) {
    try {
      const res = await fetch("/info");
      if (res.ok) {
        const info = await res.json();
        $("model").textContent = `${info.model_id} · ${info.model_dtype} · ${info.n_layer} layers · ` +
          `${info.n_embd} embd · ctx ${info.n_ctx} · ${info.batch_slots} slots · v${info.version}` +
          (info.random_weights ? " · RANDOM WEIGHTS" : "");
        $("random-warning").hidden = !info.random_weights;
        return;
      }
    } catch (e) { /* server not ready yet */ }
    $("model").textContent = "loading…";
    await new Promise((r) => setTimeout(r, 1000));
  }
}

function parameters() {
  const p = { max_new_tokens: Number($("max_new_tokens").value), details: true };
  const num = (id) => $(id).value === "" ? undefined : Number($(id).value);
  const temperature = num("temperature");
  if (temperature !== undefined && temperature > 0) {
    p.do_sample = true;
    p.temperature = temperature;
    if (num("top_k")) p.top_k = num("top_k");
    if (num("top_p") !== undefined && num("top_p") < 1) p.top_p = num("top_p");
  }
  if (num("repetition_penalty") !== undefined) p.repetition_penalty = num("repetition_penalty");
  if (num("seed") !== undefined) p.seed = num("seed");
  const stop = $("stop").value.replace(/\\n/g, "\n");
  if (stop) p.stop = [stop];
  return p;
}

async function generate(event) {
  event.preventDefault();
  const out = $("output");
  out.textContent = "";
  // the prompt in grey, the generated text highlighted after it, with a caret while it grows
  const promptSpan = document.createElement("span");
  promptSpan.className = "prompt";
  promptSpan.textContent = $("prompt").value;
  const gen = document.createElement("span");
  gen.id = "generated";
  gen.className = "completion generating";
  out.append(promptSpan, gen);
  $("stats").textContent = "";
  controller = new AbortController();
  $("generate").disabled = true;
  $("stop-button").disabled = false;
  $("status").textContent = "generating…";
  let tokens = 0;
  const t0 = performance.now();
  try {
    const res = await fetch("/generate_stream", {
      method: "POST",
      headers: { "Content-Type": "application/json", "Accept": "text/event-stream" },
      body: JSON.stringify({ inputs: $("prompt").value, parameters: parameters() }),
      signal: controller.signal,
    });
    if (!res.ok) {
      const err = await res.json().catch(() => ({ error: res.statusText }));
      throw new Error(`${res.status}: ${err.error}`);
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        for (const line of frame.split("\n")) {
          if (!line.startsWith("data:")) continue;
          const data = JSON.parse(line.slice(5));
          if (data.error) throw new Error(data.error);
          if (data.token) { gen.textContent += data.token.text; tokens++; }
          if (data.details) {
            const s = (performance.now() - t0) / 1000;
            $("status").textContent = `done: ${data.details.generated_tokens} tokens, ` +
              `${data.details.finish_reason}, ${(tokens / s).toFixed(1)} tok/s`;
            $("stats").textContent = `${data.details.generated_tokens} tokens in ${s.toFixed(2)} s` +
              (data.details.seed !== null && data.details.seed !== undefined ? ` · seed ${data.details.seed}` : "");
          }
        }
      }
    }
  } catch (e) {
    if (e.name === "AbortError") {
      $("status").textContent = `stopped after ${tokens} tokens`;
    } else {
      $("status").textContent = "error";
      const err = document.createElement("div");
      err.className = "error";
      err.textContent = e.message;
      out.append(err);
    }
  } finally {
    gen.classList.remove("generating");
    $("generate").disabled = false;
    $("stop-button").disabled = true;
    controller = null;
  }
}

$("playground").addEventListener("submit", generate);
$("settings").addEventListener("submit", generate);
$("prompt").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && !$("generate").disabled) $("playground").requestSubmit();
});
$("stop-button").addEventListener("click", () => controller && controller.abort());
showModel();
