#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# test.sh — the whole test suite: installs the Debian packages, then runs six stages, each timed:
#   release   Release build with gcc in build/, every ctest; then the unit tests and the node
#             conformance suite again under ONNXBN_ISA=avx2 and =generic (isa_runs)
#   clang     Release build with clang in build-clang/, every ctest (both compilers warning-free)
#   asan      ASan+UBSan build in build-asan/, every ctest; and isa_runs, as in release
#   tsan      ThreadSanitizer build in build-tsan/, the unit tests (the thread pool, and every
#             kernel that splits over threads, at 1 to 3 threads; any report fails)
#   valgrind  build in build-valgrind/ with -DONNXBN_VALGRIND=ON: every ctest, with every onnxbn
#             program the tests start (CLI, unit tests, fuzz replays, examples, the Python
#             interpreter that loads libonnxbn) under valgrind memcheck (tests/valgrind)
#   fuzz      each libFuzzer target for $FUZZ_SECONDS (60) s with seed $FUZZ_SEED (1), from the
#             seed corpus (build-fuzz-ci/)
#
# Every CMake build here sets -DONNXBN_WERROR=ON: a compiler warning fails the stage (the option is
# off by default, for people building releases with other compilers).
#
# Usage: bash scripts/test.sh [STAGE...]   (default: all six; CI runs exactly `bash scripts/test.sh`)
# Exits non-zero when any build, test or fuzz run fails.
set -euo pipefail
cd "$(dirname "$0")/.."

jobs=$(nproc)
start=$SECONDS
failed=()
times=()
stages=("$@")
[ ${#stages[@]} -eq 0 ] && stages=(release clang asan tsan valgrind fuzz)
for s in "${stages[@]}"; do
    case "$s" in
        release|clang|asan|tsan|valgrind|fuzz) ;;
        *) echo "test.sh: unknown stage '$s' (expected release, clang, asan, tsan, valgrind, fuzz)" >&2; exit 2 ;;
    esac
done

bash scripts/install-deps.sh
# onnxruntime (npm) for the converter's cross-check; without it that test skips, so a registry
# hiccup costs the check, not the run.
bash scripts/install-deps.sh --ort ||
    echo "test.sh: warning: onnxruntime-node not installed; converter.onnxruntime will skip" >&2

# The unit tests and the node conformance suite with the kernels' dispatch capped by ONNXBN_ISA
# (README, "Environment variables"): on a machine with AVX-512 the AVX2 and portable paths, which
# most laptops and many servers run, are otherwise never executed. Only these two groups, which
# call every kernel directly or through one operator, to keep the added time small (README gives
# it). Usage: isa_runs TREE TIMEOUT WHAT
isa_runs() {
    local isa
    for isa in avx2 generic; do
        echo "== $3: unit and conformance.node tests under ONNXBN_ISA=$isa"
        ONNXBN_ISA=$isa ctest --test-dir "$1" --output-on-failure -j"$jobs" --timeout "$2" \
            -R '^(unit|conformance[.]node)[.]' || failed+=("$3 ctest under ONNXBN_ISA=$isa")
    done
}

stage_release() {
    echo "== Release build (build/)"
    cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DONNXBN_SANITIZE=OFF -DONNXBN_VALGRIND=OFF \
        -DONNXBN_WERROR=ON
    cmake --build build -j"$jobs"
    # A failing test does not stop the script: the other stages may say why it fails.
    ctest --test-dir build --output-on-failure -j"$jobs" --timeout 300 || failed+=("Release ctest")
    isa_runs build 300 Release
}

stage_clang() {
    echo "== clang Release build (build-clang/)"
    # The second compiler: its warnings differ from gcc's, and code that only one of them accepts
    # (or compiles right) shows here. CMAKE_C_COMPILER, not CC: a tree once configured keeps it.
    cmake -S . -B build-clang -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Release \
        -DONNXBN_SANITIZE=OFF -DONNXBN_VALGRIND=OFF -DONNXBN_WERROR=ON
    cmake --build build-clang -j"$jobs"
    ctest --test-dir build-clang --output-on-failure -j"$jobs" --timeout 300 || failed+=("clang ctest")
}

