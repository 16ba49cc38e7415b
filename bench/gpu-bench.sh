#!/usr/bin/env bash
# gpu-bench.sh — the CUDA backend's figures (issue #13): decode ms/token for one stream, aggregate decode tokens/s
# for 1, 8, 32 and 64 streams, and prefill tokens/s, on random-weight models of the GPT-2 124M shape (f32, f16,
# q8_0, q4_0) and the 1.5B shape (f16). Figures only, never assertions. Targets on an H200-class GPU: 124M decode
# <= 1 ms/token (1 stream) and >= 20,000 tokens/s at 64 streams; 1.5B f16 decode <= 3 ms/token.
#
# Usage: bench/gpu-bench.sh [BUILD_DIR (default build/cuda)] [OUT_DIR (default bench/results/gpu-bench-<utc>)]
# Env: DEVICE (default cuda), SKIP_XL=1 leaves out the 1.5B shape (its random f16 file is 3.2 GB).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build/cuda}
OUT=${2:-bench/results/gpu-bench-$(date -u +%Y%m%dT%H%M%SZ)}
DEVICE=${DEVICE:-cuda}
MODELS=${MODELS_DIR:-$BUILD/bench-models}
mkdir -p "$OUT" "$MODELS"
SUMMARY="$OUT/summary.txt"
: > "$SUMMARY"

for tool in gpt2-bench gpt2-random; do
  if [ ! -x "$BUILD/$tool" ]; then
    echo "gpu-bench: $BUILD/$tool missing: build with -DGPT2_CUDA=ON first (make test-cuda-build)"
    exit 1
  fi
done

model() {  # model NAME ARGS... -> path (made once by gpt2-random)
  local name=$1; shift
  local path="$MODELS/$name.gguf"
  [ -f "$path" ] || "$BUILD/gpt2-random" "$path" "$@" >/dev/null
  echo "$path"
}

# bench LABEL MODEL ARGS...: one gpt2-bench run, its figure lines (or its failure) into the summary
failures=0
bench() {
  local label=$1 path=$2; shift 2
  local log
  log="$OUT/$(echo "$label" | tr ' /:.' '____').log"
  echo "== $label" | tee -a "$SUMMARY"
  if "$BUILD/gpt2-bench" -m "$path" --device "$DEVICE" "$@" > "$log" 2>&1; then
    grep -E '^(model|prompt|decode)' "$log" | tee -a "$SUMMARY"
  else
    echo "FAILED (exit $?):" | tee -a "$SUMMARY"
    tail -3 "$log" | tee -a "$SUMMARY"
    failures=$((failures + 1))
  fi
}

G124=(--layers 12 --heads 12 --embd 768 --ctx 1024)
for type in f32 f16 q8_0 q4_0; do
  m=$(model "g124-$type" "${G124[@]}" --type "$type")
  bench "124M $type decode 1 stream" "$m" -p 128 -n 256 --batch 1 --reps 3
  [ "$failures" = 0 ] || { echo "gpu-bench: the first run failed; stopping"; exit 1; }
  for b in 8 32 64; do
    bench "124M $type decode $b streams" "$m" -p 32 -n 128 --batch "$b" --reps 2
  done
  bench "124M $type prefill 512" "$m" -p 512 -n 0 --batch 1 --reps 3
done

if [ "${SKIP_XL:-0}" != 1 ]; then
  m=$(model "g1558-f16" --layers 48 --heads 25 --embd 1600 --ctx 1024 --type f16)
  bench "1.5B f16 decode 1 stream" "$m" -p 128 -n 128 --batch 1 --reps 2
  bench "1.5B f16 decode 64 streams" "$m" -p 32 -n 64 --batch 64 --reps 1
  bench "1.5B f16 prefill 512" "$m" -p 512 -n 0 --batch 1 --reps 2
fi
echo "gpu-bench: figures in $SUMMARY ($failures runs failed)"
[ "$failures" = 0 ]
