#!/usr/bin/env bash
# Benchmark dagsafe against ruff's AIR003 rule on a synthetic Airflow DAG corpus, or on a
# folder of real code.
#
# Usage: scripts/bench.sh [N_FILES] [SEED]                  (defaults: 2000 42)
#        scripts/bench.sh --corpus DIR [--exclude-largest]
#
# --corpus DIR: time dagsafe and ruff on the Python files under DIR instead of a generated
# corpus (steps 2, 5, 6 and 7 are skipped: real code has no labels to score against).
# Prints, from one set of interleaved rounds (dagsafe --no-cache, ruff, dagsafe with a cold
# and a warm cache, the parse-only floor; the order reversed every other round): best and
# median of each, the ratios dagsafe/ruff, dagsafe/parse-only and warm/cold, the peak RSS of
# dagsafe, ruff and parse-only on the same files, and the --timings breakdown. The cache
# is written in a temp folder, never in DIR. --exclude-largest prints a second block of the
# same figures without DIR's largest top-level folder (by number of .py files).
#
# The real corpus (16 Airflow repositories, 9,404 Python files, one generated repository
# of 7,520 of them) is rebuilt on each machine as ../shared/corpus/README.md says: fetch
# every repository listed in ../shared/corpus/commits.txt (first field OWNER+NAME, fetched
# as github:OWNER/NAME), then
#   python3 ../shared/corpus/rebuild.py MIRRORS /tmp/dagsafe-corpus
# (MIRRORS: the folder holding the fetched OWNER+NAME git directories), and
#   scripts/bench.sh --corpus /tmp/dagsafe-corpus --exclude-largest
# It is other people's code: never commit it.
#
# Steps:
#   1. cargo build --release in the repo root (binary: target/release/dagsafe)
#   2. generate a deterministic corpus with scripts/gen_corpus.py into a temp dir
#   3. time, RUNS times each after WARMUP untimed runs (best and median wall clock):
#        dagsafe check --quiet --exit-zero --output-format concise CORPUS
#        ruff check --select AIR003 --preview --no-cache --isolated --exit-zero --quiet CORPUS
#   4. print files, MB, times, the dagsafe/ruff ratio and the diagnostic counts
#   5. score each tool's findings against the corpus labels (the `# DS101` comments
#      that gen_corpus.py puts on parse-time lookups) with scripts/score.py:
#        agreement with labels: dagsafe  TP=... FP=... FN=... precision=... recall=...
#   6. the cost of the project-wide pass: generate a second corpus of the same size and
#      seed with `gen_corpus.py --imports` (DAG files import helper modules and call their
#      functions; labels follow calls across modules), time
#        dagsafe check --quiet --exit-zero --output-format concise CORPUS             (project-wide)
#        dagsafe check --quiet --exit-zero --output-format concise --per-file CORPUS  (each file alone)
#      print the ratio project/per-file, and score both against that corpus's labels
#      (--per-file misses the helper functions reached from other files, by design)
#   7. the language server on the --imports corpus (examples/lsp_latency.rs): time to
#      index (cold and warm cache), and from a didChange of one DAG file to its
#      diagnostics, median and max of 20 edits
#
# Environment knobs:
#   RUNS=5 WARMUP=1      timed / untimed runs per tool
#   PYTHON=python3       interpreter used for the generator, the timer and pip
#   BENCH_TIMER=auto     auto (hyperfine if on PATH, else python) | python | hyperfine
#   SKIP_DAGSAFE=1       skip the build and the dagsafe half (ruff only)
#   SKIP_RUFF=1          skip the ruff half
#   NO_PIP_INSTALL=1     never pip-install ruff when it is missing
#   DAGSAFE_BIN=PATH     use this binary instead of <target dir>/release/dagsafe
#   SKIP_BUILD=1         do not run cargo build (use an already built binary)
#   SKIP_IMPORTS=1       skip step 6 (the --imports corpus, project-wide vs --per-file)
#   KEEP_CORPUS=1        keep the temp dir (its path is printed)
#   SKIP_LSP=1           skip step 7 (the language server's index and edit latency)
set -euo pipefail

die() { echo "bench: error: $*" >&2; exit 1; }
info() { echo "bench: $*" >&2; }
ratio() {  # ratio A B -> A/B with 2 decimals, or n/a
    case "$1$2" in *n/a*) echo "n/a"; return;; esac
    awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2fx", a / b; else print "n/a" }'
}
USAGE="usage: scripts/bench.sh [N_FILES] [SEED] | scripts/bench.sh --corpus DIR [--exclude-largest]"

CORPUS_DIR=""
EXCLUDE_LARGEST=0
POSITIONAL=()
while [ $# -gt 0 ]; do
    case "$1" in
        --corpus)
            [ $# -ge 2 ] && [ -n "$2" ] || die "--corpus needs a folder; $USAGE"
            CORPUS_DIR="$2"
            shift 2;;
        --corpus=*)
            CORPUS_DIR="${1#--corpus=}"
            [ -n "$CORPUS_DIR" ] || die "--corpus needs a folder; $USAGE"
            shift;;
        --exclude-largest) EXCLUDE_LARGEST=1; shift;;
        -h|--help) echo "$USAGE"; exit 0;;
        -*) die "unknown option '$1'; $USAGE";;
        *) POSITIONAL+=("$1"); shift;;
    esac
