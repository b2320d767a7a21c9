#!/usr/bin/env bash
# Peak memory of every glbtool command on 1 GB inputs (docs/performance.md,
# "Memory on 1 GB inputs"): each run under a 256 MiB address-space limit
# (`ulimit -v`), measured with GNU time -v (maximum resident set size), on a
# release build. Prints one markdown table: command, input, peak RSS, wall
# time, exit status, and the first line of standard error when there is one.
#
# Usage: bench/memory.sh [--keep]
#   --keep  keep the generated files (printed path) instead of deleting them
#
# Needs about 3.8 GB of disk (two 1 GB queues, a 500 MB one, two 90 MB
# lists, a 300 MB JSON document; the 4 GiB and 1 GB zero files are sparse). Exits non-zero only when
# it cannot run; the figures are reported, never judged here (the bounded
# memory tests judge: glbtool/tests/hostile.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

KEEP=0
[ "${1:-}" = "--keep" ] && KEEP=1
say() { echo "memory: $*" >&2; }
[ -x /usr/bin/time ] || { say "needs GNU time at /usr/bin/time (apt-get install time)"; exit 2; }

# shellcheck source=bench/lib.sh
. bench/lib.sh
build_release
make_work memory
cd "$WORK"

say "generating inputs in $WORK"
"$CORPUS" large --bytes 1000000000 --pair --diff-percent 1 --out pair >&2
mkdir -p empty rq/GLB sparse srv/GLB gal
: > empty/MSTTRANS.GLB
"$CORPUS" large --bytes 500000000 --out rq/GLB/REQTRANS.GLB >&2
"$CORPUS" large --gal-entries 2000000 --diff-percent 1 --out gal >&2
truncate -s 4G sparse/REQTRANS.GLB
truncate -s $((1024 * 976563)) srv/GLB/SRVCONF.GLB
: > srv/GLB/MSTTRANS.GLB
cp "$OLDPWD/corpus/samples/queue/resync/RESYNC.GLB" srv/GLB/RESYNC.GLB
mkfifo FIFO.GLB
# The simulated network, its server's MSTTRANS.GLB the 1 GB one.
cp -r "$OLDPWD/corpus/network" net
ln -sf "$WORK/pair/a/MSTTRANS.GLB" net/MONTGOMERY/GLB/MSTTRANS.GLB
# A JSON document whose one text is 300 MB, for build.
{ printf '{"format": "glbtool-json/1", "kind": "reqtrans", "header": null, "records": [{"sync": 1, "date_stamp": 0, "text": "'
  head -c 300000000 /dev/zero | tr '\0' A
  printf '"}]}'; } > text300.json

LIMIT_KIB=$((256 * 1024))
echo "| command | input | peak RSS | wall | exit | standard error (first line) |"
echo "|---|---|---|---|---|---|"
run() {
    local input="$1"
    shift
    local err
    err=$(mktemp)
    set +e
    ( ulimit -v "$LIMIT_KIB"; GLBTOOL_STREAM_LIMIT=1000000000 /usr/bin/time -f "%M %e %x" -o time.txt \
        "$GLBTOOL" "$@" > /dev/null 2> "$err" )
    set -e
    local rss wall code
    read -r rss wall code < <(tail -1 time.txt)
    local first
    first=$({ grep -v '^Command exited' "$err" || true; } | head -1 | cut -c1-110 | sed 's/|/\\|/g')
    printf '| `glbtool %s` | %s | %s MB | %s s | %s | %s |\n' \
        "$*" "$input" "$(( (rss + 512) / 1024 ))" "$wall" "$code" "$first"
    rm -f "$err"
}
A=pair/a/MSTTRANS.GLB
B=pair/b/MSTTRANS.GLB
run "1 GB MSTTRANS" identify "$A"
for f in text hex json ndjson; do run "1 GB MSTTRANS" dump -f "$f" "$A"; done
run "1 GB MSTTRANS" validate "$A"
run "1 GB MSTTRANS" probe "$A"
run "two 1 GB MSTTRANS, 1 % different" diff "$A" "$B"
run "two 1 GB MSTTRANS, 1 % different" diff -f json "$A" "$B"
run "empty and 1 GB MSTTRANS" diff empty/MSTTRANS.GLB "$A"
run "two 90 MB GAL.NME" diff --key position gal/a/GAL.NME gal/b/GAL.NME
run "two 90 MB GAL.NME" diff gal/a/GAL.NME gal/b/GAL.NME
run "1 GB pipe (/dev/zero)" diff --kind msttrans /dev/zero "$A"
run "4 GiB sparse REQTRANS" identify sparse/REQTRANS.GLB
run "4 GiB sparse REQTRANS" validate sparse/REQTRANS.GLB
for f in text hex json ndjson; do run "4 GiB sparse REQTRANS" dump --salvage -f "$f" sparse/REQTRANS.GLB; done
run "1 GB zero SRVCONF" validate srv/GLB/SRVCONF.GLB
run "1 GB zero SRVCONF" doctor srv
run "1 GB zero SRVCONF" patch-seq srv/GLB/RESYNC.GLB --from-srvconf srv/GLB/SRVCONF.GLB --dry-run
run "1 GB zero SRVCONF" resync --server srv -o srv/NEW.GLB
run "/dev/zero, 1 GB limit" validate --kind srvconf /dev/zero
run "/dev/zero, 1 GB limit" dump --kind nme /dev/zero
run "/dev/zero" build --kind process --from-dssched /dev/zero -o P.GLB
run "FIFO, no writer" validate FIFO.GLB
run "500 MB REQTRANS" patch-seq rq/GLB/REQTRANS.GLB --renumber-from 5 --dry-run
run "500 MB REQTRANS" patch-seq rq/GLB/REQTRANS.GLB --renumber-from 5 --force
run "500 MB REQTRANS" doctor rq
run "network, 1 GB MSTTRANS on its server" diff --dss net/MONTGOMERY --requestor net/TAYLOR
run "network, 1 GB MSTTRANS on its server" doctor net
run "network, 1 GB MSTTRANS on its server" resync --server net/MONTGOMERY -o net/NEW.GLB
run "JSON, one 300 MB text" build --kind reqtrans text300.json -o OUT.GLB
run "FIFO among files" identify "$A" FIFO.GLB sparse/REQTRANS.GLB
