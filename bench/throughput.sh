#!/usr/bin/env bash
# bench/throughput.sh — one command, one run, every throughput figure of issue #9 side by side: the machine's
# ceilings (gpt2-probe: read bandwidth, int8/f32 arithmetic), then per weight type prefill, single-stream
# decode (and its share of the read bandwidth), decode at position 1000 vs 10 (default and q8_0 KV caches),
# batched decode for 1..16 sequences, prefill GOP/s against the path's ceiling, and — given a llama.cpp built or
# installed elsewhere — llama.cpp on the same files with the same threads, and the ratios. Prints figures; asserts
# nothing.
#
#   bench/throughput.sh [-t THREADS] [--types "q8_0 q4_0 f16 f32"] [--reps R]
#   LLAMA_LIB_DIR=<dir with libllama*.so> LLAMA_INCLUDE_DIRS="<llama.h dir> <ggml-backend.h dir>" bench/throughput.sh
#   LLAMA_BENCH=<path to llama-bench> bench/throughput.sh
#
# The models are deterministic random GPT-2 124M-shaped files (speed does not depend on the weights' values),
# written once to build/bench/. Nothing is downloaded, and llama.cpp is never built here: with LLAMA_LIB_DIR the
# project's own harness bench/llama-anchor.c is compiled against it (a second), with LLAMA_BENCH its llama-bench
# runs. ../shared/INTEROP.md says how to get either.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

threads=2
types="q8_0 q4_0 f16 f32"
reps=3
while [[ $# -gt 0 ]]; do
  case "$1" in
    -t) threads="$2"; shift 2 ;;
    --types) types="$2"; shift 2 ;;
    --reps) reps="$2"; shift 2 ;;
    *) echo "usage: bench/throughput.sh [-t THREADS] [--types \"q8_0 q4_0 f16 f32\"] [--reps R]" >&2; exit 2 ;;
  esac
done

bin=build/release
for tool in gpt2-bench gpt2-probe gpt2-random; do
  [[ -x $bin/$tool ]] || { echo "bench/throughput.sh: $bin/$tool is missing: run 'make build-native' first" >&2; exit 1; }
done
out=build/bench
mkdir -p "$out"

# ---- llama.cpp, when given -----------------------------------------------------------------------------------
anchor=""
if [[ -n "${LLAMA_LIB_DIR:-}" ]]; then
  incs=()
  for d in ${LLAMA_INCLUDE_DIRS:-}; do incs+=("-I$d"); done
  # the first file in LLAMA_LIB_DIR matching one of the patterns (globbed there, in order)
  first() { (cd "$LLAMA_LIB_DIR" && for p in "$@"; do for f in $p; do [[ -e $f ]] && { echo "$f"; exit 0; }; done; done) || true; }
  libllama=$(first 'libllama.so' 'libllama.v*.so')
  libggml=$(first 'libggml.so' 'libggml.v*.so')
  libbase=$(first 'libggml-base.so' 'libggml-base.v*.so')
  if cc -O2 -o "$out/llama-anchor" bench/llama-anchor.c "${incs[@]}" -L"$LLAMA_LIB_DIR" -l:"$libllama" \
       ${libggml:+-l:"$libggml"} ${libbase:+-l:"$libbase"} -Wl,-rpath,"$LLAMA_LIB_DIR"; then
    anchor="$out/llama-anchor"
  else
    echo "bench/throughput.sh: could not compile bench/llama-anchor.c against $LLAMA_LIB_DIR; llama.cpp skipped" >&2
  fi
fi

