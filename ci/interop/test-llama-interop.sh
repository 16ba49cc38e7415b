#!/usr/bin/env bash
# test-llama-interop.sh — files made by llama.cpp's own quantizer load and run here, bit for bit (issue #10):
#   1. a real llama.cpp from npm (node-llama-cpp@3.21.1: prebuilt libllama/libggml + llama.cpp's source bundle,
#      for the headers) quantizes a model of ours to each ftype that applies to GPT-2;
#   2. every tensor of that file, dequantized by our runtime (gpt2-quantize ... f32), equals ggml's own
#      dequantization (ggml_dequant_check);
#   3. our greedy tokens on that file equal llama.cpp's (node-llama-cpp) for a few prompts, on the trained
#      tiny-shakespeare-256 (from ../shared, when it is there), on a generated GPT-2 with 256-wide matrices
#      (k-quants apply to every one) and on a generated GPT-2 of 124M's shapes (768 wide, 12 heads, 3072 FFN,
#      1024 positions, the full vocabulary; two of its twelve layers, to keep the time: every tensor shape of
#      gpt2 124M is there, rows of 3 and 12 super-blocks). Two runtimes that round the same activations the
#      same way (8-bit, per 32 or per 256 values, per weight type) still sum in different orders, so a greedy
#      run may part at a near tie; a prompt passes when all 24 tokens are equal or, at the first difference,
#      our own log-probabilities of the two tokens are within 0.02 nats (compare_greedy.mjs; 0.06 on the
#      gpt2-shaped random model, whose flat distributions the 8-bit activations move more, see tie_tol_flat).
#      A wrong dequantization or kernel moves logits by far more than that (and the trained model's ties are
#      rare: most prompts match all 24).
#   4. the other way (on the two 256-wide models: our quantizers work block by block, the same at any width):
#      files our gpt2-quantize writes (q4_1 q5_0 q5_1 iq4_nl q2_K q3_K q4_K q5_K q6_K bf16,
#      q4_k_m q5_k_m, an explicit output head) load in
#      llama.cpp and give the same greedy tokens there as here (same rule as 3).
#   5. an importance matrix of gpt2-imatrix drives llama.cpp's quantizer: it finds an entry of the right size for
#      every matrix (its log names any it misses; the file's lookup Fisher, our extension, it passes over), the
#      file differs from the one made without it, and our greedy tokens on it equal llama.cpp's; a q3_K file of
#      our quantizer with that imatrix (embedding re-rounded against the lookup Fisher) decodes there as here.
# Skips (exit 0) when npm or the network is unavailable.
# usage: GPT2_BIN=build/release bash ci/interop/test-llama-interop.sh [WORK_DIR]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
bin="${GPT2_BIN:-$root/build/release}"
work="${1:-$root/build/interop}"
here="$root/ci/interop"
mkdir -p "$work"
cd "$work"

skip() { echo "SKIP: $*"; exit 0; }
command -v npm >/dev/null 2>&1 || skip "npm is not installed"
command -v node >/dev/null 2>&1 || skip "node is not installed"
if [[ ! -d node_modules/node-llama-cpp ]]; then
  # install scripts are not needed (the prebuilt binaries come as an optional dependency)
  timeout 600 npm i -E node-llama-cpp@3.21.1 --ignore-scripts --no-audit --no-fund >npm.log 2>&1 \
    || { tail -5 npm.log; skip "npm could not install node-llama-cpp@3.21.1 (offline?)"; }
fi
libs="$work/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64"
[[ -f "$libs/libllama.v0.4.0.so" ]] || skip "no prebuilt linux-x64 llama.cpp in node-llama-cpp"
if [[ ! -f llama.cpp/include/llama.h ]]; then
  rm -rf llama.cpp
  git clone -q node_modules/node-llama-cpp/llama/gitRelease.bundle llama.cpp 2>/dev/null
fi
cc -O1 -o llama_quantize "$here/llama_quantize.c" -Illama.cpp/include -Illama.cpp/ggml/include \
  -L"$libs" -l:libllama.v0.4.0.so -l:libggml-base.so -Wl,-rpath,"$libs"
