#!/usr/bin/env bash
# Runs every fuzz target for SECONDS seconds each and prints, per target, the
# executions, the time and the outcome. See docs/robustness.md.
#
#   fuzz/run.sh SECONDS
#
# Environment:
#   TARGETS="a b"     run only these targets (default: every target in fuzz/Cargo.toml)
#   JOBS=N            targets run N at a time (default 1)
#   FUZZ_TARGET_DIR   cargo target directory (default fuzz/target)
#
# Seeds: corpus/seeds/TARGET when it exists, else every file of the
# family of parse_FAMILY / roundtrip_FAMILY below corpus/samples and
# corpus/network (gathered into fuzz/seeds/TARGET).
#
# Uses the nightly toolchain with AddressSanitizer (and its leak checker) when
# `cargo +nightly` exists; otherwise the stable toolchain with `-s none` (no
# sanitizer: crashes, hangs and oversized allocations are still caught).
# Installs cargo-fuzz with `cargo install` when it is missing.
#
# Exit status: 0 when every target ran its time without a crash, hang, leak
# or oversized allocation; 1 when a target failed (its input is saved in
# fuzz/artifacts/TARGET/: fix the bug, then commit the input under
# formats/tests/fuzz-regressions/TARGET/); 2 when the fuzzers could not be
# built or run at all.
set -uo pipefail

if [[ $# -ne 1 || ! $1 =~ ^[0-9]+$ ]]; then
    echo "usage: fuzz/run.sh SECONDS" >&2
    exit 2
fi
seconds=$1
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    cargo install cargo-fuzz --locked || {
        echo "fuzz/run.sh: cannot install cargo-fuzz" >&2
        exit 2
    }
fi

if cargo +nightly --version >/dev/null 2>&1; then
    toolchain=(+nightly)
    sanitizer=(-s address)
    mode="nightly, AddressSanitizer with leak detection"
else
    toolchain=()
    sanitizer=(-s none)
    mode="stable, no sanitizer"
fi
target_dir="${FUZZ_TARGET_DIR:-$root/fuzz/target}"
build_flags=(-O -a "${sanitizer[@]}" --target-dir "$target_dir" --fuzz-dir fuzz)

# Every target, from fuzz/Cargo.toml.
all_targets=$(sed -n 's/^name = "\([a-z0-9_]*\)"$/\1/p' fuzz/Cargo.toml | grep -v '^glb-fuzz$')
targets=${TARGETS:-$all_targets}
jobs=${JOBS:-1}

echo "== building fuzz targets ($mode)"
if ! cargo "${toolchain[@]}" fuzz build "${build_flags[@]}"; then
    echo "fuzz/run.sh: building the fuzz targets failed" >&2
    exit 2
fi

# The file names of each family's files (case-insensitive `find -iname`).
family_files() {
    case $1 in
    queue) echo "*TRANS.GLB RESYNC.GLB SRVUPDS.GLB REQUPDS.GLB IUSRTRAN.GLB INMETRAN.GLB" ;;
    reqconf) echo "REQCONF.GLB" ;;
    srvconf) echo "SRVCONF.GLB" ;;
    process) echo "PROCESS.GLB" ;;
    nme) echo "*.NME" ;;
    usr) echo "*.USR" ;;
    netpo) echo "NETPO.GLB GALNETPO.GLB TMPNETPO.GLB" ;;
    network) echo "NETWORK.GLB" ;;
    xtn) echo "*.XTN" ;;
    # probe reads any file: every kind's files are its seeds.
    probe) echo "*.GLB *.NME *.USR *.XTN" ;;
    esac
}

# The seeds of a target: the committed directory corpus/seeds/TARGET when it
# exists; else, for parse_FAMILY and roundtrip_FAMILY, every file of that
# family below corpus/samples and corpus/network, gathered into
# fuzz/seeds/TARGET (rebuilt on every run, not committed).
seeds_of() {
    local t=$1 family=${1#*_}
    if [[ -d corpus/seeds/$t ]]; then
        echo "corpus/seeds/$t"
        return
    fi
    local names
    names=$(family_files "$family")
    [[ -n $names ]] || return
    local dir="fuzz/seeds/$t" name f
    rm -rf "$dir"
    mkdir -p "$dir"
    for name in $names; do
        find corpus/samples corpus/network -type f -iname "$name" -print
    done | sort -u | while read -r f; do
        cp "$f" "$dir/$(echo "$f" | tr '/' '_')"
    done
    echo "$dir"
}

mkdir -p fuzz/logs
run_one() {
    local t=$1 log="fuzz/logs/$1.log"
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
    local seeds
    seeds=$(seeds_of "$t")
    # libFuzzer options: a hang is an input taking over 10 s; any single
    # allocation over 64 MiB, or 1 GiB resident, is a failure.
    cargo "${toolchain[@]}" fuzz run "${build_flags[@]}" "$t" "fuzz/corpus/$t" ${seeds:+"$seeds"} -- \
        -max_total_time="$seconds" -timeout=10 -malloc_limit_mb=64 -rss_limit_mb=1024 \
        -print_final_stats=1 >"$log" 2>&1
    local rc=$?
    local runs
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    local status=ok
    if [[ $rc -ne 0 ]]; then
        status="FAILED (exit $rc, see $log and fuzz/artifacts/$t/)"
    fi
    printf '%-20s %6ss %12s executions  %s\n' "$t" "$seconds" "${runs:-?}" "$status" \
        >"fuzz/logs/$t.summary"
    return $rc
}

echo "== running each target for $seconds s ($jobs at a time)"
failed=0
running=0
for t in $targets; do
    run_one "$t" &
    running=$((running + 1))
    if [[ $running -ge $jobs ]]; then
        wait -n || failed=1
        running=$((running - 1))
    fi
done
while [[ $running -gt 0 ]]; do
    wait -n || failed=1
    running=$((running - 1))
done

echo "== summary ($mode, $seconds s per target)"
for t in $targets; do
    cat "fuzz/logs/$t.summary" 2>/dev/null || echo "$t: no summary"
done
if [[ $failed -ne 0 ]]; then
    echo "fuzz/run.sh: a target failed; its input is in fuzz/artifacts/" >&2
    exit 1
fi
echo "fuzz/run.sh: every target ran $seconds s without a crash, hang, leak or oversized allocation"
