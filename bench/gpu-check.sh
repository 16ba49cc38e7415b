#!/usr/bin/env bash
# gpu-check.sh — everything a session with an NVIDIA GPU runs in one go to verify the CUDA backend (issue #13):
# the -DGPT2_CUDA=ON build, test_device and test_cuda (logits vs the CPU per type, greedy parity on
# ../shared/models/tiny-shakespeare, batching, graph replay, slot reuse, cancellation), then bench/gpu-bench.sh.
# Every step's log and a summary land in OUT_DIR; the exit status is non-zero if the build or a test failed.
#
# Usage: bench/gpu-check.sh [OUT_DIR (default bench/results/gpu-check-<utc>)] [ARCHIVE.tgz]
#   ARCHIVE: also pack OUT_DIR into one .tgz (the device tool brings back few files), e.g. on a lent GPU machine:
#   bash bench/gpu-check.sh /tmp/gpu-check "$OUT/gpu-check.tgz"   (the summary is printed as it goes)
# Env: CUDA_ARCHS (default "80;90"), JOBS (default nproc), SKIP_BENCH=1, SKIP_XL=1 (see gpu-bench.sh),
#      GPT2_TINY_SHAKESPEARE: the trained model's directory when ../shared/models/tiny-shakespeare is not beside the
#      checkout (the device tool does not send ../shared: copy the directory into an ignored folder of the checkout,
#      e.g. .gpu-shared/, carry it, and point this variable at it).
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-bench/results/gpu-check-$(date -u +%Y%m%dT%H%M%SZ)}
ARCHIVE=${2:-}
BUILD=build/cuda
JOBS=${JOBS:-$(nproc)}
mkdir -p "$OUT"
status=0
step() { printf '\n==> %s\n' "$1" | tee -a "$OUT/summary.txt"; }

step "device"
{ nvidia-smi || echo "nvidia-smi failed"; } > "$OUT/nvidia-smi.txt" 2>&1
head -15 "$OUT/nvidia-smi.txt" | tee -a "$OUT/summary.txt"

step "build ($BUILD, sm ${CUDA_ARCHS:-80;90})"
nvcc=$(command -v nvcc || echo /usr/local/cuda/bin/nvcc)
if ! { cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DGPT2_CUDA=ON -DCMAKE_CUDA_COMPILER="$nvcc" \
         -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHS:-80;90}" &&
       cmake --build "$BUILD" -j"$JOBS" \
         --target gpt2 gpt2_cuda gpt2-bench gpt2-random gpt2-generate test_device test_cuda
     } > "$OUT/build.log" 2>&1; then
  tail -30 "$OUT/build.log" | tee -a "$OUT/summary.txt"
  echo "gpu-check: build failed (see $OUT/build.log)"
  [ -z "$ARCHIVE" ] || tar czf "$ARCHIVE" -C "$(dirname "$OUT")" "$(basename "$OUT")"
  exit 1
fi
echo "ok" | tee -a "$OUT/summary.txt"

export GPT2_TINY_SHAKESPEARE=${GPT2_TINY_SHAKESPEARE:-$PWD/../shared/models/tiny-shakespeare}
for t in test_device test_cuda; do
  step "$t"
  ( cd "$BUILD" && timeout 600 "./$t" ) > "$OUT/$t.log" 2>&1
  rc=$?
  grep -E '^  |checks passed|skipped|CHECK failed|cuda:0' "$OUT/$t.log" | head -80 | tee -a "$OUT/summary.txt"
  echo "$t exit status $rc" | tee -a "$OUT/summary.txt"
  [ "$rc" = 0 ] || status=1
done

if [ -f "$GPT2_TINY_SHAKESPEARE/model.safetensors" ]; then
  step "gpt2-generate --device cuda (tiny-shakespeare f16, greedy 64 tokens)"
  m="$BUILD/test_cuda_models/tiny-shakespeare-f16.gguf"
  if [ -f "$m" ]; then
    "$BUILD/gpt2-generate" -m "$m" -p "ROMEO:" -n 64 --temp 0 --device cuda > "$OUT/generate-cuda.txt" 2>&1 || status=1
    "$BUILD/gpt2-generate" -m "$m" -p "ROMEO:" -n 64 --temp 0 > "$OUT/generate-cpu.txt" 2>&1 || status=1
    grep -v '^main:\|^gpt2\|timings\|ms' "$OUT/generate-cuda.txt" | head -5 | tee -a "$OUT/summary.txt"
  fi
fi

if [ "${SKIP_BENCH:-0}" != 1 ]; then
  step "benchmark"
  bash bench/gpu-bench.sh "$BUILD" "$OUT/bench" > "$OUT/bench.log" 2>&1 || status=1
  cat "$OUT/bench/summary.txt" 2>/dev/null | tee -a "$OUT/summary.txt"
fi
step "done: status $status, results in $OUT"
if [ -n "$ARCHIVE" ]; then
  tar czf "$ARCHIVE" -C "$(dirname "$OUT")" "$(basename "$OUT")" && echo "packed into $ARCHIVE"
fi
exit $status