cc -O1 -o ggml_dequant_check "$here/ggml_dequant_check.c" -Illama.cpp/ggml/include \
  -L"$libs" -l:libggml-base.so -Wl,-rpath,"$libs" -lm
cp "$here/greedy.mjs" "$here/compare_greedy.mjs" .

# llama_ftype numbers (llama.h) of the types this runtime reads: Q4_0 Q4_1 Q8_0 Q5_0 Q5_1 Q2_K Q3_K_S Q3_K_M
# Q3_K_L Q4_K_S Q4_K_M Q5_K_S Q5_K_M Q6_K IQ4_NL BF16 (F16 and F32 are covered by the project's own tests).
ftypes=(2 3 7 8 9 10 11 12 13 14 15 16 17 18 25 32)
declare -A ftype_name=([2]=Q4_0 [3]=Q4_1 [7]=Q8_0 [8]=Q5_0 [9]=Q5_1 [10]=Q2_K [11]=Q3_K_S [12]=Q3_K_M
  [13]=Q3_K_L [14]=Q4_K_S [15]=Q4_K_M [16]=Q5_K_S [17]=Q5_K_M [18]=Q6_K [25]=IQ4_NL [32]=BF16)
prompts=("The king" "ROMEO: I" "What is the matter")
n_tokens=24

models=()
"$bin/gpt2-random" random-256.gguf --layers 2 --heads 4 --embd 256 --ctx 256 --seed 5 --type f32 >/dev/null
models+=("random-256.gguf")
"$bin/gpt2-random" gpt2-shape.gguf --layers 2 --heads 12 --embd 768 --ctx 1024 --seed 6 --type f32 >/dev/null
models+=("gpt2-shape.gguf")
shared="$root/../shared/models/tiny-shakespeare-256"
if [[ -f "$shared/model.safetensors" ]]; then
  [[ -f trained-256.gguf ]] || "$bin/gpt2-convert" "$shared" trained-256.gguf --type f32 >/dev/null
  models+=("trained-256.gguf")
else
  echo "note: $shared absent, the trained-model half is skipped"
fi

# compare_greedy FILE MODEL LABEL TYPES: our greedy tokens on FILE vs llama.cpp's; non-zero on a mismatch
# that is not a near tie (see 3. above).
tie_tol=0.02
# The gpt2-shaped random model's next-token distribution is nearly flat (its top log-probabilities ~ -8.6, the
# first few within hundredths of a nat), and there the two runtimes' 8-bit activation rounding moves them more:
# at the first generated token llama.cpp's and our log-probabilities of its top 5 differed by up to 0.028 nats
# (Q6_K), 0.015 (Q8_0), 0.018 (Q4_K_M), against 0.0004 on the f32 file and at most 0.004 on the trained model's
# Q8_0/Q6_K files. A near tie there is twice that: two tokens' gap may move by 0.06.
tie_tol_flat=0.06
compare_greedy() {
  local q="$1" model="$2" name="$3" types="$4" p result
  node greedy.mjs "$q" "$n_tokens" "${prompts[@]}" >theirs.jsonl 2>/dev/null || true
  : >ours.jsonl
  for p in "${prompts[@]}"; do
    "$bin/gpt2-generate" -m "$q" -p "$p" -n "$n_tokens" --temp 0 -t 2 --top-n 5 --json 2>/dev/null >>ours.jsonl || true
  done
  local tol="$tie_tol"
  [[ "$model" != gpt2-shape.gguf ]] || tol="$tie_tol_flat"
  if result="$(node compare_greedy.mjs theirs.jsonl ours.jsonl "$n_tokens" "$tol" ties)"; then
    printf '%-7s tensors %-22s greedy tokens equal to llama.cpp: %s of %d\n' "$name" "$types" "$result" "$n_tokens"
  else
    printf '%-7s tensors %-22s greedy tokens DIFFER from llama.cpp: %s of %d\n' "$name" "$types" "$result" \
      "$n_tokens"
    return 1
  fi
}

