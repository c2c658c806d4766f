#!/usr/bin/env python3
"""Score a tool's DS101-style findings against the labels of a generated corpus.

``scripts/gen_corpus.py`` ends every line holding a ``Variable.get`` call that runs
at DAG parse time with the trailing comment ``# DS101``; every other line is clean.
This script reads a tool's concise output, one finding a line::

    path:row:col: DS101 message                                  (dagsafe)
    path:row:col: AIR003 message                                 (ruff)
    path:row:col: airflow-variable-get-outside-task: message     (ruff --preview)

keeps the findings whose code is one of ``--codes``, and compares their
``(file, row)`` set with the labelled set.  Paths may be absolute or relative
(to ``--base``, default the current directory, or else to the corpus); all are
normalised to paths relative to the corpus.  Other lines (summaries, blank lines,
other codes) are ignored.

Usage::

    python3 scripts/score.py CORPUS_DIR TOOL_OUTPUT [--name dagsafe] [--codes ...]
    python3 scripts/score.py CORPUS_DIR TOOL_OUTPUT --show 20   # list mismatches

Prints one line, e.g.::

    agreement with labels: dagsafe  TP=3659 FP=0 FN=0 precision=1.000 recall=1.000
"""

from __future__ import annotations

import argparse
import os
import re
import sys

LABEL_RE = re.compile(r"#\s*DS101\s*$")
# path:row:col: CODE[:] message -- the path may itself hold colons (C:\...).
FINDING_RE = re.compile(r"^(?P<path>.+?):(?P<row>\d+):(?P<col>\d+):\s+(?P<code>[A-Za-z][\w-]*):?(?:\s|$)")
DEFAULT_CODES = ("DS101", "AIR003", "airflow-variable-get-outside-task")


def labelled(corpus: str) -> set[tuple[str, int]]:
    """The (relative path, row) of every line ending in ``# DS101`` under ``corpus``."""
    out: set[tuple[str, int]] = set()
    for root, dirs, files in os.walk(corpus):
        dirs.sort()
        for name in sorted(files):
            if not name.endswith(".py"):
                continue
            path = os.path.join(root, name)
            rel = os.path.relpath(path, corpus).replace(os.sep, "/")
            with open(path, encoding="utf-8") as fh:
                for row, line in enumerate(fh, 1):
                    if LABEL_RE.search(line):
                        out.add((rel, row))
    return out


def outside(rel: str) -> bool:
    return rel == os.pardir or rel.startswith(os.pardir + os.sep)


def normalise(path: str, corpus: str, base: str) -> str:
    """Return ``path`` relative to the corpus (with ``/``), resolving it the way the tool did."""
    if os.path.isabs(path):
        candidates = [path]
    else:
        candidates = [os.path.join(base, path), os.path.join(corpus, path)]
    for cand in candidates:
        real = os.path.realpath(cand)
        rel = os.path.relpath(real, corpus)
        if not outside(rel) and os.path.exists(real):
            return rel.replace(os.sep, "/")
    # Not found on disk: keep the best guess so that it shows up as a false positive.
    real = os.path.realpath(candidates[0])
    rel = os.path.relpath(real, corpus)
    return (path if outside(rel) else rel).replace(os.sep, "/")


def reported(output: str, corpus: str, base: str, codes: set[str]) -> tuple[set[tuple[str, int]], int]:
    """The (relative path, row) set of the findings with one of ``codes``, and how many lines matched."""
    out: set[tuple[str, int]] = set()
    n = 0
    with open(output, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            m = FINDING_RE.match(line.rstrip("\r\n"))
            if not m or m["code"] not in codes:
                continue
            n += 1
            out.add((normalise(m["path"], corpus, base), int(m["row"])))
    return out, n


def ratio(a: int, b: int) -> str:
    return f"{a / b:.3f}" if b else "n/a"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", help="corpus directory written by gen_corpus.py")
    ap.add_argument("output", help="the tool's concise output (a file; - for stdin)")
    ap.add_argument("--name", default="tool", help="tool name shown in the result line")
    ap.add_argument("--codes", nargs="+", default=list(DEFAULT_CODES),
                    help=f"codes / rule names to count (default: {' '.join(DEFAULT_CODES)})")
    ap.add_argument("--base", default=os.getcwd(),
                    help="directory the tool ran in, for relative paths (default: current directory)")
    ap.add_argument("--show", type=int, default=0, metavar="N",
                    help="also list up to N false positives and N false negatives (stderr)")
    args = ap.parse_args(argv)

    corpus = os.path.realpath(args.corpus)
    if not os.path.isdir(corpus):
        ap.error(f"not a directory: {args.corpus}")
    output = "/dev/stdin" if args.output == "-" else args.output
    want = labelled(corpus)
    got, _ = reported(output, corpus, os.path.realpath(args.base), set(args.codes))
    tp, fp, fn = len(got & want), len(got - want), len(want - got)
    print(
        f"agreement with labels: {args.name:<8} TP={tp} FP={fp} FN={fn} "
        f"precision={ratio(tp, tp + fp)} recall={ratio(tp, tp + fn)}"
    )
    if args.show:
        for kind, items in (("FP", got - want), ("FN", want - got)):
            for path, row in sorted(items)[: args.show]:
                print(f"  {kind} {path}:{row}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
