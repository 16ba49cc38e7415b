#!/usr/bin/env bash
# test-download.sh — tests weights/download.sh against a local mock of the Hugging Face Hub (mock-hub.mjs):
# a download cut off halfway fails, the next run resumes it with a Range request and verifies it; a second
# run re-downloads nothing; a listing whose sha256 disagrees with the bytes is rejected and leaves no file;
# a model whose pinned checksum disagrees with the Hub is rejected; an unreachable Hub exits 3 (offline);
# fetch.sh runs download -> verify -> convert end to end and then re-uses the result.
# Needs node, curl, sha256sum. Ends with "N passed, N failed".
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
DL="$ROOT/weights/download.sh"
tmp="$(mktemp -d)"
hub="$tmp/hub"
pid=""
cleanup() { [[ -n "$pid" ]] && kill "$pid" 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT

passed=0 failed=0
ok()   { echo "  PASS $*"; passed=$((passed + 1)); }
bad()  { echo "  FAIL $*"; failed=$((failed + 1)); }
resolves() { grep -c "resolve/.*/$1 " "$hub/.requests" || true; }

# A fake gpt2-medium at revision main (the real tokenizer files, whose checksums are pinned), and a fake gpt2
# whose vocab.json differs from the pinned one.
repo="$hub/openai-community/gpt2-medium/main"
mkdir -p "$repo"
cp "$ROOT/weights/tokenizer/vocab.json" "$ROOT/weights/tokenizer/merges.txt" "$repo/"
printf '{"model_type":"gpt2","n_layer":2}\n' > "$repo/config.json"
head -c 3000000 /dev/urandom > "$repo/model.safetensors"
pinned_rev="$(awk '$1 == "revision" { print $2 }' "$ROOT/weights/checksums/gpt2.txt")"
bad_repo="$hub/openai-community/gpt2/$pinned_rev"
mkdir -p "$bad_repo"
cp "$repo/config.json" "$repo/model.safetensors" "$ROOT/weights/tokenizer/merges.txt" "$bad_repo/"
printf '{"not":"the real vocab"}' > "$bad_repo/vocab.json"
: > "$hub/.requests"

node "$HERE/mock-hub.mjs" "$hub" > "$tmp/port" &
pid=$!
for _ in $(seq 1 50); do [[ -s "$tmp/port" ]] && break; sleep 0.1; done
port="$(head -n1 "$tmp/port")"
[[ -n "$port" ]] || { echo "mock hub did not start"; echo "0 passed, 1 failed"; exit 1; }
export HF_ENDPOINT="http://127.0.0.1:$port"
echo "mock Hub at $HF_ENDPOINT"

# 1. cut-off download fails, keeps the partial file
touch "$hub/.cut-once"
out="$tmp/dl"
if bash "$DL" gpt2-medium "$out" > "$tmp/log1" 2>&1; then
  # a curl that retries partial transfers itself must then have resumed (Range), not restarted
  if grep -q "resolve/main/model.safetensors bytes=[1-9]" "$hub/.requests"; then ok "cut-off download resumed by curl's own retry"
  else bad "a download cut off halfway reported success without resuming"; fi
elif [[ -f "$out/model.safetensors.part" && ! -f "$out/model.safetensors" ]]; then ok "cut-off download fails and keeps model.safetensors.part ($(stat -c %s "$out/model.safetensors.part") bytes)"
else bad "cut-off download: expected a .part file and no final file"; cat "$tmp/log1"; fi

# 2. the next run resumes with a Range request and verifies everything
if bash "$DL" gpt2-medium "$out" > "$tmp/log2" 2>&1; then
  if grep -q "resolve/main/model.safetensors bytes=[1-9]" "$hub/.requests"; then ok "second run resumed with a Range request"
  else bad "second run did not send a Range request"; fi
  same=1
  for f in config.json vocab.json merges.txt model.safetensors; do cmp -s "$repo/$f" "$out/$f" || same=0; done
  if [[ $same -eq 1 && ! -e "$out/model.safetensors.part" ]]; then ok "all four files complete and identical to the Hub's"
  else bad "downloaded files differ from the Hub's"; fi
else bad "resumed download failed"; cat "$tmp/log2"; fi

# 3. a third run downloads nothing
before="$(resolves model.safetensors)"
if bash "$DL" gpt2-medium "$out" > "$tmp/log3" 2>&1 && [[ "$(resolves model.safetensors)" == "$before" ]] \
   && grep -q "present and verified" "$tmp/log3"; then ok "verified files are not downloaded again"
else bad "third run re-downloaded or failed"; cat "$tmp/log3"; fi

# 4. the Hub lists a sha256 the bytes do not have: rejected, nothing left behind
touch "$hub/.bad-sha"
out4="$tmp/dl4"
if bash "$DL" gpt2-medium "$out4" > "$tmp/log4" 2>&1; then bad "a sha256 mismatch was accepted"
elif [[ ! -e "$out4/model.safetensors" && ! -e "$out4/model.safetensors.part" ]] && grep -q "sha256" "$tmp/log4"; then
  ok "sha256 mismatch rejected, partial file removed"
else bad "sha256 mismatch: unexpected state"; cat "$tmp/log4"; fi
rm -f "$hub/.bad-sha"

# 4b. a plain git file (config.json) whose bytes do not match the git blob id the Hub lists: rejected
touch "$hub/.bad-oid"
out4b="$tmp/dl4b"
if bash "$DL" gpt2-medium "$out4b" > "$tmp/log4b" 2>&1; then bad "a git blob id mismatch was accepted"
elif [[ ! -e "$out4b/config.json" ]] && grep -q "git blob id" "$tmp/log4b"; then ok "git blob id mismatch of config.json rejected"
else bad "git blob id mismatch: unexpected state"; cat "$tmp/log4b"; fi
rm -f "$hub/.bad-oid"

# 5. a file that disagrees with its pinned checksum (gpt2's vocab.json) is rejected before download
out5="$tmp/dl5"
if bash "$DL" gpt2 "$out5" > "$tmp/log5" 2>&1; then bad "a file contradicting its pin was accepted"
elif grep -q "pinned" "$tmp/log5" && [[ ! -e "$out5/vocab.json" ]]; then ok "pinned checksum vs Hub listing mismatch rejected"
else bad "pin mismatch: unexpected output"; cat "$tmp/log5"; fi

# 6. unreachable Hub: exit status 3 (offline), quickly
start=$(date +%s)
HF_ENDPOINT="http://127.0.0.1:9" bash "$DL" gpt2 "$tmp/dl6" > "$tmp/log6" 2>&1
rc=$?
if [[ $rc -eq 3 && $(( $(date +%s) - start )) -lt 20 ]] && grep -q "offline" "$tmp/log6"; then ok "unreachable Hub exits 3 with an offline message"
else bad "unreachable Hub: rc=$rc"; cat "$tmp/log6"; fi

# 7. unknown model name is refused
if bash "$DL" gpt3 "$tmp/dl7" > "$tmp/log7" 2>&1; then bad "unknown model accepted"; else ok "unknown model name refused"; fi

# 7b. a reachable Hub that answers 404 (no such repo/revision) is an error, not "offline"
mkdir -p "$hub/openai-community/gpt2-xl"   # no revision "main" under it -> 404
HF_ENDPOINT="$HF_ENDPOINT" bash "$DL" gpt2-xl "$tmp/dl7b" > "$tmp/log7b" 2>&1
rc=$?
if [[ $rc -eq 1 ]] && grep -q "answered an error" "$tmp/log7b"; then ok "HTTP 404 from the Hub is an error (exit 1), not offline"
else bad "HTTP 404 from the Hub: rc=$rc"; cat "$tmp/log7b"; fi

# 8. the whole pipeline (fetch.sh: download -> verify -> gpt2-convert) on a small random checkpoint served as
#    gpt2-large; the second call re-uses the converted file. Needs the native tools (GPT2_BIN).
BIN="${GPT2_BIN:-$ROOT/build/release}"
if [[ -x "$BIN/gpt2-random" && -x "$BIN/gpt2-convert" ]]; then
  large="$hub/openai-community/gpt2-large/main"
  mkdir -p "$large"
  "$BIN/gpt2-random" "$tmp/ref.gguf" --layers 2 --heads 2 --embd 64 --ctx 64 --seed 7 \
      --vocab-dir "$ROOT/weights/tokenizer" --hf-dir "$large" > /dev/null
  export GPT2_MODELS_DIR="$tmp/models" GPT2_CACHE_DIR="$tmp/cache" GPT2_BIN="$BIN"
  path="$(bash "$ROOT/weights/fetch.sh" gpt2-large q4_0 2> "$tmp/log8")"
  if [[ "$path" == "$tmp/models/gpt2-large-q4_0.gguf" && -s "$path" ]] && head -c 4 "$path" | grep -q GGUF; then
    ok "fetch.sh downloaded, verified and converted to $(basename "$path") ($(stat -c %s "$path") bytes)"
  else bad "fetch.sh pipeline: got '$path'"; cat "$tmp/log8"; fi
  n="$(wc -l < "$hub/.requests")"
  path2="$(bash "$ROOT/weights/fetch.sh" gpt2-large q4_0 2> "$tmp/log9")"
  if [[ "$path2" == "$path" && "$(wc -l < "$hub/.requests")" == "$n" ]]; then ok "fetch.sh re-uses the converted model without contacting the Hub"
  else bad "fetch.sh second call: '$path2'"; cat "$tmp/log9"; fi
  if bash "$ROOT/weights/fetch.sh" "$tmp/missing.gguf" q8_0 > /dev/null 2>&1; then bad "a missing MODEL=path.gguf was accepted"
  else ok "MODEL=path.gguf that does not exist is an error"; fi
else
  bad "native tools not built in $BIN (gpt2-random, gpt2-convert): run make build-native"
fi

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
