#!/usr/bin/env python3
"""Times `dagsafe cloudtrail` on N generated CloudTrail events (README, Performance).

    scripts/bench_cloudtrail.py [N] [--dagsafe PATH] [--keep DIR]

Writes N `GetSecretValue` records as CloudTrail delivers them to S3 (gzipped log files of
5 minutes each, 40 keys polled by 2 DAG processors every 30 s, task-time reads by workers,
other events mixed in), then runs `dagsafe cloudtrail --output-format json` on the folder
and, as the floor of the same work, Python's json module reading the same files. Prints
both times and their ratio: on a shared machine the ratio is the figure to quote.
"""

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
import time

START = 1_796_083_200  # 2026-12-01T00:00:00Z


def records(n):
    keys = [f"airflow/variables/aws_key_{i}" for i in range(40)]
    processors = [f"arn:aws:sts::123456789012:assumed-role/airflow/dag-processor-{i}" for i in range(2)]
    made, second = 0, 0
    while made < n:
        for processor in processors:
            for key in keys:
                if made == n:
                    return
                made += 1
                yield second, {
                    "eventVersion": "1.09",
                    "userIdentity": {"type": "AssumedRole", "arn": processor, "accountId": "123456789012"},
                    "eventTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(START + second)),
                    "eventSource": "secretsmanager.amazonaws.com",
                    "eventName": "GetSecretValue" if made % 50 else "DescribeSecret",
                    "awsRegion": "eu-west-1",
                    "sourceIPAddress": "10.0.1.17",
                    "userAgent": "Boto3/1.35.0",
                    "requestParameters": {"secretId": key},
                    "responseElements": None,
                    "readOnly": True,
                    "eventType": "AwsApiCall",
                }
        second += 30


def write(folder, n):
    batch, current, files = [], None, 0
    def flush():
        nonlocal batch, files
        if batch:
            path = os.path.join(folder, f"log-{files:06d}.json.gz")
            with gzip.open(path, "wt", compresslevel=1) as out:
                json.dump({"Records": batch}, out)
            files += 1
            batch = []
    for second, record in records(n):
        window = second // 300
        if window != current:
            flush()
            current = window
        batch.append(record)
    flush()
    return files


def timed(command):
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("n", nargs="?", type=int, default=1_000_000)
    parser.add_argument("--dagsafe", default="target/release/dagsafe")
    parser.add_argument("--keep", help="write the events here and keep them")
    args = parser.parse_args()
    if args.n <= 0:
        sys.exit("N must be a positive number of events")
    if not os.access(args.dagsafe, os.X_OK):
        sys.exit(f"{args.dagsafe} is not an executable: build it with `cargo build --release`")
    folder = args.keep or tempfile.mkdtemp(prefix="dagsafe-cloudtrail-")
    os.makedirs(folder, exist_ok=True)
    files = write(folder, args.n)
    project = tempfile.mkdtemp(prefix="dagsafe-cloudtrail-project-")
    dagsafe = timed([args.dagsafe, "cloudtrail", "--no-cache", "--isolated", "--project", project,
                     "--output-format", "json", folder])
    floor = timed([sys.executable, "-c",
                   "import gzip, json, os, sys\n"
                   "d = sys.argv[1]\n"
                   "n = sum(len(json.load(gzip.open(os.path.join(d, f), 'rt'))['Records']) for f in sorted(os.listdir(d)))\n",
                   folder])
    print(f"{args.n:,} events in {files} gzipped log files")
    print(f"dagsafe cloudtrail: {dagsafe:.2f} s; Python's json reading the same files: {floor:.2f} s; "
          f"ratio {dagsafe / floor:.2f}x")


if __name__ == "__main__":
    main()
