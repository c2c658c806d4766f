#!/usr/bin/env python3
"""Checks that a release tag names the version being built (.github/workflows/release.yml).

    scripts/check_release_version.py TAG [--root DIR]

TAG is the pushed tag (`v0.1.0`). It must be `v` followed by Cargo.toml's
`[package] version`; Cargo.lock must hold the same version for the dagsafe package (a
`--locked` build fails otherwise, after the other jobs have started); pyproject.toml must
either take its version from Cargo.toml (`dynamic = ["version"]`, as maturin does) or state
the same one. Prints one line and exits with 0 when all agree; prints one `error:` line per
disagreement and exits with 1 otherwise (2 for unreadable files or bad arguments).
"""

import argparse
import os
import sys
import tomllib


def load(path):
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError) as e:
        print(f"error: cannot read {os.path.basename(path)}: {e}", file=sys.stderr)
        sys.exit(2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tag")
    parser.add_argument(
        "--root",
        default=os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."),
        help="the repository root (default: this script's repository)",
    )
    args = parser.parse_args()

    cargo = load(os.path.join(args.root, "Cargo.toml"))
    version = cargo.get("package", {}).get("version")
    if not isinstance(version, str):
        print("error: Cargo.toml has no [package] version", file=sys.stderr)
        sys.exit(2)
    errors = []
    if args.tag != f"v{version}":
        errors.append(f"tag {args.tag!r} is not v{version}, Cargo.toml's version")

    lock = load(os.path.join(args.root, "Cargo.lock"))
    locked = [p.get("version") for p in lock.get("package", []) if p.get("name") == "dagsafe"]
    if locked != [version]:
        errors.append(f"Cargo.lock has dagsafe {', '.join(map(str, locked)) or 'nowhere'}, not {version}")

    project = load(os.path.join(args.root, "pyproject.toml")).get("project", {})
    if "version" in project:
        if project["version"] != version:
            errors.append(f"pyproject.toml has version {project['version']}, not {version}")
    elif "version" not in project.get("dynamic", []):
        errors.append("pyproject.toml neither states a version nor lists it as dynamic")

    for error in errors:
        print(f"error: {error}", file=sys.stderr)
    if errors:
        sys.exit(1)
    print(f"tag {args.tag} matches version {version} (Cargo.toml, Cargo.lock, pyproject.toml)")


if __name__ == "__main__":
    main()
