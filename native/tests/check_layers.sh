#!/usr/bin/env bash
# check_layers.sh — the native runtime's layering, enforced (a ctest): a file under native/src/<folder>/ may
# include headers of its own folder and of folders in LOWER layers only. The layers, bottom up:
#   0 util      errors, JSON, command-line helpers
#   1 tensor    tensor views, block layouts, quantizers
#   2 gguf kernels tokenizer
#   3 model device   the forward pass, contexts, KV caches; device backends (they bind model weights)
#   4 sampler   sampling, stop strings, the generation loop
#   5 convert   converters, requantization, recipes, imatrix files, random models
#   6 api       the C API of native/include/gpt2.h (wraps everything below; nothing below calls it)
# Usage: check_layers.sh NATIVE_SRC_DIR     Prints each violation; exit 1 if any.
set -euo pipefail
src="${1:?usage: check_layers.sh NATIVE_SRC_DIR}"
declare -A rank=([util]=0 [tensor]=1 [gguf]=2 [kernels]=2 [tokenizer]=2 [model]=3 [device]=3 [sampler]=4
                 [convert]=5 [api]=6)
bad=0
for dir in "$src"/*/; do
  folder=$(basename "$dir")
  if [[ -z ${rank[$folder]+x} ]]; then
    echo "check_layers: folder native/src/$folder has no layer: add it to native/tests/check_layers.sh"
    bad=1
    continue
  fi
  while IFS=: read -r file _ line; do
    dep=$(sed -E 's/^#include "([a-z_0-9]+)\/.*/\1/' <<<"$line")
    [[ $dep == "$folder" ]] && continue
    if [[ -z ${rank[$dep]+x} ]] || (( rank[$dep] > rank[$folder] )); then
      echo "check_layers: ${file#$src/} ($folder, layer ${rank[$folder]}) includes $dep (layer ${rank[$dep]:-?})"
      bad=1
    fi
  done < <(grep -Hn '^#include "[a-z_0-9]*/' "$dir"*.cpp "$dir"*.h 2>/dev/null || true)
  # the C API is the top: nothing below may call gpt2_* entry points (they are implemented in api/)
  if [[ $folder != api ]]; then
    while IFS= read -r hit; do
      echo "check_layers: ${hit#$src/}: calls the public C API from below it"
      bad=1
    done < <(grep -HnE '\bgpt2_(decode|get_logits|context_[a-z_]+|model_[a-z_]+|sampler_[a-z_]+|tokenize|detokenize|last_error)\(' \
               "$dir"*.cpp 2>/dev/null | grep -v '^\S*:[0-9]*:\s*//' || true)
  fi
done
if (( bad )); then exit 1; fi
echo "check_layers: native/src follows its layers"
