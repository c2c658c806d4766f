#!/usr/bin/env bash
# Rewrites the `cache` target's real seeds in tests/fuzz_corpus/cache/ after a change of the
# summary format: each is the payload (the 32-byte MAC cut off) of a cache that dagsafe
# writes for files under /fuzz-cache/dags, the folder the harness takes entries to be in.
# Run as a user who may create /fuzz-cache (it is removed afterwards):
#   bash fuzz/cache_seeds.sh target/debug/dagsafe
set -euo pipefail
bin="$(realpath "$1")"
repo="$(cd "$(dirname "$0")/.." && pwd)"
out="$repo/tests/fuzz_corpus/cache"
source="$(python3 -c 'import re,sys; s=open(sys.argv[1]).read(); print(eval(re.search(r"pub const SOURCE: &str = (\".*?\");", s, re.S).group(1)), end="")' "$repo/fuzz/fuzz_targets/cache_harness.rs")"
[ ! -e /fuzz-cache ] || { echo "/fuzz-cache exists: not touching it" >&2; exit 1; }
trap 'rm -rf /fuzz-cache' EXIT

seed() { # seed NAME FILE=TEXT...
    local name="$1"; shift
    rm -rf /fuzz-cache && mkdir -p /fuzz-cache/dags /fuzz-cache/cache
    for spec in "$@"; do printf '%s' "${spec#*=}" > "/fuzz-cache/dags/${spec%%=*}"; done
    (cd /fuzz-cache/dags && XDG_CACHE_HOME=/fuzz-cache/key "$bin" check --exit-zero \
        --cache-dir /fuzz-cache/cache . > /dev/null)
    tail -c +33 /fuzz-cache/cache/*.bin > "$out/$name"
}

seed seed-one-summary "m0.py=$source"
seed seed-two-summaries "m0.py=$source" "common.py=$source"
seed seed-three-entries "m0.py=$source" "common.py=def connect():
    return 1
" "other.py=import common
"
seed seed-with-fixtures "m0.py=$source" \
    "good_dag.py=$(cat "$repo/fixtures/cli/dags/good_dag.py")" \
    "bad_dag.py=$(cat "$repo/fixtures/cli/dags/bad_dag.py")"
echo "rewrote the real seeds in $out"