fail=0
for model in "${models[@]}"; do
  echo "== $model"
  for ft in "${ftypes[@]}"; do
    name="${ftype_name[$ft]}"
    q="${model%.gguf}-$name.gguf"
    ./llama_quantize "$model" "$q" "$ft" >"$q.quant.log" 2>&1 || { echo "$name: llama.cpp's quantizer failed"; fail=1; continue; }
    "$bin/gpt2-quantize" "$q" "${q%.gguf}-ours-f32.gguf" f32 >/dev/null
    if ! ./ggml_dequant_check "$q" "${q%.gguf}-ours-f32.gguf" >"$q.check.log" 2>&1; then
      echo "$name: dequantization differs from ggml's"; cat "$q.check.log"; fail=1; continue
    fi
    rm -f "${q%.gguf}-ours-f32.gguf"
    types="$(grep -E '^  ' "$q.check.log" | awk '{print $1}' | grep -v '^f32$' | paste -sd+ -)"
    compare_greedy "$q" "$model" "$name" "$types=ggml" || fail=1
    [[ "$model" != gpt2-shape.gguf ]] || rm -f "$q"
  done
  [[ "$model" != gpt2-shape.gguf ]] || continue
  # the other direction: files of our quantizer, read by llama.cpp
  echo "-- written by gpt2-quantize, read by llama.cpp"
  for r in q4_1 q5_0 q5_1 iq4_nl q2_K q3_K q4_K q5_K q6_K bf16 q4_k_m q5_k_m; do
    o="${model%.gguf}-ours-$r.gguf"
    "$bin/gpt2-quantize" "$model" "$o" "$r" >/dev/null
    compare_greedy "$o" "$model" "$r" "(ours)" || fail=1
  done
  o="${model%.gguf}-ours-q4_k_m-output-q6_K.gguf"   # an explicit output head, as --output-tensor writes it
  "$bin/gpt2-quantize" "$model" "$o" q4_k_m --output-tensor q6_K >/dev/null
  compare_greedy "$o" "$model" "q4_k_m" "+output.weight q6_K" || fail=1
  # our importance matrix, in llama.cpp's quantizer (Q4_K_M, 15); calibrated on this project's own README
  echo "-- an importance matrix of gpt2-imatrix, used by llama.cpp's quantizer"
  im="${model%.gguf}.imatrix.gguf" q="${model%.gguf}-Q4_K_M-imatrix.gguf"
  "$bin/gpt2-imatrix" -m "$model" -f "$root/README.md" -o "$im" -t 2 --max-tokens 4096 --lookup-tokens 4 >/dev/null
  if ! ./llama_quantize "$model" "$q" 15 "$im" >"$q.quant.log" 2>&1; then
    echo "Q4_K_M: llama.cpp's quantizer failed with our imatrix"; tail -5 "$q.quant.log"; fail=1
  elif ! grep -q "have importance matrix data" "$q.quant.log" || grep -E "did not find weights|imatrix size" "$q.quant.log"; then
    echo "Q4_K_M: llama.cpp's quantizer did not use our imatrix for every matrix"; fail=1
  elif cmp -s "$q" "${model%.gguf}-Q4_K_M.gguf"; then
    echo "Q4_K_M: the file made with our imatrix equals the one made without it"; fail=1
  else
    compare_greedy "$q" "$model" "Q4_K_M" "+our imatrix" || fail=1
  fi
  # and our quantizer with it: the token embedding's levels re-rounded against the lookup Fisher stay valid blocks
  if [[ "$model" != gpt2-shape.gguf ]]; then
    o="${model%.gguf}-ours-q3_K-imatrix.gguf"
    "$bin/gpt2-quantize" "$model" "$o" q3_K --imatrix "$im" >/dev/null
    compare_greedy "$o" "$model" "q3_K" "+our imatrix (ours)" || fail=1
  fi
done
[[ $fail -eq 0 ]] && echo "interop: llama.cpp's files dequantize bit-exactly and decode as in llama.cpp; ours decode there as here; our imatrix drives its quantizer"
exit $fail
