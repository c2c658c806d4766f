#!/usr/bin/env python3
"""Tiny wall-clock timer used by scripts/bench.sh.

Usage::

    python3 scripts/bench_timer.py [--runs 5] [--warmup 1] -- CMD [ARGS...]

Runs CMD ``warmup`` times untimed, then ``runs`` times timed, with stdout and
stderr discarded.  Prints one line on stdout::

    BEST MEDIAN MEAN

(seconds, 4 decimals).  Exits non-zero, showing the end of CMD's stderr, if
any run fails.

bench.sh's blocks that compare several commands import :func:`interleaved`, which runs
them in rounds (in order, then reversed, alternately), so that a shared machine's drift
falls on all of them alike.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def run_once(cmd: list[str], cwd: str | None = None) -> float:
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.run(
            cmd, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err
        )
        elapsed = time.perf_counter() - t0
        if proc.returncode != 0:
            err.seek(0)
            tail = err.read().decode("utf-8", "replace").strip().splitlines()[-20:]
            sys.stderr.write(
                f"bench_timer: command failed with exit code {proc.returncode}: {' '.join(cmd)}\n"
            )
            for line in tail:
                sys.stderr.write(f"  | {line}\n")
            raise SystemExit(2)
    return elapsed


def interleaved(commands: list[tuple], runs: int, warmup: int) -> list[str]:
    """Times each ``(argv, cwd, reset)`` in ``warmup`` untimed and ``runs`` timed rounds,
    one run of each per round, in order and then reversed; ``reset``, when not None, is a
    folder removed (untimed) before each run of that command.  Returns ``"BEST MEDIAN"``
    per command, in the order given."""
    times: list[list[float]] = [[] for _ in commands]
    order = list(range(len(commands)))
    for i in range(warmup + runs):
        for index in order if i % 2 == 0 else order[::-1]:
            argv, cwd, reset = commands[index]
            if reset is not None:
                shutil.rmtree(reset, ignore_errors=True)
            elapsed = run_once(argv, cwd)
            if i >= warmup:
                times[index].append(elapsed)
    return [f"{min(t):.4f} {statistics.median(t):.4f}" for t in times]


def main() -> int:
    ap = argparse.ArgumentParser(description="time a command (best / median / mean)")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        ap.error("missing command (put it after --)")
    if args.runs < 1 or args.warmup < 0:
        ap.error("--runs must be >= 1 and --warmup >= 0")
    for _ in range(args.warmup):
        run_once(cmd)
    times = [run_once(cmd) for _ in range(args.runs)]
    print(f"{min(times):.4f} {statistics.median(times):.4f} {statistics.fmean(times):.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
