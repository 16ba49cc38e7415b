#!/usr/bin/env bash
# quant-quality.sh — the quantization quality table (issue #10): for each type and recipe, file size, perplexity,
# KL(f32 || quantized) per token and top-1 agreement with f32 on held-out text, for this project's quantizer
# and llama.cpp's (built by make test-interop in build/interop) on the same f32 weights, and ours again with an
# importance matrix and its lookup Fisher (gpt2-imatrix on the text after its first 50,000 bytes, which the evaluated first MAX_TOKENS
# tokens do not reach when MAX_TOKENS <= 15,000), and llama.cpp's quantizer given that same imatrix file.
# The last two columns compare ours with llama.cpp's file pairwise on the same windows of text (without, then
# with the imatrix): the KL difference in % of llama.cpp's, +- twice its standard error from the spread of the
# per-window differences (gpt2-perplexity --json lists them); "+" is ours behind. Figures only.
# usage: [ONLY="q3_K q2_K"] bash bench/quant-quality.sh [F32_MODEL.gguf] [TEXT] [MAX_TOKENS]
# (ONLY: just those rows, e.g. after changing one quantizer; the others' files would not change)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin="${GPT2_BIN:-$root/build/release}"
work="$root/build/interop"
base="${1:-$work/trained-256.gguf}"
text="${2:-$root/../shared/models/tiny-shakespeare-256/heldout.txt}"
max="${3:-8192}"
[[ -f "$base" && -f "$text" ]] || { echo "need an f32 model ($base) and a text ($text): run make test-interop"; exit 1; }
[[ -x "$work/llama_quantize" ]] || { echo "need $work/llama_quantize: run make test-interop"; exit 1; }
# ours : llama.cpp ftype of the same name : "pure" where ours puts one type on every matrix (llama.cpp's --pure),
# so that both files hold the same tensor types and only the rounding differs
pairs=("bf16:32:pure" "q8_0:7:pure" "q6_K:18:pure" "q5_K:16:pure" "q5_1:9:pure" "q5_0:8:pure" "q4_K:14:pure"
       "q4_1:3:pure" "iq4_nl:25:pure" "q4_0:2:pure" "q3_K:11:pure" "q2_K:10:pure" "q5_k_m:17:" "q4_k_m:15:")
calib="$work/quality-calib.txt" imatrix="$work/quality.imatrix.gguf"
tail -c +50001 "$text" >"$calib"
"$bin/gpt2-imatrix" -m "$base" -f "$calib" -o "$imatrix" -t 2 >/dev/null
measure() {  # FILE -> FILE.json (gpt2-perplexity's figures against the f32 base)
  "$bin/gpt2-perplexity" -m "$1" -f "$text" -t 2 --max-tokens "$max" --kl-base "$base" --json 2>/dev/null >"$1.json"
}
row() {  # FILE -> "MiB ppl KL top1"
  python3 -c 'import json,os,sys; j=json.load(open(sys.argv[1])); print("%7.1f %9.3f %9.5f %6.2f%%" % (os.path.getsize(j["model"])/2**20, j["perplexity"], j["kl_nats_per_token"], j["top1_agreement_pct"]))' "$1.json"
}
paired() {  # OURS LLAMA -> "+d% +-2se%": KL(ours) - KL(llama.cpp) on the same windows, in % of llama.cpp's
  python3 -c '
import json, math, sys
a, b = (json.load(open(f + ".json")) for f in sys.argv[1:3])
n, da = a["window_tokens"], [x - y for x, y in zip(a["window_kl"], b["window_kl"])]
N, W = sum(n), len(n)
d = sum(x * k for x, k in zip(da, n)) / N
se = math.sqrt(W / (W - 1) * sum((x * k - d * k) ** 2 for x, k in zip(da, n))) / N
print("%+6.1f%% +-%4.1f" % (100 * d / b["kl_nats_per_token"], 200 * se / b["kl_nats_per_token"]))' "$1" "$2"
}
echo "base $(basename "$base"): perplexity $("$bin/gpt2-perplexity" -m "$base" -f "$text" -t 2 --max-tokens "$max" --json 2>/dev/null | python3 -c 'import json,sys; print("%.3f" % json.load(sys.stdin)["perplexity"])'), $max tokens of $(basename "$text")"
h='%7s %9s %9s %7s'
printf "%-7s | $h | $h | $h | $h | %-14s | %-14s\n" type MiB ppl KL top1 MiB ppl KL top1 MiB ppl KL top1 MiB ppl KL top1 \
  "KL vs llama" "with imatrix"
printf '%-7s | %-35s | %-35s | %-35s | %-35s | %-14s | %-14s\n' "" "ours" "llama.cpp" "ours + imatrix" \
  "llama.cpp + imatrix" "(+-2 SE)" "(+-2 SE)"
for p in "${pairs[@]}"; do
  IFS=: read -r ours ft pure <<<"$p"
  [[ -z "${ONLY:-}" || " $ONLY " == *" $ours "* ]] || continue
  o="$work/quality-ours-$ours.gguf" l="$work/quality-llama-$ft$pure.gguf"
  i="$work/quality-ours-imatrix-$ours.gguf" li="$work/quality-llama-imatrix-$ft$pure.gguf"
  "$bin/gpt2-quantize" "$base" "$o" "$ours" >/dev/null
  "$bin/gpt2-quantize" "$base" "$i" "$ours" --imatrix "$imatrix" >/dev/null
  [[ -f "$l" ]] || "$work/llama_quantize" "$base" "$l" "$ft" $pure >/dev/null 2>&1
  "$work/llama_quantize" "$base" "$li" "$ft" $pure "$imatrix" >/dev/null 2>&1
  for f in "$o" "$l" "$i" "$li"; do measure "$f"; done
  printf '%-7s | %s | %s | %s | %s | %-14s | %-14s\n' "$ours" "$(row "$o")" "$(row "$l")" "$(row "$i")" "$(row "$li")" \
    "$(paired "$o" "$l")" "$(paired "$i" "$li")"
done
