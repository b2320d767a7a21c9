#!/usr/bin/env bash
# glbtool's performance benchmark (docs/performance.md): times glbtool against
# the tools a user would reach for (cksum, hexyl, jq, GNU diff) on large
# generated inputs, alternating runs, and prints one table of medians, ratios
# and whether each target is met.
#
# Usage: bench/run.sh [--rounds N] [--keep]
#   --rounds N  rounds of alternating runs for the fast rows (default 5; the
#               slow rows use fewer, see below)
#   --keep      keep the generated files (printed path) instead of deleting them
#
# Installs what it needs (hexyl, jq, GNU time) with apt-get, falling back to
# `cargo install hexyl`. Generated inputs live in a temporary directory that is
# deleted at the end; nothing is written into the repository. Targets are
# benchmark targets, never test failures: the script exits 0 whatever the
# figures, and non-zero only when it cannot run.
set -euo pipefail
cd "$(dirname "$0")/.."

ROUNDS=5
KEEP=0
while [ $# -gt 0 ]; do
    case "$1" in
        --rounds) ROUNDS="$2"; shift 2 ;;
        --keep) KEEP=1; shift ;;
        *) echo "usage: bench/run.sh [--rounds N] [--keep]" >&2; exit 2 ;;
    esac
done
SLOW_ROUNDS=$(( ROUNDS < 3 ? ROUNDS : 3 ))

say() { echo "bench: $*" >&2; }

