#!/usr/bin/env bash
# run.sh BUILD_DIR TARGET LIMIT_FLAG MAX_LEN — runs one libFuzzer target (fuzz_<name>) of BUILD_DIR on its
# corpus (BUILD_DIR/corpus/<target>, grown in place) and its seeds (BUILD_DIR/seeds/<name>), with
# LIMIT_FLAG (-runs=N or -max_total_time=S). Prints the executions and time; on a finding prints the log's
# tail and fails (the input is saved as BUILD_DIR/crash-*).
set -euo pipefail
build="$1" target="$2" limit="$3" max_len="$4"
cd "$build"
mkdir -p "corpus/$target"
started=$(date +%s.%N)
if UBSAN_OPTIONS=print_stacktrace=1 "./$target" "$limit" -max_len="$max_len" -print_final_stats=1 \
     -artifact_prefix="./$target-" "corpus/$target" "seeds/${target#fuzz_}" > "$target.log" 2>&1; then
  runs=$(awk '/^stat::number_of_executed_units/ { print $2 }' "$target.log")
  printf '%s: %s executions in %.0f s, no finding\n' "$target" "$runs" "$(awk -v a="$started" -v b="$(date +%s.%N)" "BEGIN { print b - a }")"
else
  tail -40 "$target.log"
  echo "$target: FINDING (log: $build/$target.log; input: $build/$target-crash-*)"
  exit 1
fi