done
if [ -n "$CORPUS_DIR" ]; then
    [ ${#POSITIONAL[@]} -eq 0 ] || die "--corpus takes no N_FILES or SEED; $USAGE"
    [ -d "$CORPUS_DIR" ] || die "--corpus: '$CORPUS_DIR' is not a folder"
    CORPUS_DIR="$(cd "$CORPUS_DIR" && pwd)"
    [ -n "$(find "$CORPUS_DIR" -type f -name '*.py' -print -quit)" ] \
        || die "--corpus: no .py files under '$CORPUS_DIR'"
elif [ "$EXCLUDE_LARGEST" = "1" ]; then
    die "--exclude-largest needs --corpus DIR; $USAGE"
fi
set -- ${POSITIONAL[@]+"${POSITIONAL[@]}"}

N_FILES="${1:-2000}"
SEED="${2:-42}"
RUNS="${RUNS:-5}"
WARMUP="${WARMUP:-1}"
PYTHON="${PYTHON:-python3}"
BENCH_TIMER="${BENCH_TIMER:-auto}"

case "$N_FILES" in ''|*[!0-9]*) die "N_FILES must be a positive integer (got '$N_FILES')";; esac
case "$SEED" in ''|*[!0-9]*) die "SEED must be a non-negative integer (got '$SEED')";; esac
case "$RUNS" in ''|*[!0-9]*) die "RUNS must be a positive integer (got '$RUNS')";; esac
case "$WARMUP" in ''|*[!0-9]*) die "WARMUP must be a non-negative integer (got '$WARMUP')";; esac
[ "$N_FILES" -ge 1 ] || die "N_FILES must be >= 1"
[ "$RUNS" -ge 1 ] || die "RUNS must be >= 1"
[ $# -le 2 ] || die "$USAGE"

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$SCRIPT_DIR/.." && pwd)"
command -v "$PYTHON" >/dev/null 2>&1 || die "'$PYTHON' not found (set PYTHON=...)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/dagsafe-bench.XXXXXX")"
cleanup() {
    if [ "${KEEP_CORPUS:-0}" = "1" ]; then
        info "keeping $WORK (KEEP_CORPUS=1)"
    else
        rm -rf "$WORK"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
CORPUS="$WORK/corpus"
CORPUS_IMPORTS="$WORK/corpus_imports"

# ---------------------------------------------------------------- timer setup
if [ "$BENCH_TIMER" = "auto" ]; then
    if command -v hyperfine >/dev/null 2>&1; then BENCH_TIMER=hyperfine; else BENCH_TIMER=python; fi
fi
case "$BENCH_TIMER" in
    python) ;;
    hyperfine) command -v hyperfine >/dev/null 2>&1 || die "BENCH_TIMER=hyperfine but hyperfine is not on PATH";;
    *) die "BENCH_TIMER must be auto, python or hyperfine (got '$BENCH_TIMER')";;
esac

# time_cmd CMD... -> prints "BEST MEDIAN" (seconds) on stdout
time_cmd() {
    if [ "$BENCH_TIMER" = "hyperfine" ]; then
        local json="$WORK/hyperfine.json" quoted
        quoted="$(printf '%q ' "$@")"
        hyperfine --style none --warmup "$WARMUP" --runs "$RUNS" --export-json "$json" "$quoted" >&2 \
            || die "hyperfine failed for: $*"
        "$PYTHON" -c 'import json, sys; r = json.load(open(sys.argv[1]))["results"][0]; print("%.4f %.4f" % (r["min"], r["median"]))' "$json" \
            || die "could not read hyperfine results from $json"
    else
        local out
        out="$("$PYTHON" "$SCRIPT_DIR/bench_timer.py" --runs "$RUNS" --warmup "$WARMUP" -- "$@")" \
            || die "timing failed for: $*"
        echo "${out% *}"   # drop the mean
    fi
}

# ------------------------------------------------------------ build dagsafe
DAGSAFE=""
if [ "${SKIP_DAGSAFE:-0}" = "1" ]; then
    info "SKIP_DAGSAFE=1: skipping the dagsafe build and timing"
