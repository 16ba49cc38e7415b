#!/usr/bin/env bash
# convert.sh — turns a downloaded Hugging Face GPT-2 directory into a GGUF file of the requested type with
# the native gpt2-convert tool. Writes OUT.gguf.tmp first and renames it, so an interrupted run never leaves
# a truncated model that looks complete.
#
# Usage: weights/convert.sh HF_DIR OUT.gguf TYPE        TYPE = f32 | f16 | q8_0 | q4_0
# Environment: GPT2_BIN = directory holding gpt2-convert (default build/release of this repository).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BIN="${GPT2_BIN:-$HERE/../build/release}"

[[ $# -eq 3 ]] || { echo "usage: $0 HF_DIR OUT.gguf f32|f16|q8_0|q4_0" >&2; exit 2; }
IN="$1"; OUT="$2"; TYPE="$3"
case "$TYPE" in f32|f16|q8_0|q4_0) ;; *) echo "[weights] ERROR: unknown TYPE '$TYPE'" >&2; exit 2 ;; esac
[[ -x "$BIN/gpt2-convert" ]] || { echo "[weights] ERROR: $BIN/gpt2-convert not built (run: make build-native)" >&2; exit 1; }
for f in config.json model.safetensors vocab.json merges.txt; do
  [[ -f "$IN/$f" ]] || { echo "[weights] ERROR: $IN/$f missing (run weights/download.sh first)" >&2; exit 1; }
done

mkdir -p "$(dirname "$OUT")"
echo "[weights] converting $IN -> $OUT ($TYPE)" >&2
rm -f "$OUT.tmp"
"$BIN/gpt2-convert" "$IN" "$OUT.tmp" --type "$TYPE" >&2
mv "$OUT.tmp" "$OUT"
echo "[weights] wrote $OUT ($(stat -c %s "$OUT") bytes)" >&2
