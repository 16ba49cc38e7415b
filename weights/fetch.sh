#!/usr/bin/env bash
# fetch.sh — the weights pipeline behind `make weights` and `make run`: makes sure a GGUF model is on disk
# and prints its path (one line on stdout; everything else goes to stderr).
#
# Usage: weights/fetch.sh MODEL TYPE
#   MODEL = gpt2 | gpt2-medium | gpt2-large | gpt2-xl  -> download (download.sh), verify, convert (convert.sh)
#           into weights/models/MODEL-TYPE.gguf; reused when already there.
#         | PATH.gguf                                   -> that file, as is (must exist).
#   TYPE  = f32 | f16 | q8_0 | q4_0
#
# Offline (the Hub cannot be reached, or GPT2_OFFLINE=1) it says so and falls back to a deterministic demo
# model with GPT-2 124M's shape but RANDOM weights (gpt2-random: 12 layers, 12 heads, 768 wide, context
# 1024, seed 42) at weights/models/demo-random-TYPE.gguf. GPT2_NO_FALLBACK=1 makes that case an error.
# A download that fails verification is always an error (never silently replaced by the demo model).
# Environment: GPT2_BIN (tools directory, default build/release), GPT2_MODELS_DIR (default weights/models),
#              GPT2_CACHE_DIR (downloads, default weights/cache), plus download.sh's HF_ENDPOINT, HF_TOKEN.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BIN="${GPT2_BIN:-$HERE/../build/release}"
MODELS="${GPT2_MODELS_DIR:-$HERE/models}"
CACHE="${GPT2_CACHE_DIR:-$HERE/cache}"

log() { printf '[weights] %s\n' "$*" >&2; }
die() { printf '[weights] ERROR: %s\n' "$*" >&2; exit 1; }

[[ $# -eq 2 ]] || { echo "usage: $0 gpt2|gpt2-medium|gpt2-large|gpt2-xl|PATH.gguf f32|f16|q8_0|q4_0" >&2; exit 2; }
MODEL="$1"; TYPE="$2"

if [[ "$MODEL" == *.gguf || "$MODEL" == */* ]]; then
  [[ -f "$MODEL" ]] || die "model file '$MODEL' does not exist"
  log "using model file $MODEL"
  echo "$MODEL"
  exit 0
fi
case "$MODEL" in
  gpt2|gpt2-medium|gpt2-large|gpt2-xl) ;;
  *) die "unknown MODEL '$MODEL': use gpt2, gpt2-medium, gpt2-large, gpt2-xl or a path to a .gguf file" ;;
esac
case "$TYPE" in
  f32|f16|q8_0|q4_0) ;;
  *) die "unknown TYPE '$TYPE': use f32, f16, q8_0 or q4_0" ;;
esac

mkdir -p "$MODELS"
out="$MODELS/$MODEL-$TYPE.gguf"
if [[ -f "$out" ]]; then
  log "using $out (already converted)"
  echo "$out"
  exit 0
fi

rc=0
if [[ "${GPT2_OFFLINE:-0}" == 1 ]]; then
  log "GPT2_OFFLINE=1: not contacting Hugging Face"
  rc=3
else
  "$HERE/download.sh" "$MODEL" "$CACHE/$MODEL" || rc=$?
fi

if [[ $rc -eq 0 ]]; then
  "$HERE/convert.sh" "$CACHE/$MODEL" "$out" "$TYPE"
  echo "$out"
  exit 0
fi
[[ $rc -eq 3 ]] || die "could not fetch $MODEL (see above); nothing was converted"
[[ "${GPT2_NO_FALLBACK:-0}" != 1 ]] || die "offline and GPT2_NO_FALLBACK=1: no model available"

demo="$MODELS/demo-random-$TYPE.gguf"
log "------------------------------------------------------------------------------------------"
log "OFFLINE: cannot download $MODEL. Falling back to the DEMO model with RANDOM WEIGHTS:"
log "  $demo"
log "It has GPT-2 124M's shape and the real tokenizer, so speed and memory are realistic, but the"
log "text it generates is gibberish. Its metadata labels it as random; /info and the page show it."
log "Run 'make weights MODEL=$MODEL TYPE=$TYPE' with network access for the real model."
log "------------------------------------------------------------------------------------------"
if [[ ! -f "$demo" ]]; then
  [[ -x "$BIN/gpt2-random" ]] || die "$BIN/gpt2-random not built (run: make build-native)"
  rm -f "$demo.tmp"
  "$BIN/gpt2-random" "$demo.tmp" --layers 12 --heads 12 --embd 768 --ctx 1024 --seed 42 --type "$TYPE" \
      --vocab-dir "$HERE/tokenizer" >&2
  mv "$demo.tmp" "$demo"
fi
echo "$demo"