else
    if [ "${SKIP_BUILD:-0}" = "1" ]; then
        info "SKIP_BUILD=1: not running cargo build"
    else
        command -v cargo >/dev/null 2>&1 || die "cargo not found (needed to build dagsafe; SKIP_DAGSAFE=1 to skip)"
        info "building dagsafe (cargo build --release) in $REPO_ROOT"
        (cd "$REPO_ROOT" && cargo build --release) || die "cargo build --release failed"
    fi
    if [ -n "${DAGSAFE_BIN:-}" ]; then
        DAGSAFE="$DAGSAFE_BIN"
    else
        TARGET_DIR="${CARGO_TARGET_DIR:-target}"
        case "$TARGET_DIR" in /*) ;; *) TARGET_DIR="$REPO_ROOT/$TARGET_DIR";; esac
        DAGSAFE="$TARGET_DIR/release/dagsafe"
    fi
    [ -x "$DAGSAFE" ] || die "dagsafe binary not found (or not executable) at $DAGSAFE"
fi

# -------------------------------------------------------------- find ruff
RUFF=()
RUFF_SKIP_REASON=""
find_ruff() {
    if command -v ruff >/dev/null 2>&1; then
        RUFF=(ruff)
    elif "$PYTHON" -m ruff --version >/dev/null 2>&1; then
        RUFF=("$PYTHON" -m ruff)
    else
        return 1
    fi
}
if [ "${SKIP_RUFF:-0}" = "1" ]; then
    RUFF_SKIP_REASON="SKIP_RUFF=1"
elif ! find_ruff; then
    if [ "${NO_PIP_INSTALL:-0}" = "1" ]; then
        RUFF_SKIP_REASON="ruff is not installed and NO_PIP_INSTALL=1"
    else
        info "ruff not found; trying: $PYTHON -m pip install --quiet ruff"
        if "$PYTHON" -m pip install --quiet ruff >&2 && find_ruff; then
            :
        else
            RUFF_SKIP_REASON="ruff is not installed and 'pip install ruff' failed"
        fi
    fi
fi
if [ -z "$RUFF_SKIP_REASON" ] && ! "${RUFF[@]}" rule AIR003 >/dev/null 2>&1; then
    RUFF_SKIP_REASON="$("${RUFF[@]}" --version 2>&1 | head -n1) does not know rule AIR003 (upgrade: pip install -U ruff)"
fi
if [ -n "$RUFF_SKIP_REASON" ]; then
    info "skipping the ruff column: $RUFF_SKIP_REASON"
    RUFF=()
fi
if [ -z "$DAGSAFE" ] && [ ${#RUFF[@]} -eq 0 ]; then
    die "nothing to benchmark (dagsafe and ruff both skipped)"
fi

# ------------------------------------------------------ a folder of real code
if [ -n "$CORPUS_DIR" ]; then
    [ -n "$DAGSAFE" ] || die "--corpus needs dagsafe (SKIP_DAGSAFE=1 is for the generated corpus)"
    PARSE_ONLY="$(dirname "$DAGSAFE")/examples/parse_only"
    if [ "${SKIP_BUILD:-0}" != "1" ]; then
        info "building the parse-only floor (cargo build --release --example parse_only)"
        (cd "$REPO_ROOT" && cargo build --release --quiet --example parse_only) >&2 \
            || die "cargo build --release --example parse_only failed"
    fi
    [ -x "$PARSE_ONLY" ] || die "parse-only example not found at $PARSE_ONLY"
    # Every run starts in a folder of its own and is given absolute paths; the cold and the
    # warm cache each have a folder of their own (`--cache-dir`: a project's cache is
    # otherwise in its root, which cold and warm runs would share): nothing is written
    # into the corpus.
    RUN_CWD="$WORK/run-cwd"
    mkdir -p "$RUN_CWD" "$WORK/cold-cwd"

    # corpus_block TITLE PATH... : every figure for these paths, from one set of rounds.
    corpus_block() {
        local title="$1"
        shift
        local sizes lines bytes mb n_py
        n_py="$(find "$@" -type f -name '*.py' | wc -l | tr -d ' ')"
        sizes="$(find "$@" -type f -name '*.py' -print0 | xargs -0 cat | wc -l -c)"
        read -r lines bytes <<<"$sizes"
        mb="$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1000000 }')"
        info "$title: dagsafe: counting diagnostics"
        (cd "$RUN_CWD" && "$DAGSAFE" check --no-cache --exit-zero --output-format concise "$@") \
            >"$WORK/real.out" 2>"$WORK/real.err" || {
            sed -n '1,20p' "$WORK/real.err" | sed 's/^/  | /' >&2
            die "dagsafe check --exit-zero exited non-zero on $title"
        }
        local ds_count ds_summary ruff_count="n/a"
        ds_count="$(grep -c ': DS[0-9]* ' "$WORK/real.out" || true)"
        ds_summary="$(grep -E '^(Found [0-9]|All checks passed)' "$WORK/real.out" | tail -n 1 || true)"
        local ruff_cmd=""
        if [ ${#RUFF[@]} -gt 0 ]; then
            info "$title: ruff: counting diagnostics"
            (cd "$RUN_CWD" && "${RUFF[@]}" check --select AIR003 --preview --no-cache --isolated \
                --exit-zero --output-format concise "$@") >"$WORK/real-ruff.out" 2>"$WORK/real-ruff.err" || {
                sed -n '1,20p' "$WORK/real-ruff.err" | sed 's/^/  | /' >&2
                die "ruff check --exit-zero exited non-zero on $title"
            }
            ruff_count="$(grep -c -E 'AIR003|airflow-variable-get-outside-task' "$WORK/real-ruff.out" || true)"
            ruff_cmd="$(printf '%s\n' "${RUFF[@]}")"
        fi
        info "$title: timing, interleaved ($WARMUP warm-up + $RUNS rounds)"
        local t
        t="$(cd "$RUN_CWD" && "$PYTHON" - "$SCRIPT_DIR" "$RUNS" "$WARMUP" "$DAGSAFE" "$PARSE_ONLY" "$RUN_CWD" "$WORK/cold-cwd" "$ruff_cmd" "$@" <<'PY'
import os, subprocess, sys
sys.path.insert(0, sys.argv[1])
from bench_timer import interleaved
runs, warmup, exe, floor, warm_cwd, cold_cwd, ruff = sys.argv[2:9]
paths = sys.argv[9:]
check = [exe, "check", "--quiet", "--exit-zero", "--output-format", "concise"] + paths
cold_cache, warm_cache = os.path.join(cold_cwd, "cache"), os.path.join(warm_cwd, "cache")
cmds = {
    "nocache": (check[:2] + ["--no-cache"] + check[2:], warm_cwd, None),
    "ruff": ((ruff.split("\n") + ["check", "--select", "AIR003", "--preview", "--no-cache",
              "--isolated", "--exit-zero", "--quiet"] + paths) if ruff else None, warm_cwd, None),
    "cold": (check[:2] + ["--cache-dir", cold_cache] + check[2:], cold_cwd, cold_cache),
    "warm": (check[:2] + ["--cache-dir", warm_cache] + check[2:], warm_cwd, None),
    "floor": ([floor] + paths, warm_cwd, None),
}
order = [n for n in cmds if cmds[n][0] is not None]
# The warm cache: one untimed run fills it.
subprocess.run(cmds["warm"][0], cwd=warm_cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
timed = dict(zip(order, interleaved([cmds[n] for n in order], int(runs), int(warmup))))
print(" ".join(timed.get(name, "n/a n/a") for name in cmds))
PY
)" || die "could not time $title"
        local nc_b nc_m ru_b ru_m co_b co_m wa_b wa_m pa_b pa_m
        read -r nc_b nc_m ru_b ru_m co_b co_m wa_b wa_m pa_b pa_m <<<"$t" || die "could not read the timings"
        # Peak RSS of one run each (getrusage of the child).
        rss() {
            (cd "$RUN_CWD" && "$PYTHON" - "$@" <<'PY'
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f}")
PY
            )
        }
        local rss_nc rss_warm rss_ruff="n/a" rss_floor timings
        rss_nc="$(rss "$DAGSAFE" check --no-cache --quiet --exit-zero --output-format concise "$@")"
        rss_warm="$(rss "$DAGSAFE" check --cache-dir "$RUN_CWD/cache" --quiet --exit-zero --output-format concise "$@")"
        if [ ${#RUFF[@]} -gt 0 ]; then
            rss_ruff="$(rss "${RUFF[@]}" check --select AIR003 --preview --no-cache --isolated --exit-zero --quiet "$@")"
        fi
        rss_floor="$(rss "$PARSE_ONLY" "$@")"
        timings="$(cd "$RUN_CWD" && "$DAGSAFE" check --no-cache --timings --quiet --exit-zero --output-format concise "$@" 2>&1 >/dev/null | sed -n 1p)"

        echo
        echo "== dagsafe benchmark: $title =="
        printf '%-22s %s .py files, %s MB, %s lines\n' "corpus:" "$n_py" "$mb" "$lines"
        printf '%-22s none: a real corpus has no labels, so no agreement scores (and no --imports or language-server steps)\n' "labels:"
        printf '%-22s %s timed rounds after %s warm-up, interleaved, %s CPU(s)\n' "runs:" "$RUNS" "$WARMUP" "$(nproc 2>/dev/null || echo '?')"
        printf '%-22s %10s %10s\n' "" "best (s)" "median (s)"
        printf '%-22s %10s %10s\n' "dagsafe --no-cache" "$nc_b" "$nc_m"
        if [ -n "$RUFF_SKIP_REASON" ]; then
            printf '%-22s skipped: %s\n' "ruff (AIR003)" "$RUFF_SKIP_REASON"
        else
            printf '%-22s %10s %10s\n' "ruff (AIR003)" "$ru_b" "$ru_m"
        fi
        printf '%-22s %10s %10s\n' "dagsafe, cold cache" "$co_b" "$co_m"
        printf '%-22s %10s %10s\n' "dagsafe, warm cache" "$wa_b" "$wa_m"
        printf '%-22s %10s %10s\n' "parse-only floor" "$pa_b" "$pa_m"
        printf '%-22s best %s, median %s  (<1 means dagsafe is faster)\n' "ratio dagsafe/ruff:" \
            "$(ratio "$nc_b" "$ru_b")" "$(ratio "$nc_m" "$ru_m")"
        printf '%-22s best %s, median %s\n' "ratio dagsafe/parse:" \
            "$(ratio "$nc_b" "$pa_b")" "$(ratio "$nc_m" "$pa_m")"
        printf '%-22s best %s, median %s\n' "ratio warm/cold:" \
            "$(ratio "$wa_b" "$co_b")" "$(ratio "$wa_m" "$co_m")"
        printf '%-22s dagsafe --no-cache %s MB, dagsafe warm cache %s MB, ruff %s MB, parse-only %s MB\n' \
            "peak RSS:" "$rss_nc" "$rss_warm" "$rss_ruff" "$rss_floor"
        printf '%-22s dagsafe %s DS diagnostics (%s), ruff %s AIR003\n' "diagnostics:" \
            "$ds_count" "$ds_summary" "$ruff_count"
        printf '%-22s %s\n' "where the time goes:" "${timings#timings: }"
    }

    corpus_block "$CORPUS_DIR" "$CORPUS_DIR"
    if [ "$EXCLUDE_LARGEST" = "1" ]; then
        # The top-level folder with the most .py files, and everything else beside it.
        LARGEST=""
        LARGEST_N=-1
        OTHERS=()
        for entry in "$CORPUS_DIR"/* "$CORPUS_DIR"/.[!.]*; do
            [ -e "$entry" ] || continue
            if [ -d "$entry" ]; then
                n="$(find "$entry" -type f -name '*.py' | wc -l | tr -d ' ')"
                if [ "$n" -gt "$LARGEST_N" ]; then
                    [ -n "$LARGEST" ] && OTHERS+=("$LARGEST")
                    LARGEST="$entry"
                    LARGEST_N="$n"
                    continue
                fi
            fi
            OTHERS+=("$entry")
        done
        [ -n "$LARGEST" ] || die "--exclude-largest: '$CORPUS_DIR' has no folders"
        [ ${#OTHERS[@]} -gt 0 ] && [ -n "$(find "${OTHERS[@]}" -type f -name '*.py' -print -quit)" ] \
            || die "--exclude-largest: no .py files outside '$(basename "$LARGEST")'"
        corpus_block "$CORPUS_DIR without $(basename "$LARGEST") ($LARGEST_N .py files)" "${OTHERS[@]}"
    fi
    exit 0
fi
# --------------------------------------------------------- generate corpus
info "generating corpus: $N_FILES files, seed $SEED -> $CORPUS"
"$PYTHON" "$SCRIPT_DIR/gen_corpus.py" --seed "$SEED" --files "$N_FILES" --out "$CORPUS" --quiet \
    || die "corpus generation failed"
N_FOUND="$(find "$CORPUS" -type f -name '*.py' | wc -l | tr -d ' ')"
[ "$N_FOUND" -eq "$N_FILES" ] || die "expected $N_FILES generated files, found $N_FOUND"
SIZES="$(find "$CORPUS" -type f -name '*.py' -exec cat {} + | wc -l -c)"   # "LINES BYTES"
read -r LINES BYTES <<<"$SIZES"
MB="$(awk -v b="$BYTES" 'BEGIN { printf "%.2f", b / 1000000 }')"

# ------------------------------------------------------------------ run
DS_BEST="n/a"; DS_MED="n/a"; DS_COUNT="n/a"
if [ -n "$DAGSAFE" ]; then
    info "dagsafe: counting diagnostics"
    if ! "$DAGSAFE" check --no-cache --exit-zero --output-format concise "$CORPUS" >"$WORK/dagsafe.out" 2>"$WORK/dagsafe.err"; then
        echo "bench: dagsafe check failed; its stderr:" >&2
        sed -n '1,20p' "$WORK/dagsafe.err" | sed 's/^/  | /' >&2
        die "'$DAGSAFE check --exit-zero --output-format concise CORPUS' exited non-zero"
    fi
    DS_COUNT="$(grep -c ': DS101 ' "$WORK/dagsafe.out" || true)"
    info "dagsafe: timing ($WARMUP warm-up + $RUNS runs, timer: $BENCH_TIMER)"
    # --no-cache: like ruff's --no-cache below, every run does the whole work.
    T="$(time_cmd "$DAGSAFE" check --no-cache --quiet --exit-zero --output-format concise "$CORPUS")"
    read -r DS_BEST DS_MED <<<"$T" || die "could not time dagsafe"
fi

RUFF_BEST="n/a"; RUFF_MED="n/a"; RUFF_COUNT="n/a"
if [ ${#RUFF[@]} -gt 0 ]; then
    RUFF_ARGS=(check --select AIR003 --preview --no-cache --isolated --exit-zero)
    info "ruff: counting diagnostics ($("${RUFF[@]}" --version 2>&1 | head -n1))"
    if ! "${RUFF[@]}" "${RUFF_ARGS[@]}" --output-format concise "$CORPUS" >"$WORK/ruff.out" 2>"$WORK/ruff.err"; then
        sed -n '1,20p' "$WORK/ruff.err" | sed 's/^/  | /' >&2
        die "ruff check exited non-zero"
    fi
    # In preview mode ruff prints the rule name instead of the code in concise output.
    RUFF_COUNT="$(grep -c -E 'AIR003|airflow-variable-get-outside-task' "$WORK/ruff.out" || true)"
    info "ruff: timing ($WARMUP warm-up + $RUNS runs, timer: $BENCH_TIMER)"
    T="$(time_cmd "${RUFF[@]}" "${RUFF_ARGS[@]}" --quiet "$CORPUS")"
    read -r RUFF_BEST RUFF_MED <<<"$T" || die "could not time ruff"
fi

if [ "$DS_COUNT" = "0" ] && [ "$RUFF_COUNT" != "n/a" ] && [ "$RUFF_COUNT" != "0" ]; then
    info "warning: dagsafe reported no DS101 diagnostics (ruff found $RUFF_COUNT); is 'dagsafe check' implemented?"
fi


echo
echo "== dagsafe benchmark =="
printf '%-22s %s files, %s MB, %s lines (seed %s)\n' "corpus:" "$N_FILES" "$MB" "$LINES" "$SEED"
printf '%-22s %s timed runs after %s warm-up, timer: %s, %s CPU(s)\n' "runs:" "$RUNS" "$WARMUP" "$BENCH_TIMER" "$(nproc 2>/dev/null || echo '?')"
printf '%-22s %10s %10s %12s\n' "" "best (s)" "median (s)" "diagnostics"
printf '%-22s %10s %10s %12s\n' "dagsafe (DS101)" "$DS_BEST" "$DS_MED" "$DS_COUNT"
if [ -n "$RUFF_SKIP_REASON" ]; then
    printf '%-22s skipped: %s\n' "ruff (AIR003)" "$RUFF_SKIP_REASON"
else
    printf '%-22s %10s %10s %12s\n' "ruff (AIR003)" "$RUFF_BEST" "$RUFF_MED" "$RUFF_COUNT"
fi
printf '%-22s best %s, median %s  (<1 means dagsafe is faster)\n' "ratio dagsafe/ruff:" \
    "$(ratio "$DS_BEST" "$RUFF_BEST")" "$(ratio "$DS_MED" "$RUFF_MED")"

# ------------------------------------------------------- agreement with labels
# score_in CORPUS NAME OUTPUT CODE... -> one "agreement with labels: ..." line (paths in
# the outputs are relative to this directory or absolute; score.py normalises them).
score_in() {
    local corpus="$1" name="$2" out="$3"
    shift 3
    "$PYTHON" "$SCRIPT_DIR/score.py" "$corpus" "$out" --name "$name" --base "$PWD" --codes "$@" \
        || echo "agreement with labels: $name  (scoring failed)"
}
score() {
    score_in "$CORPUS" "$@"
}
echo
if [ -n "$DAGSAFE" ]; then
    score dagsafe "$WORK/dagsafe.out" DS101
fi
if [ ${#RUFF[@]} -gt 0 ]; then
    score ruff "$WORK/ruff.out" AIR003 airflow-variable-get-outside-task
fi

# ------------------------------------------------ cache, parse floor, memory
if [ -n "$DAGSAFE" ] && [ "${SKIP_FLOOR:-0}" != "1" ]; then
    PARSE_ONLY="$(dirname "$DAGSAFE")/examples/parse_only"
    if [ "${SKIP_BUILD:-0}" != "1" ]; then
        info "building the parse-only floor (cargo build --release --example parse_only)"
        (cd "$REPO_ROOT" && cargo build --release --quiet --example parse_only) >&2 \
            || die "cargo build --release --example parse_only failed"
    fi
    [ -x "$PARSE_ONLY" ] || die "parse-only example not found at $PARSE_ONLY"
    # The cache lives in the working directory: runs happen in a folder of their own.
    CACHE_CWD="$WORK/cache-cwd"
    mkdir -p "$CACHE_CWD"
    # A shared machine drifts between blocks of runs: these are timed interleaved, one of
    # each per round (the cold cache is removed before each of its runs, untimed).
    info "no cache, cold cache, warm cache, parse-only floor: timing, interleaved ($WARMUP warm-up + $RUNS rounds)"
    (cd "$CACHE_CWD" && "$DAGSAFE" check --cache-dir "$CACHE_CWD/cache" --quiet --exit-zero --output-format concise "$CORPUS" >/dev/null)
    T="$("$PYTHON" - "$SCRIPT_DIR" "$RUNS" "$WARMUP" "$DAGSAFE" "$PARSE_ONLY" "$CORPUS" "$CACHE_CWD" "$WORK/cold-cwd" <<'PY'
import os, sys
sys.path.insert(0, sys.argv[1])
from bench_timer import interleaved
runs, warmup, exe, floor, corpus, warm_cwd, cold_cwd = sys.argv[2:9]
os.makedirs(cold_cwd, exist_ok=True)
check = [exe, "check", "--quiet", "--exit-zero", "--output-format", "concise", corpus]
cold_cache, warm_cache = os.path.join(cold_cwd, "cache"), os.path.join(warm_cwd, "cache")
cmds = [
    (check[:2] + ["--no-cache"] + check[2:], None, None),
    (check[:2] + ["--cache-dir", cold_cache] + check[2:], cold_cwd, cold_cache),
    (check[:2] + ["--cache-dir", warm_cache] + check[2:], warm_cwd, None),
    ([floor, corpus], None, None),
]
print(" ".join(interleaved(cmds, int(runs), int(warmup))))
PY
)" || die "could not time the cache and the parse-only floor"
    read -r NC_BEST NC_MED COLD_BEST COLD_MED WARM_BEST WARM_MED PARSE_BEST PARSE_MED <<<"$T" \
        || die "could not read the cache timings"

    # Peak RSS from /usr/bin/time -v (GNU time), or Python's getrusage of the child.
    peak_rss_mb() {
        "$PYTHON" - "$@" <<'PY'
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(f"{resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f}")
PY
    }
    RSS_NOCACHE="$(peak_rss_mb "$DAGSAFE" check --no-cache --quiet --exit-zero --output-format concise "$CORPUS")"
    RSS_WARM="$(cd "$CACHE_CWD" && peak_rss_mb "$DAGSAFE" check --cache-dir "$CACHE_CWD/cache" --quiet --exit-zero --output-format concise "$CORPUS")"
    RSS_RUFF="n/a"
    if [ ${#RUFF[@]} -gt 0 ]; then
        RSS_RUFF="$(peak_rss_mb "${RUFF[@]}" check --select AIR003 --preview --no-cache --isolated --exit-zero --quiet "$CORPUS")"
    fi
    # One file just under the 10 MB cap (a realistic DAG module, repeated): memory per byte
    # of input, which tests do not assert (it depends on the machine).
    BIG_DIR="$(mktemp -d)"
    "$PYTHON" "$SCRIPT_DIR/gen_big_dag.py" "$BIG_DIR/big_dag.py" || die "could not write the big DAG file"
    BIG_BYTES="$(wc -c <"$BIG_DIR/big_dag.py")"
    RSS_BIG="$(peak_rss_mb "$DAGSAFE" check --no-cache --quiet --exit-zero --output-format concise "$BIG_DIR/big_dag.py")"
    rm -rf "$BIG_DIR"
    TIMINGS="$("$DAGSAFE" check --no-cache --timings --quiet --exit-zero --output-format concise "$CORPUS" 2>&1 >/dev/null | sed -n 1p)"

    echo
    echo "== cache, parse floor and memory =="
    printf '%-22s %s timed rounds after %s warm-up, interleaved\n' "runs:" "$RUNS" "$WARMUP"
    printf '%-22s %10s %10s\n' "" "best (s)" "median (s)"
    printf '%-22s %10s %10s\n' "dagsafe --no-cache" "$NC_BEST" "$NC_MED"
    printf '%-22s %10s %10s\n' "dagsafe, cold cache" "$COLD_BEST" "$COLD_MED"
    printf '%-22s %10s %10s\n' "dagsafe, warm cache" "$WARM_BEST" "$WARM_MED"
    printf '%-22s %10s %10s\n' "parse-only floor" "$PARSE_BEST" "$PARSE_MED"
    printf '%-22s best %s, median %s  (target: at most 1.5)\n' "ratio dagsafe/parse:" \
        "$(ratio "$NC_BEST" "$PARSE_BEST")" "$(ratio "$NC_MED" "$PARSE_MED")"
    printf '%-22s best %s, median %s\n' "ratio warm/cold:" \
        "$(ratio "$WARM_BEST" "$COLD_BEST")" "$(ratio "$WARM_MED" "$COLD_MED")"
    printf '%-22s dagsafe --no-cache %s MB, dagsafe warm cache %s MB, ruff %s MB\n' "peak RSS:" \
        "$RSS_NOCACHE" "$RSS_WARM" "$RSS_RUFF"
    printf '%-22s %s MB for one %s-byte DAG file (%sx its size)\n' "peak RSS, big file:" \
        "$RSS_BIG" "$BIG_BYTES" "$("$PYTHON" -c "print(f'{$RSS_BIG * 1048576 / $BIG_BYTES:.1f}')")"
    printf '%-22s %s\n' "where the time goes:" "${TIMINGS#timings: }"
fi

# ----------------------------------------- project-wide pass vs --per-file
if [ -z "$DAGSAFE" ]; then
    exit 0
fi
if [ "${SKIP_IMPORTS:-0}" = "1" ]; then
    info "SKIP_IMPORTS=1: skipping the --imports corpus"
    exit 0
fi
info "generating --imports corpus: $N_FILES files, seed $SEED -> $CORPUS_IMPORTS"
"$PYTHON" "$SCRIPT_DIR/gen_corpus.py" --seed "$SEED" --files "$N_FILES" --imports --out "$CORPUS_IMPORTS" --quiet \
    || die "corpus generation (--imports) failed"
# --imports adds package __init__.py files on top of the N_FILES modules.
N_FOUND="$(find "$CORPUS_IMPORTS" -type f -name '*.py' ! -name '__init__.py' | wc -l | tr -d ' ')"
[ "$N_FOUND" -eq "$N_FILES" ] || die "expected $N_FILES generated modules (--imports), found $N_FOUND"
N_INIT="$(find "$CORPUS_IMPORTS" -type f -name '__init__.py' | wc -l | tr -d ' ')"
SIZES="$(find "$CORPUS_IMPORTS" -type f -name '*.py' -exec cat {} + | wc -l -c)"
read -r LINES_I BYTES_I <<<"$SIZES"
MB_I="$(awk -v b="$BYTES_I" 'BEGIN { printf "%.2f", b / 1000000 }')"

# count_on NAME EXTRA_ARGS... -> the output in $WORK/NAME.out; prints its DS101 count
count_on() {
    local name="$1"
    shift
    info "dagsafe${*:+ $*}: counting diagnostics (--imports corpus)"
    if ! "$DAGSAFE" check --no-cache --exit-zero --output-format concise "$@" "$CORPUS_IMPORTS" \
            >"$WORK/$name.out" 2>"$WORK/$name.err"; then
        sed -n '1,20p' "$WORK/$name.err" | sed 's/^/  | /' >&2
        die "'$DAGSAFE check --exit-zero --output-format concise${*:+ $*} CORPUS' exited non-zero"
    fi
    grep -c ': DS101 ' "$WORK/$name.out" || true
}
PW_COUNT="$(count_on dagsafe_project)"
PF_COUNT="$(count_on dagsafe_per_file --per-file)"

# The two runs differ by a few percent at most, less than the drift of a shared machine
# between two blocks of runs: time them interleaved (A B, then B A, ...) instead, after
# WARMUP untimed rounds.  Prints "A_BEST A_MEDIAN B_BEST B_MEDIAN".
info "dagsafe vs dagsafe --per-file: timing, interleaved ($WARMUP warm-up + $RUNS rounds)"
T="$("$PYTHON" - "$SCRIPT_DIR" "$RUNS" "$WARMUP" "$DAGSAFE" "$CORPUS_IMPORTS" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from bench_timer import interleaved
runs, warmup, exe, corpus = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
base = [exe, "check", "--no-cache", "--quiet", "--exit-zero", "--output-format", "concise"]
cmds = [(base + [corpus], None, None), (base + ["--per-file", corpus], None, None)]
print(" ".join(interleaved(cmds, runs, warmup)))
PY
)" || die "could not time dagsafe on the --imports corpus"
read -r PW_BEST PW_MED PF_BEST PF_MED <<<"$T" || die "could not read the --imports timings"

echo
echo "== project-wide pass (--imports corpus) =="
printf '%-22s %s files + %s package __init__.py, %s MB, %s lines (seed %s)\n' "corpus:" "$N_FILES" "$N_INIT" "$MB_I" "$LINES_I" "$SEED"
printf '%-22s %s timed rounds after %s warm-up, interleaved, timer: python, %s CPU(s)\n' "runs:" "$RUNS" "$WARMUP" "$(nproc 2>/dev/null || echo '?')"
printf '%-22s %10s %10s %12s\n' "" "best (s)" "median (s)" "diagnostics"
printf '%-22s %10s %10s %12s\n' "dagsafe (project)" "$PW_BEST" "$PW_MED" "$PW_COUNT"
printf '%-22s %10s %10s %12s\n' "dagsafe --per-file" "$PF_BEST" "$PF_MED" "$PF_COUNT"
printf '%-22s best %s, median %s  (the cost of following calls across modules)\n' "ratio project/per-file:" \
    "$(ratio "$PW_BEST" "$PF_BEST")" "$(ratio "$PW_MED" "$PF_MED")"
echo
score_in "$CORPUS_IMPORTS" dagsafe "$WORK/dagsafe_project.out" DS101
score_in "$CORPUS_IMPORTS" "dagsafe --per-file" "$WORK/dagsafe_per_file.out" DS101

# 7. The language server on the --imports corpus (examples/lsp_latency.rs, in process):
#    time to index (cold cache, then warm) and from a didChange of one DAG file to its
#    diagnostics, median of 20 edits.
if [ "${SKIP_BUILD:-0}" != "1" ] && [ -z "${SKIP_LSP:-}" ]; then
    info "building examples/lsp_latency.rs (release)"
    (cd "$REPO_ROOT" && cargo build --release --quiet --example lsp_latency) \
        || die "cargo build --example lsp_latency failed"
fi
if [ -z "${SKIP_LSP:-}" ]; then
    LATENCY_DIR="${CARGO_TARGET_DIR:-target}"
    case "$LATENCY_DIR" in /*) ;; *) LATENCY_DIR="$REPO_ROOT/$LATENCY_DIR";; esac
    LATENCY_BIN="$LATENCY_DIR/release/examples/lsp_latency"
    echo
    echo "== language server (--imports corpus, $N_FILES files) =="
    "$LATENCY_BIN" "$CORPUS_IMPORTS" "" 20 || die "lsp_latency failed"
fi