# ---- helpers -------------------------------------------------------------------------------------------------
# field N of the gpt2-bench line starting with WHAT ("prompt:" / "decode:")
bench_field() { awk -v w="$1" -v n="$2" '$1 == w { print $n }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; }

echo "# throughput: $(date -u +%Y-%m-%dT%H:%MZ), $threads threads, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
$bin/gpt2-bench -m /dev/null 2>/dev/null | head -1 || true
probe=$($bin/gpt2-probe -t "$threads")
echo "$probe"
read_gbs=$(awk '$2 == "read_gbs" { print $3 }' <<<"$probe")
int8_gops=$(awk '$2 == "int8_gops" { print $3 }' <<<"$probe")
f32_gflops=$(awk '$2 == "f32_gflops" { print $3 }' <<<"$probe")

summary=()
for type in $types; do
  model="$out/r124-$type.gguf"
  [[ -f $model ]] || $bin/gpt2-random "$model" --layers 12 --heads 12 --embd 768 --ctx 1024 --type "$type" --seed 1 >/dev/null
  bytes=$(stat -c %s "$model")
  echo
  echo "## $type ($((bytes / 1000000)) MB)"
  pp=$($bin/gpt2-bench -m "$model" -t "$threads" -p 252 -n 0 --reps "$reps" | bench_field prompt: 4)
  tg_line=$($bin/gpt2-bench -m "$model" -t "$threads" -p 8 -n 64 --reps "$reps")
  tg=$(bench_field decode: 4 <<<"$tg_line")
  tg_ms=$(bench_field decode: 2 <<<"$tg_line")
  near=$($bin/gpt2-bench -m "$model" -t "$threads" -p 8 -n 16 --reps "$reps" | bench_field decode: 2)
  far=$($bin/gpt2-bench -m "$model" -t "$threads" -p 992 -n 16 --reps 1 | bench_field decode: 2)
  # the same two positions with a q8_0 KV cache (--kv-cache-type q8_0: about half the cache bytes per step)
  near_q8=$($bin/gpt2-bench -m "$model" -t "$threads" -p 8 -n 16 --reps "$reps" --kv-type q8_0 | bench_field decode: 2)
  far_q8=$($bin/gpt2-bench -m "$model" -t "$threads" -p 992 -n 16 --reps 1 --kv-type q8_0 | bench_field decode: 2)
  # matmul multiply-adds per prompt token (12 C^2 per layer for GPT-2's 4C MLP): 2 ops each
  gops=$(awk -v t="$pp" 'BEGIN { printf "%.1f", 2 * 12 * 768 * 768 * 12 * t / 1e9 }')
  ceiling=$([[ $type == f32 || $type == f16 ]] && echo "$f32_gflops" || echo "$int8_gops")
  bw=$(awk -v b="$bytes" -v ms="$tg_ms" 'BEGIN { printf "%.1f", b / (ms / 1000) / 1e9 }')
  printf 'prefill 252: %8.1f tokens/s  %6.1f GOP/s = %s of the path ceiling (%s)\n' "$pp" "$gops" \
    "$(ratio "$gops" "$ceiling")" "$ceiling"
  printf 'decode:      %8.1f tokens/s  %6.2f ms/token, reads %s GB/s = %s of the probe\n' "$tg" "$tg_ms" "$bw" \
    "$(ratio "$bw" "$read_gbs")"
  printf 'decode at position ~1000 / ~10: %s / %s ms = %s (q8_0 KV cache: %s / %s ms = %s)\n' "$far" "$near" \
    "$(ratio "$far" "$near")" "$far_q8" "$near_q8" "$(ratio "$far_q8" "$near_q8")"
  b1=""; b8=""
  for b in 1 2 4 8 16; do
    agg=$($bin/gpt2-bench -m "$model" -t "$threads" -p 16 -n 32 --batch "$b" --reps "$reps" | bench_field decode: 4)
    [[ $b == 1 ]] && b1=$agg
    [[ $b == 8 ]] && b8=$agg
    printf 'batched decode, %2d sequences: %8.1f tokens/s (%sx one sequence)\n' "$b" "$agg" "$(ratio "$agg" "$b1")"
  done
  line="$type: prefill $pp, decode $tg, 8 seqs / 1 = $(ratio "$b8" "$b1"), pos 1000 / 10 = $(ratio "$far" "$near")"
  line="$line (q8_0 KV $(ratio "$far_q8" "$near_q8"))"
  if [[ -n $anchor ]]; then
    a=$(LLAMA_LIB_DIR="$LLAMA_LIB_DIR" "$anchor" "$model" "$threads" 252 64 8 "$reps" 2>/dev/null || true)
    lpp=$(awk '$2 == "pp252" { print $3 }' <<<"$a"); ltg=$(awk '$2 == "tg64" { print $3 }' <<<"$a")
    lb8=$(awk '$2 == "b8" { print $3 }' <<<"$a")
    printf 'llama.cpp (same file, %s threads): prefill %s, decode %s, 8 sequences %s tokens/s\n' "$threads" "$lpp" "$ltg" "$lb8"
    printf 'ratios ours / llama.cpp: prefill %s, decode %s, 8 sequences %s\n' "$(ratio "$pp" "$lpp")" \
      "$(ratio "$tg" "$ltg")" "$(ratio "$b8" "$lb8")"
    line="$line; vs llama.cpp: prefill $(ratio "$pp" "$lpp")x, decode $(ratio "$tg" "$ltg")x, 8 seqs $(ratio "$b8" "$lb8")x"
  elif [[ -n "${LLAMA_BENCH:-}" ]]; then
    "$LLAMA_BENCH" -m "$model" -t "$threads" -p 252 -n 64 -r "$reps" 2>/dev/null | grep -E "pp252|tg64" || true
  fi
  summary+=("$line")
done

echo
echo "## summary ($threads threads; targets: prefill >= 1.25x llama.cpp, decode >= 1.3x llama.cpp, 8 seqs >= 5x one, pos 1000 <= 1.3x pos 10)"
printf '%s\n' "${summary[@]}"
