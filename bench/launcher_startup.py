#!/usr/bin/env python3
"""Start-up benchmark of the launcher: a small run, whole process, JVM start included.

    python3 bench/launcher_startup.py [ROUNDS]        (run from the repository root; default 20)

Variants, each run once per round, the order rotated every round, so background load falls on all
of them alike (hyperfine runs one variant after the other, which on a shared machine can favour one):
    java -jar        java -jar cli/target/zero-init.jar      (no launcher, no flags: the baseline)
    launcher         ./zero-init                             (C1 only + AppCDS archive)
    launcher no-cds  ZERO_INIT_CDS=0 ./zero-init             (C1 only)
    + any JVM flag sets given in the environment variable EXTRA, ';'-separated, each run as
      java FLAGS -jar cli/target/zero-init.jar, e.g. EXTRA='-XX:+UseSerialGC;-XX:-UsePerfData'
Each runs: samples/sample_resnet.onnx -o TMP/out.onnx --force. Prints median, min and 25th
percentile wall time and median CPU time (user + sys) in ms. The launcher is run once first so the
jar and the archive exist.
"""
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    if not os.path.isfile("zero-init") or not os.path.isfile("samples/sample_resnet.onnx"):
        sys.exit("launcher_startup: run from the repository root")
    tmp = tempfile.mkdtemp(prefix="zero-init-startup.")
    job = ["samples/sample_resnet.onnx", "-o", os.path.join(tmp, "out.onnx"), "--force"]
    jar = "cli/target/zero-init.jar"
    env = {k: v for k, v in os.environ.items() if k not in ("JAVA_OPTS", "ZERO_INIT_CDS")}
    variants = {
        "java -jar": (["java", "-jar", jar] + job, env),
        "launcher": (["./zero-init"] + job, env),
        "launcher no-cds": (["./zero-init"] + job, dict(env, ZERO_INIT_CDS="0")),
    }
    for flags in filter(None, os.environ.get("EXTRA", "").split(";")):
        variants["java " + flags] = (["java"] + flags.split() + ["-jar", jar] + job, env)
    subprocess.run(["./zero-init", "--version"], check=True, stdout=subprocess.DEVNULL)

    try:
        wall, cpu = measure(variants, rounds)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    print(f"| variant | median ms | min ms | p25 ms | CPU median ms |  ({rounds} runs each, load {os.getloadavg()[0]:.1f})")
    print("|:---|---:|---:|---:|---:|")
    for n in variants:
        w = sorted(wall[n])
        print(f"| {n} | {statistics.median(w):.0f} | {w[0]:.0f} | {w[len(w) // 4]:.0f} | {statistics.median(cpu[n]):.0f} |")


def measure(variants, rounds):
    names = list(variants)
    wall = {n: [] for n in names}
    cpu = {n: [] for n in names}
    for r in range(rounds):
        for n in names[r % len(names):] + names[:r % len(names)]:
            cmd, e = variants[n]
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()
            rc = subprocess.run(cmd, env=e, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
            t1 = time.perf_counter()
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if rc != 0:
                sys.exit(f"launcher_startup: {n} failed with exit code {rc}")
            wall[n].append((t1 - t0) * 1000)
            cpu[n].append((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000)
    return wall, cpu


if __name__ == "__main__":
    main()
