#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run.sh — runs one libFuzzer target for a given time on its growing corpus, seeded the first time
# from build-fuzz/seeds (make_corpus.sh). Findings land in build-fuzz/artifacts/TARGET/.
#
# Usage: bash fuzz/run.sh TARGET SECONDS   e.g. bash fuzz/run.sh fuzz_load 1800
#   TARGET: fuzz_load | fuzz_run | fuzz_tensor | fuzz_fuse. Build first with fuzz/build.sh.
#   Env: FUZZ_DIR (default build-fuzz), FUZZ_SEED (libFuzzer's -seed; default random),
#   FUZZ_ARGS (extra libFuzzer flags).
# Exits non-zero when the fuzzer found a crash, leak, timeout or out-of-memory, and then prints
# the fuzzer's report and the input (base64) so a failure far away can be replayed here.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
[ $# -eq 2 ] || { sed -n '5,11p' "$0" >&2; exit 2; }
target=$1 secs=$2
dir=$(realpath -m "${FUZZ_DIR:-$root/build-fuzz}")
bin="$dir/$target"
[ -x "$bin" ] || { echo "run.sh: $bin not built (bash fuzz/build.sh)" >&2; exit 2; }
case "$target" in
    fuzz_tensor) seeds="$dir/seeds/tensors" ;;
    *) seeds="$dir/seeds/models" ;;
esac
[ -d "$seeds" ] || bash "$root/fuzz/make_corpus.sh" "$dir/seeds"
corpus="$dir/corpus/$target" art="$dir/artifacts/$target" log="$dir/logs/$target.log"
mkdir -p "$corpus" "$art" "$dir/logs"

# Models cap their own memory (max_memory 32-64 MiB in the targets), so one malloc over 512 MiB is
# an allocation the caps failed to bound; 20 s for one input is a hang.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
echo "run.sh: $target for $secs s, corpus $corpus, log $log"
set +e
"$bin" -max_total_time="$secs" -timeout=20 -rss_limit_mb=3072 -malloc_limit_mb=512 \
    -print_final_stats=1 -artifact_prefix="$art/" ${FUZZ_SEED:+-seed="$FUZZ_SEED"} ${FUZZ_ARGS:-} \
    "$corpus" "$seeds" >"$log" 2>&1
rc=$?
set -e
grep -E '^(INFO: Seed:|#[0-9]+.*(DONE|INITED)|stat::)' "$log" | tail -9
if [ $rc -ne 0 ]; then
    # The report starts at the sanitizer's or libFuzzer's first line of it; the input follows.
    first=$(grep -n -m1 -E '^(==[0-9]+==|ALARM:|.*runtime error:|.*ERROR: libFuzzer)' "$log" | cut -d: -f1)
    sed -n "${first:-1},\$p" "$log" | grep -v -E '^(#[0-9]+|\s+NEW_FUNC)' | head -80
    echo "run.sh: $target stopped with status $rc: see $log and $art/" >&2
fi
exit $rc
