#!/usr/bin/env python3
"""Makes the standalone binary archive of a release from a built wheel (release.yml).

    scripts/package_binary.py WHEEL --target TRIPLE --out DIR

The wheel (from `maturin build`, `bindings = "bin"`) holds the binary as
`dagsafe-VERSION.data/scripts/dagsafe` (`dagsafe.exe` on Windows); taking it from there
means the archive holds exactly the binary that PyPI gets, with the wheel's manylinux
compatibility. Writes `dagsafe-vVERSION-TRIPLE.tar.gz` (`.zip` for Windows targets) with
the binary at its top level, executable, and beside it `ARCHIVE.sha256` in the format
`sha256sum -c` reads. Prints the archive's path.
"""

import argparse
import hashlib
import io
import os
import sys
import tarfile
import zipfile


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel")
    parser.add_argument("--target", required=True, help="the Rust target triple it was built for")
    parser.add_argument("--out", required=True, help="the folder to write the archive to")
    args = parser.parse_args()

    # dagsafe-0.1.0-py3-none-manylinux_2_28_x86_64.whl
    parts = os.path.basename(args.wheel).split("-")
    if len(parts) < 5 or parts[0] != "dagsafe" or not args.wheel.endswith(".whl"):
        sys.exit(f"error: {args.wheel} is not a dagsafe wheel")
    version = parts[1]
    windows = "windows" in args.target
    name = "dagsafe.exe" if windows else "dagsafe"
    with zipfile.ZipFile(args.wheel) as wheel:
        member = f"dagsafe-{version}.data/scripts/{name}"
        try:
            binary = wheel.read(member)
        except KeyError:
            sys.exit(f"error: {args.wheel} has no {member}")

    os.makedirs(args.out, exist_ok=True)
    stem = f"dagsafe-v{version}-{args.target}"
    archive = os.path.join(args.out, stem + (".zip" if windows else ".tar.gz"))
    if windows:
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
            z.writestr(name, binary)
    else:
        info = tarfile.TarInfo(name)
        info.size = len(binary)
        info.mode = 0o755
        with tarfile.open(archive, "w:gz") as tar:
            tar.addfile(info, io.BytesIO(binary))
    with open(archive, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    with open(archive + ".sha256", "w", newline="\n") as f:
        f.write(f"{digest}  {os.path.basename(archive)}\n")
    print(archive)


if __name__ == "__main__":
    main()
