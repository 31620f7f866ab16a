#!/usr/bin/env bash
# `make test`: every phase from dependencies to the instrumented run, with the time of each printed at the end
# (also when a phase fails). The fixtures (real PyTorch, Python only) are made while the tree builds: they need
# no compiled code, and the build leaves a core idle during links and configure-like steps.
#
#   deps          packaging/install-deps.sh (a second run costs a second)
#   configure     cmake, once per tree
#   build         every target of the normal tree (ccache: a one-file change rebuilds one file and relinks)
#   fixtures      tests/fixtures/generate.py through `ctest -R generate_fixtures` (skips work when up to date)
#   tests         every ctest of the normal tree but the instrumented one (the core and cli tests are built and
#                 run only in the instrumented tree, sanitized: tests/CMakeLists.txt, CKPT_CORE_TESTS_SANITIZED_ONLY)
#   lint          clang-format and clang-tidy (tests/lint; clang-tidy rechecks only units that changed)
#   instrumented  one clang ASan + UBSan + libFuzzer tree: core and cli tests sanitized, then the fuzz smoke run
#
# Environment: BUILD_DIR (build), BUILD_TYPE (RelWithDebInfo), JOBS (nproc), CI (true: -Werror for our code).
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo}
JOBS=${JOBS:-$(nproc)}

names=()
seconds=()
cpu=()
results=()
failed=0
start_all=$(date +%s)

# CPU seconds (user + system) of all waited-for children so far, from the shell's `times`: on a shared machine the
# wall time depends on the neighbours, the CPU time much less.
read_children_cpu() { # sets CHILDREN_CPU
    # `times` inside a pipe or $(...) would report that subshell, which has no children: it writes from this shell.
    times >"$times_file"
    CHILDREN_CPU=$(tail -n 1 "$times_file" | awk '{ split($1, u, "m"); split($2, s, "m"); printf "%d", u[1] * 60 + u[2] + s[1] * 60 + s[2] }')
}
times_file=$(mktemp)
cpu_mark=0

record() { # name start rc
    names+=("$1")
    seconds+=($(($(date +%s) - $2)))
    read_children_cpu
    cpu+=($((CHILDREN_CPU - cpu_mark)))
    cpu_mark=$CHILDREN_CPU
    if [ "$3" -eq 0 ]; then results+=("ok"); else results+=("FAILED (exit $3)"); failed=1; fi
}

report() {
    echo
    echo "make test: phase times (load average at the end: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores)"
    printf '  %-24s %7s %9s  %s\n' "phase" "wall" "CPU" "result"
    for i in "${!names[@]}"; do
        printf '  %-24s %6d s %7d s  %s\n' "${names[$i]}" "${seconds[$i]}" "${cpu[$i]}" "${results[$i]}"
    done
    read_children_cpu
    printf '  %-24s %6d s %7d s\n' "total" $(($(date +%s) - start_all)) "$CHILDREN_CPU"
    rm -f "$times_file"
}
trap report EXIT

run_phase() { # name command...
    local name=$1 t=$(date +%s)
    shift
    echo "== make test: $name"
    "$@"
    local rc=$?
    record "$name" "$t" "$rc"
    return $rc
}

werror=OFF
[ "${CI:-}" = "true" ] && werror=ON

run_phase deps packaging/install-deps.sh || exit 1
run_phase configure cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE="$BUILD_TYPE" \
    -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DCKPT_WERROR=$werror -DCKPT_CORE_TESTS_SANITIZED_ONLY=ON || exit 1

fixtures_log="$BUILD_DIR/make-test-fixtures.log"
fixtures_start=$(date +%s)
ctest --test-dir "$BUILD_DIR" -R '^generate_fixtures$' --output-on-failure >"$fixtures_log" 2>&1 &
fixtures_pid=$!

run_phase build cmake --build "$BUILD_DIR" -j "$JOBS"
build_rc=$?

wait "$fixtures_pid"
fixtures_rc=$?
record "fixtures (during build)" "$fixtures_start" "$fixtures_rc"
[ "$fixtures_rc" -eq 0 ] || cat "$fixtures_log"
[ "$build_rc" -eq 0 ] && [ "$fixtures_rc" -eq 0 ] || exit 1

run_phase tests ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$JOBS" --timeout 600 -LE 'sanitize|fuzz|lint'
run_phase lint ctest --test-dir "$BUILD_DIR" --output-on-failure -L lint
run_phase instrumented ctest --test-dir "$BUILD_DIR" --output-on-failure -L 'sanitize|fuzz' --timeout 1500
exit $failed
