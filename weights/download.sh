#!/usr/bin/env bash
# download.sh — fetches a GPT-2 checkpoint (config.json, model.safetensors, vocab.json, merges.txt) from
# Hugging Face into a directory, resumably, and verifies every file's size and sha256.
#
# Usage: weights/download.sh MODEL DEST_DIR        MODEL = gpt2 | gpt2-medium | gpt2-large | gpt2-xl
#
# Verification: expected size + sha256 come from weights/checksums/MODEL.txt where pinned, and from the Hub
# API (https://huggingface.co/api/models/openai-community/MODEL/tree/REV: "size" for every file, "lfs.oid"
# = sha256 for LFS files) at download time. When both exist they must agree. A file with no known sha256
# (config.json of an unpinned model: not an LFS file) is checked against the git blob id the listing gives.
# Downloads go to FILE.part and are resumed with curl -C -; a file is moved into place only once verified.
#
# Exit status: 0 done; 3 the Hub cannot be reached (offline) — nothing changed; 1 any other failure,
# including an HTTP error from a reachable Hub (unknown repo/revision, missing token).
# Environment: HF_ENDPOINT (default https://huggingface.co), HF_TOKEN (optional bearer token),
#              GPT2_CONNECT_TIMEOUT (seconds, default 5).
set -euo pipefail

readonly FILES=(config.json vocab.json merges.txt model.safetensors)
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ENDPOINT="${HF_ENDPOINT:-https://huggingface.co}"
CONNECT_TIMEOUT="${GPT2_CONNECT_TIMEOUT:-5}"

log() { printf '[weights] %s\n' "$*" >&2; }
die() { printf '[weights] ERROR: %s\n' "$*" >&2; exit 1; }

[[ $# -eq 2 ]] || { echo "usage: $0 gpt2|gpt2-medium|gpt2-large|gpt2-xl DEST_DIR" >&2; exit 2; }
MODEL="$1"
DEST="$2"
case "$MODEL" in
  gpt2|gpt2-medium|gpt2-large|gpt2-xl) ;;
  *) die "unknown model '$MODEL' (expected gpt2, gpt2-medium, gpt2-large or gpt2-xl)" ;;
esac
command -v curl >/dev/null || die "curl is required"
command -v sha256sum >/dev/null || die "sha256sum is required"

REPO="openai-community/$MODEL"
PINS="$HERE/checksums/$MODEL.txt"
[[ -f "$PINS" ]] || die "missing checksum file $PINS"
REV="$(awk '$1 == "revision" { print $2 }' "$PINS")"
REV="${REV:-main}"

curl_auth=()
[[ -n "${HF_TOKEN:-}" ]] && curl_auth=(-H "Authorization: Bearer $HF_TOKEN")

# pinned FILE -> "SIZE SHA" ("-" for unknown)
pinned() { awk -v f="$1" '$1 == f { print $2, $3; found = 1 } END { if (!found) print "- -" }' "$PINS"; }

mkdir -p "$DEST"
tree="$DEST/.hub-tree.json"

# 1. The Hub API listing: doubles as the connectivity probe (short connect timeout, clear message).
log "asking $ENDPOINT for $REPO@$REV (connect timeout ${CONNECT_TIMEOUT}s)"
rc=0
curl -fsS --connect-timeout "$CONNECT_TIMEOUT" --max-time 30 "${curl_auth[@]}" \
     -o "$tree.tmp" "$ENDPOINT/api/models/$REPO/tree/$REV" 2>"$tree.err" || rc=$?
if [[ $rc -eq 22 ]]; then
  # The Hub answered, with an HTTP error: not "offline" (that would hide a wrong name, revision or token).
  msg="$(tr -d '\n' < "$tree.err")"
  rm -f "$tree.tmp" "$tree.err"
  die "$ENDPOINT answered an error for $REPO@$REV ($msg); check the model name, the revision pinned in weights/checksums/$MODEL.txt, or HF_TOKEN"
elif [[ $rc -ne 0 ]]; then
  log "cannot reach $ENDPOINT: $(tr -d '\n' < "$tree.err")"
  log "this machine looks offline (or the Hub is down); no files were downloaded"
  rm -f "$tree.tmp" "$tree.err"
  exit 3
fi
rm -f "$tree.err"
mv "$tree.tmp" "$tree"