stage_asan() {
    echo "== ASan+UBSan build (build-asan/)"
    # Without OpenBLAS: the Release and valgrind runs cover the OpenBLAS path, this one the portable
    # SGEMM kernel, where the sanitizers see the loads and stores (not inside OpenBLAS's assembly).
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DONNXBN_SANITIZE=ON -DONNXBN_USE_OPENBLAS=OFF \
        -DONNXBN_WERROR=ON
    cmake --build build-asan -j"$jobs"
    # Any report fails the test: leaks included; UBSan stops at the first finding (the build uses
    # -fno-sanitize-recover=all). allocator_may_return_null lets an over-large allocation reach the
    # library's ONNXBN_ERR_NOMEM path, as it would with the system allocator, instead of aborting.
    local asan=detect_leaks=1:halt_on_error=1:allocator_may_return_null=1:strict_string_checks=1:detect_stack_use_after_return=1
    local ubsan=print_stacktrace=1:halt_on_error=1
    ASAN_OPTIONS=$asan UBSAN_OPTIONS=$ubsan \
        ctest --test-dir build-asan --output-on-failure -j"$jobs" --timeout 900 || failed+=("ASan+UBSan ctest")
    ASAN_OPTIONS=$asan UBSAN_OPTIONS=$ubsan isa_runs build-asan 900 ASan+UBSan
}

stage_tsan() {
    echo "== ThreadSanitizer build (build-tsan/): the unit tests"
    # Without OpenBLAS: its own threads are not instrumented, so TSan would report their
    # synchronisation as races; the sessions run OpenBLAS single-threaded anyway.
    cmake -S . -B build-tsan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DONNXBN_SANITIZE=OFF \
        -DONNXBN_VALGRIND=OFF -DONNXBN_USE_OPENBLAS=OFF -DONNXBN_EXAMPLES=OFF \
        -DCMAKE_C_FLAGS=-fsanitize=thread -DCMAKE_EXE_LINKER_FLAGS=-fsanitize=thread \
        -DCMAKE_SHARED_LINKER_FLAGS=-fsanitize=thread -DONNXBN_WERROR=ON
    cmake --build build-tsan -j"$jobs"
    TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 \
        ctest --test-dir build-tsan --output-on-failure -j"$jobs" --timeout 900 -R '^unit\.' ||
        failed+=("TSan unit tests")
}

stage_valgrind() {
    echo "== valgrind build (build-valgrind/): every ctest under memcheck"
    # The Release code as shipped (with OpenBLAS), plus -g so that reports name lines.
    cmake -S . -B build-valgrind -DCMAKE_BUILD_TYPE=Release -DCMAKE_C_FLAGS=-g -DONNXBN_SANITIZE=OFF \
        -DONNXBN_VALGRIND=ON -DONNXBN_WERROR=ON
    cmake --build build-valgrind -j"$jobs"
    # Per-test timeouts are 10x the normal ones (tests/valgrind/valgrind.cmake); this is for the rest.
    ctest --test-dir build-valgrind --output-on-failure -j"$jobs" --timeout 3000 || failed+=("valgrind ctest")
}

stage_fuzz() {
    local secs=${FUZZ_SECONDS:-60} dir=build-fuzz-ci
    # A fixed seed: the same commit fuzzes the same inputs here and in CI, so a red run is
    # reproducible and a green one is not luck. Exploration is fuzz/run.sh's long runs, with a
    # random seed (FUZZ_SEED= empty here gives one too).
    local seed=${FUZZ_SEED-1}
    echo "== fuzz smoke ($dir/): each libFuzzer target for $secs s, seed ${seed:-random}"
    bash fuzz/build.sh "$dir" >/dev/null
    # A bounded run: from the seeds alone (ONNX test data, models/, tests/malformed,
    # fuzz/regressions), not from what an earlier run grew.
    rm -rf "$dir/corpus" "$dir/artifacts" "$dir/logs"
    bash fuzz/make_corpus.sh "$dir/seeds"
    local targets=(fuzz_load fuzz_run fuzz_tensor fuzz_fuse) pids=() names=() k
    # As many at once as there are cores; run.sh exits non-zero on a crash, leak, timeout or OOM.
    for ((k = 0; k < ${#targets[@]}; k++)); do
        FUZZ_DIR=$dir FUZZ_SEED=$seed bash fuzz/run.sh "${targets[k]}" "$secs" >"$dir/${targets[k]}.out" 2>&1 &
        pids+=($!)
        names+=("${targets[k]}")
        if [ ${#pids[@]} -ge "$jobs" ] || [ $k -eq $((${#targets[@]} - 1)) ]; then
            for ((j = 0; j < ${#pids[@]}; j++)); do
                wait "${pids[j]}" || failed+=("fuzz ${names[j]}")
                cat "$dir/${names[j]}.out"
            done
            pids=() names=()
        fi
    done
}

for s in "${stages[@]}"; do
    t0=$SECONDS
    "stage_$s"
    times+=("$s $((SECONDS - t0)) s")
done

elapsed=$((SECONDS - start))
echo "== stage times: $(IFS=,; echo "${times[*]}" | sed 's/,/, /g'); total $elapsed s"
if [ ${#failed[@]} -ne 0 ]; then
    printf '== FAILED: %s (%d s)\n' "$(IFS=,; echo "${failed[*]}" | sed 's/,/, /g')" "$elapsed" >&2
    exit 1
fi
echo "== all tests passed ($elapsed s)"
