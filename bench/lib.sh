# What bench/run.sh and bench/memory.sh share, sourced by both from the
# repository root: a release build of glbtool and glb-corpus, and a temporary
# folder for the generated inputs. The caller defines say() and KEEP.

# Builds glbtool and glb-corpus in release mode; sets GLBTOOL and CORPUS to
# their binaries.
build_release() {
    say "building glbtool and glb-corpus (release)"
    cargo build --release --quiet -p glbtool -p glb-corpus >&2
    local target_dir
    target_dir=$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
    GLBTOOL="$target_dir/release/glbtool"
    CORPUS="$target_dir/release/glb-corpus"
}

# Sets WORK to a new temporary folder glbtool-NAME.XXXXXX, deleted when the
# script exits (kept, its path said, with KEEP=1).
make_work() {
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/glbtool-$1.XXXXXX")
    trap cleanup EXIT
}

cleanup() {
    if [ "$KEEP" = 1 ]; then say "kept inputs in $WORK"; else rm -rf "$WORK"; fi
}