# api FILE -> "SIZE SHA256 GITOID" from the listing ("-" where the listing has none). The listing is one JSON
# array of objects {"type":..,"oid":..,"size":N,"lfs":{"oid":"<sha256>","size":N,..},"path":".."} (any field
# order); split it at the "},{" between entries (no entry holds an array of objects) and pick the one whose
# path is FILE. For an LFS file lfs.oid is the content's sha256; for a plain git file the top-level "oid" is
# the git blob id of the content (sha1 of "blob SIZE\0" + bytes), which verify() checks too.
api() {
  local entry rest size sha gitoid
  entry="$(sed 's/},{/}\n{/g' "$tree" | grep -F "\"path\":\"$1\"" | head -n1 || true)"
  [[ -n "$entry" ]] || { echo "- - -"; return; }
  rest="$(sed 's/"lfs":{[^}]*}//' <<<"$entry")"
  size="$(grep -o '"size":[0-9]*' <<<"$rest" | head -n1 | cut -d: -f2 || true)"
  sha="$(grep -o '"lfs":{[^}]*}' <<<"$entry" | grep -o '"oid":"[0-9a-f]\{64\}"' | cut -d'"' -f4 || true)"
  gitoid=""
  [[ -n "$sha" ]] || gitoid="$(grep -o '"oid":"[0-9a-f]\{40\}"' <<<"$rest" | head -n1 | cut -d'"' -f4 || true)"
  echo "${size:--} ${sha:--} ${gitoid:--}"
}

git_blob_id() { { printf 'blob %d\0' "$(stat -c %s "$1")"; cat "$1"; } | sha1sum | cut -d' ' -f1; }

# pick LABEL PINNED API -> the value, or die when both are known and differ
pick() {
  if [[ "$2" != "-" && "$3" != "-" && "$2" != "$3" ]]; then
    die "$4: pinned $1 $2 but the Hub lists $3 (upstream changed? update weights/checksums/$MODEL.txt)"
  fi
  if [[ "$2" != "-" ]]; then echo "$2"; else echo "$3"; fi
}

# verify PATH SIZE SHA256 GITOID -> 0 when it matches (unknown values, "-", are not checked)
verify() {
  local path="$1" size="$2" sha="$3" gitoid="$4" got
  [[ -f "$path" ]] || return 1
  if [[ "$size" != "-" ]]; then
    got="$(stat -c %s "$path")"
    [[ "$got" == "$size" ]] || { log "$(basename "$path"): size $got, expected $size"; return 1; }
  fi
  if [[ "$sha" != "-" ]]; then
    got="$(sha256sum "$path" | cut -d' ' -f1)"
    [[ "$got" == "$sha" ]] || { log "$(basename "$path"): sha256 $got, expected $sha"; return 1; }
  fi
  if [[ "$gitoid" != "-" ]]; then
    got="$(git_blob_id "$path")"
    [[ "$got" == "$gitoid" ]] || { log "$(basename "$path"): git blob id $got, the Hub lists $gitoid"; return 1; }
  fi
  return 0
}

for f in "${FILES[@]}"; do
  read -r pin_size pin_sha <<<"$(pinned "$f")"
  read -r api_size api_sha gitoid <<<"$(api "$f")"
  [[ "$api_size" != "-" ]] || die "$REPO@$REV has no file $f according to the Hub"
  size="$(pick size "$pin_size" "$api_size" "$f")"
  sha="$(pick sha256 "$pin_sha" "$api_sha" "$f")"
  out="$DEST/$f"
  if verify "$out" "$size" "$sha" "$gitoid" 2>/dev/null; then
    log "$f: present and verified"
    continue
  fi
  rm -f "$out"
  part="$out.part"
  if [[ -f "$part" && "$size" != "-" && "$(stat -c %s "$part")" -gt "$size" ]]; then
    rm -f "$part"   # longer than the real file: cannot be a prefix of it
  fi
  if [[ -f "$part" ]]; then log "$f: resuming at $(stat -c %s "$part") bytes"; else log "$f: downloading ($size bytes)"; fi
  curl -fL --connect-timeout "$CONNECT_TIMEOUT" --retry 3 --retry-delay 2 -C - --progress-bar \
       "${curl_auth[@]}" -o "$part" "$ENDPOINT/$REPO/resolve/$REV/$f" \
    || die "$f: download failed (run again to resume from $(stat -c %s "$part" 2>/dev/null || echo 0) bytes)"
  if ! verify "$part" "$size" "$sha" "$gitoid"; then
    rm -f "$part"
    die "$f: verification failed; the partial file was removed, run again to download it afresh"
  fi
  mv "$part" "$out"
  if [[ "$sha" == "-" ]]; then
    log "$f: ok (size and git blob id ${gitoid} checked)"
  else
    log "$f: ok (sha256 $sha)"
  fi
done
log "$REPO@$REV is complete in $DEST"