# ---------------------------------------------------------------------------
# Tools
# ---------------------------------------------------------------------------
need_apt=()
command -v hexyl >/dev/null || need_apt+=(hexyl)
command -v jq >/dev/null || need_apt+=(jq)
[ -x /usr/bin/time ] || need_apt+=(time)
command -v diff >/dev/null || need_apt+=(diffutils)
command -v cksum >/dev/null || need_apt+=(coreutils)
if [ ${#need_apt[@]} -gt 0 ]; then
    say "installing ${need_apt[*]}"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "${need_apt[@]}"; } >&2 || true
fi
if ! command -v hexyl >/dev/null; then
    say "hexyl is not in apt here; cargo install hexyl"
    cargo install --quiet --locked hexyl >&2
fi
for t in hexyl jq cksum diff sort /usr/bin/time; do
    command -v "$t" >/dev/null || { say "cannot find $t"; exit 2; }
done

# ---------------------------------------------------------------------------
# Build
# ---------------------------------------------------------------------------
# shellcheck source=bench/lib.sh
. bench/lib.sh
build_release

# ---------------------------------------------------------------------------
# Inputs
# ---------------------------------------------------------------------------
make_work bench

say "generating inputs in $WORK"
mkdir -p "$WORK/1m" "$WORK/10m" "$WORK/100m" "$WORK/1g"
M1="$WORK/1m/MSTTRANS.GLB"
"$CORPUS" large --transactions 1000000 --out "$M1" 2>/dev/null
"$CORPUS" large --bytes 10000000 --out "$WORK/10m/MSTTRANS.GLB" 2>/dev/null
"$CORPUS" large --bytes 100000000 --out "$WORK/100m/MSTTRANS.GLB" 2>/dev/null
"$CORPUS" large --bytes 1000000000 --out "$WORK/1g/MSTTRANS.GLB" 2>/dev/null
NDJSON="$WORK/1m.ndjson"
"$GLBTOOL" dump --format ndjson "$M1" >"$NDJSON"

HAVE_DIFF=0
if "$GLBTOOL" diff --help >/dev/null 2>&1 && "$CORPUS" large --help 2>/dev/null | grep -q -- --gal-entries; then
    HAVE_DIFF=1
    mkdir -p "$WORK/lists"
    "$CORPUS" large --gal-entries 500000 --diff-percent 1 --out "$WORK/lists" 2>/dev/null
    LIST_A=$(find "$WORK/lists/a" -type f | head -1)
    LIST_B=$(find "$WORK/lists/b" -type f | head -1)
    # One line per entry without the record number (which shifts after the
    # first added or removed entry and would make every later line differ).
    "$GLBTOOL" dump --format text --color never "$LIST_A" | sed 's/^ *[0-9]* *//' | sort >"$WORK/a.txt"
    "$GLBTOOL" dump --format text --color never "$LIST_B" | sed 's/^ *[0-9]* *//' | sort >"$WORK/b.txt"
fi

# Warm the page cache so every tool reads from memory.
cat "$WORK"/*/MSTTRANS.GLB "$NDJSON" >/dev/null

# ---------------------------------------------------------------------------
# Timing
# ---------------------------------------------------------------------------
# time_once CMD: runs CMD (a shell string, output discarded); prints its wall
# time and its CPU time (user + system, all threads), in seconds.
time_once() {
    local TIMEFORMAT='%3R %3U %3S' t
    t=$( { time eval "$1" >/dev/null 2>&1; } 2>&1 ) || true
    awk '{ printf "%.3f %.3f\n", $1, $2 + $3 }' <<<"${t##*$'\n'}"
}

median() { sort -n | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# pair ROUNDS CMD_A CMD_B: alternates A and B; prints the medians
# "wall_a wall_b cpu_a cpu_b".
pair() {
    local rounds=$1 a=$2 b=$3 i
    : >"$WORK/ta"
    : >"$WORK/tb"
    for ((i = 0; i < rounds; i++)); do
        time_once "$a" >>"$WORK/ta"
        time_once "$b" >>"$WORK/tb"
    done
    echo "$(cut -d' ' -f1 "$WORK/ta" | median) $(cut -d' ' -f1 "$WORK/tb" | median)" \
        "$(cut -d' ' -f2 "$WORK/ta" | median) $(cut -d' ' -f2 "$WORK/tb" | median)"
}

# single ROUNDS CMD: prints the medians "wall cpu".
single() {
    local rounds=$1 c=$2 i
    : >"$WORK/ta"
    for ((i = 0; i < rounds; i++)); do time_once "$c" >>"$WORK/ta"; done
    echo "$(cut -d' ' -f1 "$WORK/ta" | median) $(cut -d' ' -f2 "$WORK/ta" | median)"
}

# peak_kb CMD: peak resident set of one run, in KiB.
peak_kb() {
    /usr/bin/time -f "%M" -o "$WORK/rss" bash -c "$1 >/dev/null 2>&1" || true
    tail -1 "$WORK/rss"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
met() { awk -v r="$1" -v t="$2" 'BEGIN { print (r != "n/a" && r <= t) ? "yes" : "no" }'; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
size_mb() { awk -v b="$(stat -c %s "$1")" 'BEGIN { printf "%.0f", b / 1e6 }'; }

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
ROWS=()
# row NAME GLBTOOL REFERENCE RATIO GLBTOOL_CPU REFERENCE_CPU TARGET MET
row() { ROWS+=("| $1 | $2 | $3 | $4 | $5 | $6 | $7 | $8 |"); }

G="$GLBTOOL"
say "validate vs cksum ($ROUNDS rounds)"
read -r a b ca cb < <(pair "$ROUNDS" "$G validate $M1" "cksum $M1")
r=$(ratio "$a" "$b"); row "validate $(size_mb "$M1") MB vs \`cksum\`" "$a s" "$b s" "$r" "$ca s" "$cb s" "≤ 4" "$(met "$r" 4)"

say "hex dump vs hexyl ($SLOW_ROUNDS rounds)"
read -r a b ca cb < <(pair "$SLOW_ROUNDS" "$G dump --format hex --color never $M1" "hexyl --color=never $M1")
r=$(ratio "$a" "$b"); row "\`dump --format hex --color never\` vs \`hexyl --color=never\`" "$a s" "$b s" "$r" "$ca s" "$cb s" "≤ 0.5" "$(met "$r" 0.5)"

say "ndjson dump vs jq reading it ($SLOW_ROUNDS rounds)"
read -r a b ca cb < <(pair "$SLOW_ROUNDS" "$G dump --format ndjson $M1" "jq -c . $NDJSON")
r=$(ratio "$a" "$b"); row "\`dump --format ndjson\` vs \`jq -c .\` on its output ($(size_mb "$NDJSON") MB)" "$a s" "$b s" "$r" "$ca s" "$cb s" "≤ 0.2" "$(met "$r" 0.2)"

if [ "$HAVE_DIFF" = 1 ]; then
    say "diff vs GNU diff ($ROUNDS rounds)"
    read -r a b ca cb < <(pair "$ROUNDS" "$G diff $LIST_A $LIST_B" "diff $WORK/a.txt $WORK/b.txt")
    r=$(ratio "$a" "$b"); row "\`diff\` of two 500,000-entry lists vs GNU \`diff\` of sorted text dumps" "$a s" "$b s" "$r" "$ca s" "$cb s" "≤ 1.0" "$(met "$r" 1.0)"
else
    row "\`diff\` of two 500,000-entry lists vs GNU \`diff\`" "skipped" "skipped" "n/a" "" "" "≤ 1.0" "skipped (\`glbtool diff\` or \`glb-corpus large --gal-entries\` not available)"
fi

G1="$WORK/1g/MSTTRANS.GLB"
say "peak memory on the 1 GB file"
kb=$(peak_kb "$G validate $G1"); row "peak RSS, \`validate\` $(size_mb "$G1") MB" "$(mb "$kb") MB" "" "" "" "" "≤ 32 MB" "$(met "$(mb "$kb")" 32)"
kb=$(peak_kb "$G dump --format ndjson $G1"); row "peak RSS, \`dump --format ndjson\` $(size_mb "$G1") MB" "$(mb "$kb") MB" "" "" "" "" "≤ 32 MB" "$(met "$(mb "$kb")" 32)"

say "validate scaling ($ROUNDS rounds for 10 MB, $SLOW_ROUNDS for 100 MB and 1 GB)"
read -r t10 c10 < <(single "$ROUNDS" "$G validate $WORK/10m/MSTTRANS.GLB")
read -r t100 c100 < <(single "$SLOW_ROUNDS" "$G validate $WORK/100m/MSTTRANS.GLB")
read -r t1g c1g < <(single "$SLOW_ROUNDS" "$G validate $G1")
row "validate 10 MB" "$t10 s" "" "" "$c10 s" "" "" ""
row "validate 100 MB" "$t100 s" "" "$(ratio "$t100" "$t10") × 10 MB" "$c100 s" "" "" ""
r=$(ratio "$t1g" "$t10"); row "validate 1 GB" "$t1g s" "" "$r × 10 MB" "$c1g s" "" "≤ 110 × 10 MB" "$(met "$r" 110)"

say "validate on one thread (for reference)"
read -r t1 c1 < <(single "$ROUNDS" "GLBTOOL_THREADS=1 $G validate $M1")
row "validate $(size_mb "$M1") MB, \`GLBTOOL_THREADS=1\` (reference)" "$t1 s" "" "" "$c1 s" "" "" ""

LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------
cpu=$(awk -F: '/model name/ { gsub(/^ +/, "", $2); print $2; exit }' /proc/cpuinfo)
mem=$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)
echo "## glbtool benchmark, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "- machine: $(nproc) cores ($cpu), $mem RAM, $(uname -sr)"
echo "- load average (1, 5, 15 min): $LOAD_BEFORE before, $LOAD_AFTER after"
echo "- glbtool $(git rev-parse --short HEAD 2>/dev/null || echo '?'), $(rustc --version)"
echo "- references: $(cksum --version | head -1); hexyl $(hexyl --version | awk '{print $2}'); $(jq --version); $(diff --version | head -1)"
echo "- method: medians of alternating runs ($ROUNDS rounds; $SLOW_ROUNDS for hex, ndjson, and the 100 MB and 1 GB files), inputs in the page cache, output to /dev/null; ratios and targets on wall-clock time; CPU = user + system time of all threads"
echo
echo "| measurement | glbtool | reference | ratio | glbtool CPU | reference CPU | target | met |"
echo "|---|---|---|---|---|---|---|---|"
printf '%s\n' "${ROWS[@]}"
