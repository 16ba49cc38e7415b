#!/usr/bin/env bash
# check-dockerfile.sh — static check of the Dockerfile where no Docker engine runs (as in CI):
#   - every FROM names an image (with a tag) or an earlier stage; stage names are unique
#   - every COPY/ADD source exists in the build context and is not excluded by .dockerignore, or, with
#     --from=STAGE, STAGE is an earlier stage
#   - every `make TARGET` in a RUN is a target of the Makefile
#   - the final stage has EXPOSE, HEALTHCHECK, a non-root USER, and an ENTRYPOINT or CMD
#   - ARG MODEL and ARG TYPE exist (the model is chosen at build time)
# Then a negative self-test: deliberately broken copies of the Dockerfile must each be rejected, so a
# checker that accepts everything fails here.
#
# Usage: ci/check-dockerfile.sh [DOCKERFILE]   (default: the repository's Dockerfile)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

# Makefile targets, from make's own database (no recipe runs).
make_targets() {
  make -C "$ROOT" -pRrq -f "$ROOT/Makefile" : 2>/dev/null \
    | awk -F: '/^# Not a target/ { skip = 1; next } /^[A-Za-z0-9_.\/-]+:/ { if (!skip) print $1; skip = 0; next } { skip = 0 }' \
    | sort -u
}

