#!/usr/bin/env bash
# speculative.sh — speculative decoding's figures through the Java engine (dev.gpt2.bench.SpeculativeThroughput):
# plain vs speculative tokens/s, drafted / accepted tokens and the acceptance rate, for
#   1. the trained model of ../shared/models/tiny-shakespeare (f32 and q8_0) with prompt lookup: greedy GPT-2
#      loops, so most drafts are accepted (skipped when ../shared is absent);
#   2. a random-weights model with a random one-layer draft model (same vocabulary): greedy, most drafts are
#      rejected; sampled at temperature 1 (near-uniform over 50257 tokens), every draft is rejected, so the figure is
#      the mechanical overhead of drafting and verifying in vain.
# Prints, never asserts. Usage: bench/speculative.sh BUILD_DIR THREADS
set -euo pipefail
build="${1:-build/release}"
threads="${2:-1}"
root="$(cd "$(dirname "$0")/.." && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# Maven must run on Java 21+: Temurin 25 where it is installed (as the Makefile does)
if [[ -x /usr/lib/jvm/temurin-25-jdk-amd64/bin/java ]]; then export JAVA_HOME=/usr/lib/jvm/temurin-25-jdk-amd64; fi

bench() {   # MODEL TOKENS STREAMS DRAFT TEMPERATURE ROUNDS [DRAFT_MODEL]
    mvn -B -ntp -q -f "$root/java/runtime/pom.xml" -Dgpt2.native.skip=true test-compile exec:java \
        -Dexec.classpathScope=test -Dexec.mainClass=dev.gpt2.bench.SpeculativeThroughput \
        -Dexec.args="$1 $2 $3 $4 $threads $5 $6 ${7:-}" 2>&1 | grep -v -e '^WARNING' -e '^$'
}

shared="$root/../shared/models/tiny-shakespeare"
if [[ -f "$shared/model.safetensors" ]]; then
    for type in f32 q8_0; do
        "$build/gpt2-convert" "$shared" "$tmp/ts-$type.gguf" --type "$type" >/dev/null
        printf '\n\033[1m==> speculative decoding, prompt lookup: tiny-shakespeare %s, greedy\033[0m\n' "$type"
        bench "$tmp/ts-$type.gguf" 200 1 8 0 3
    done
else
    echo "speculative.sh: $shared is absent: the trained-model figures are skipped"
fi

"$build/gpt2-random" "$tmp/target.gguf" --layers 4 --heads 3 --embd 192 --ctx 256 --seed 3 --type q8_0 >/dev/null
"$build/gpt2-random" "$tmp/draft.gguf" --layers 1 --heads 2 --embd 32 --ctx 256 --seed 9 --type q8_0 >/dev/null
printf '\n\033[1m==> speculative decoding, random draft model for a random model, greedy (most drafts rejected)\033[0m\n'
bench "$tmp/target.gguf" 200 1 8 0 6 "$tmp/draft.gguf"
printf '\n\033[1m==> the same, sampled at temperature 1 (every draft rejected): the mechanical overhead\033[0m\n'
bench "$tmp/target.gguf" 200 1 8 1 6 "$tmp/draft.gguf"
