#!/usr/bin/env python3
"""Picks a small corpus for `tests/fuzz_corpus/<target>/` (see README.md, "Refreshing the
committed corpus"): greedily, the inputs that add the most edges not covered yet, smaller
inputs preferred, until CAP inputs are chosen or nothing adds an edge.

    python3 pick_corpus.py CONTROL_FILE OUT_DIR [CAP]

CONTROL_FILE is the `-merge_control_file` of a `-merge=1 -use_counters=0 -use_cmp=0` run
of the fuzzer over the candidate inputs: its `COV <index> <edges...>` lines say which edges
each input covers. (`-set_cover_merge=1` alone keeps several hundred inputs of these
targets, every one adding a few edges.)
"""

import os
import shutil
import sys

# An input's gain counts for less the bigger it is: gain / (1 + size / SIZE_WEIGHT).
SIZE_WEIGHT = 256


def main():
    control, out = sys.argv[1], sys.argv[2]
    cap = int(sys.argv[3]) if len(sys.argv) > 3 else 150
    lines = open(control).read().split("\n")
    count = int(lines[0])
    files = lines[2 : 2 + count]
    edges = {}
    for line in lines[2 + count :]:
        fields = line.split()
        if fields and fields[0] == "COV":
            edges[int(fields[1])] = set(map(int, fields[2:]))
    size = {i: os.path.getsize(files[i]) for i in edges}
    covered, chosen = set(), []
    while len(chosen) < cap:
        best, best_score = None, 0.0
        for i, covers in edges.items():
            gain = len(covers - covered)
            score = gain / (1 + size[i] / SIZE_WEIGHT)
            if gain and score > best_score:
                best, best_score = i, score
        if best is None:
            break
        chosen.append(best)
        covered |= edges[best]
    os.makedirs(out, exist_ok=True)
    for i in chosen:
        shutil.copy(files[i], out)
    total = set().union(*edges.values()) if edges else set()
    print(
        f"{len(chosen)} inputs ({sum(size[i] for i in chosen)} bytes) "
        f"cover {len(covered)} of {len(total)} edges"
    )


if __name__ == "__main__":
    main()