# .dockerignore patterns (no comments, no negations) -> is PATH excluded?
ignored() {
  local path="$1" pat
  [[ -f "$ROOT/.dockerignore" ]] || return 1
  while IFS= read -r pat; do
    pat="${pat%%#*}"; pat="${pat%"${pat##*[![:space:]]}"}"
    [[ -z "$pat" || "$pat" == !* ]] && continue
    pat="${pat%/}"; pat="${pat#./}"
    # shellcheck disable=SC2053
    if [[ "$path" == $pat || "$path" == $pat/* ]]; then return 0; fi
    if [[ "$pat" == '**/'* ]]; then
      local tail="${pat#\*\*/}"
      # shellcheck disable=SC2053
      if [[ "$path" == $tail || "$path" == $tail/* || "$path" == */$tail || "$path" == */$tail/* ]]; then return 0; fi
    fi
  done < "$ROOT/.dockerignore"
  return 1
}

# check FILE -> prints one line per problem, returns the number of problems (0 = clean)
check() {
  local file="$1" errors=0 targets line instr rest stage_idx=-1 last_from=0
  local -a stages=() words=()
  local has_expose=0 has_health=0 user="" has_entry=0 has_arg_model=0 has_arg_type=0
  targets="$(make_targets)"
  err() { echo "  $file: $*"; errors=$((errors + 1)); }

  # Join continuation lines, drop comments and blank lines.
  local joined
  joined="$(sed -e 's/\r$//' "$file" | awk '
    /^[[:space:]]*#/ { next }
    { if (sub(/\\[[:space:]]*$/, "")) { buf = buf $0 " "; next } print buf $0; buf = "" }
    END { if (buf != "") print buf }' | grep -v '^[[:space:]]*$' || true)"

  while IFS= read -r line; do
    instr="$(awk '{ print toupper($1) }' <<<"$line")"
    rest="$(sed -E 's/^[[:space:]]*[A-Za-z]+[[:space:]]*//' <<<"$line")"
    case "$instr" in
      FROM)
        read -ra words <<<"$rest"
        local image="${words[0]:-}" i
        for ((i = 0; i < ${#words[@]}; i++)); do [[ "${words[$i]}" == --* ]] || { image="${words[$i]}"; break; }; done
        local known=0 s
        for s in "${stages[@]}"; do [[ "$s" == "$image" ]] && known=1; done
        if [[ $known -eq 0 && "$image" != *:* && "$image" != *@* && "$image" != scratch ]]; then
          err "FROM $image: pin a tag (image:tag) or name an earlier stage"
        fi
        local name=""
        if [[ "${words[-2]:-}" =~ ^[Aa][Ss]$ ]]; then name="${words[-1]}"; fi
        for s in "${stages[@]}"; do [[ -n "$name" && "$s" == "$name" ]] && err "stage name '$name' used twice"; done
        stages+=("${name:-#$((stage_idx + 1))}")
        stage_idx=$((stage_idx + 1))
        has_expose=0; has_health=0; user=""; has_entry=0
        ;;
      COPY|ADD)
        read -ra words <<<"$rest"
        local from="" w
        local -a srcs=()
        for w in "${words[@]}"; do
          case "$w" in
            --from=*) from="${w#--from=}" ;;
            --*) ;;
            *) srcs+=("$w") ;;
          esac
        done
        if [[ ${#srcs[@]} -lt 2 ]]; then err "$instr needs a source and a destination: $line"; continue; fi
        unset 'srcs[-1]'
        if [[ -n "$from" ]]; then
          local found=0 s
          for s in "${stages[@]}"; do [[ "$s" == "$from" ]] && found=1; done
          [[ $found -eq 1 ]] || err "$instr --from=$from: no earlier stage named '$from'"
        else
          local src
          for src in "${srcs[@]}"; do
            src="${src#./}"
            if [[ "$src" == . ]]; then continue; fi
            if [[ "$instr" == ADD && "$src" =~ ^https?:// ]]; then continue; fi
            # shellcheck disable=SC2086
            if ! compgen -G "$ROOT/$src" >/dev/null; then
              err "$instr source '$src' does not exist in the build context"
            elif ignored "$src"; then
              err "$instr source '$src' is excluded by .dockerignore"
            fi
          done
        fi
        ;;
      RUN)
        # every command that starts with `make` (at the start or after && || ; |): each target must exist
        local seg t
        while IFS= read -r seg; do
          read -ra words <<<"$seg"
          [[ "${words[0]:-}" == make ]] || continue
          for t in "${words[@]:1}"; do
            case "$t" in *=*|-*) continue ;; esac
            t="${t//\"/}"; t="${t//\'/}"
            grep -qx -- "$t" <<<"$targets" || err "RUN make $t: the Makefile has no target '$t'"
          done
        done < <(sed -E 's/(&&|\|\||;|\|)/\n/g' <<<"$rest")
        ;;
      EXPOSE) has_expose=1 ;;
      HEALTHCHECK) [[ "$rest" =~ ^[Nn][Oo][Nn][Ee] ]] || has_health=1 ;;
      USER) user="$(awk '{ print $1 }' <<<"$rest")" ;;
      ENTRYPOINT|CMD) has_entry=1 ;;
      ARG)
        [[ "$rest" =~ ^MODEL(=|$) ]] && has_arg_model=1
        [[ "$rest" =~ ^TYPE(=|$) ]] && has_arg_type=1
        ;;
    esac
  done <<<"$joined"

  [[ $stage_idx -ge 0 ]] || err "no FROM"
  [[ $has_expose -eq 1 ]] || err "final stage has no EXPOSE"
  [[ $has_health -eq 1 ]] || err "final stage has no HEALTHCHECK"
  [[ $has_entry -eq 1 ]] || err "final stage has no ENTRYPOINT or CMD"
  if [[ -z "$user" ]]; then err "final stage has no USER (it would run as root)"
  elif [[ "$user" == root || "$user" == 0 || "$user" == 0:* || "$user" == root:* ]]; then err "final stage runs as root (USER $user)"; fi
  [[ $has_arg_model -eq 1 ]] || err "no ARG MODEL (the model is chosen with --build-arg MODEL=...)"
  [[ $has_arg_type -eq 1 ]] || err "no ARG TYPE (the quantization is chosen with --build-arg TYPE=...)"
  return $errors
}

DOCKERFILE="${1:-$ROOT/Dockerfile}"
[[ -f "$DOCKERFILE" ]] || { echo "no Dockerfile at $DOCKERFILE"; exit 1; }
[[ -f "$ROOT/Makefile" ]] || { echo "no Makefile at $ROOT"; exit 1; }

echo "checking $DOCKERFILE"
if check "$DOCKERFILE"; then
  echo "  ok"
else
  echo "Dockerfile check FAILED"
  exit 1
fi
[[ $# -eq 0 ]] || exit 0

# ---- negative self-test: each mutation must be caught --------------------------------------------------------
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
mutate() {   # NAME SED-SCRIPT : a copy of the Dockerfile with one defect; the sed must change something
  local out="$tmp/Dockerfile.$1"
  sed -E "$2" "$DOCKERFILE" > "$out"
  if cmp -s "$out" "$DOCKERFILE"; then echo "  self-test '$1': the mutation did not apply"; return 2; fi
  if check "$out" >"$tmp/out" 2>&1; then
    echo "  self-test '$1': a broken Dockerfile was ACCEPTED"; return 1
  fi
  echo "  self-test '$1': rejected as expected ($(head -n1 "$tmp/out" | sed 's/^ *[^:]*: //'))"
}
echo "negative self-test (broken copies must fail)"
fails=0
mutate missing-copy-source  '0,/^COPY native /s//COPY native-does-not-exist /'  || fails=$((fails + 1))
mutate unknown-make-target  '0,/^RUN make weights/s//RUN make weigths/'             || fails=$((fails + 1))
mutate unknown-stage        '0,/--from=build/s//--from=bulid/'                    || fails=$((fails + 1))
mutate no-healthcheck       '/^HEALTHCHECK/,/CMD/d'                               || fails=$((fails + 1))
mutate root-user            's/^USER .*/USER root/'                               || fails=$((fails + 1))
mutate no-expose            '/^EXPOSE/d'                                          || fails=$((fails + 1))
mutate ignored-source       '0,/^COPY weights /s//COPY .git /'                    || fails=$((fails + 1))
mutate untagged-image       's/^FROM eclipse-temurin:21-jre/FROM eclipse-temurin/' || fails=$((fails + 1))
if [[ $fails -ne 0 ]]; then
  echo "Dockerfile checker self-test FAILED ($fails mutation(s) not caught)"
  exit 1
fi
echo "Dockerfile check passed (1 Dockerfile, 8 broken copies rejected)"
