#!/usr/bin/env bash
# test-download.sh — tests weights/download.sh against a local mock of the Hugging Face Hub (mock-hub.mjs):
# a download cut off halfway fails, the next run resumes it with a Range request and verifies it; a second
# run re-downloads nothing; a listing whose sha256 disagrees with the bytes is rejected and leaves no file;
# a model whose pinned checksum disagrees with the Hub is rejected; an unreachable Hub exits 3 (offline).
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

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]
