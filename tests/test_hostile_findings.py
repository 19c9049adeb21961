#!/usr/bin/env python3
"""The fuzzers' findings (tests/fuzz/findings/*.h5) through every command that
opens a results file (issue 12, item 4: never a crash or hang).

These files make libhdf5 1.10.8 itself crash (SIGSEGV in H5HG_read, reading a
damaged global heap), overrun a buffer (ASan only) or loop forever, before
any check of ours sees a byte. The readers therefore let libhdf5 parse a
file's metadata in a child process first (engine/output/probe.c). Each file
goes through `summary` (table, --details, --format json), `replay --path 0`
and `--path worst`, `export` (paths, summary, months), `report`, `merge` (the
finding first and second) and `run --resume --force` with the finding at the
target (resume's check of a finished target). Every command must answer
within the time limit, never die by a signal or with a sanitizer's report,
exit 2 with one line on stderr naming the file where it reads the finding,
and leave nothing at merge's and report's targets. A file whose name says
"hang" is read with CHOKEPOINT_READ_TIMEOUT=3, and must say that the library
did not finish; one whose name says "compact" must be refused by the probe's
check of compact storage.

Usage: test_hostile_findings.py CHOKEPOINT"""
import glob
import os
import shutil
import subprocess
import sys
import tempfile

EXE = os.path.abspath(sys.argv[1])
SRC = os.environ.get("CKP_SOURCE_ROOT",
                     os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
TIMEOUT = 60
failures = 0
cases = 0

ENV = dict(os.environ)
SUPP = os.path.join(SRC, "tests", "fuzz", "lsan_hdf5.supp")
ENV["LSAN_OPTIONS"] = ":".join(filter(None, [ENV.get("LSAN_OPTIONS"), "print_suppressions=0",
                                             "suppressions=" + SUPP]))


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", what)


def run(args, env):
    try:
        p = subprocess.run([EXE, *args], capture_output=True, text=True, timeout=TIMEOUT,
                           errors="replace", env=env)
    except subprocess.TimeoutExpired:
        return None, "", ""
    return p.returncode, p.stdout, p.stderr


d = tempfile.mkdtemp(prefix="ckp_findings_")
try:
    minimal = os.path.join(SRC, "configs", "examples", "minimal.yaml")
    good = os.path.join(d, "good.h5")
    rc, _, err = run(["run", "-q", "-n", "50", "-o", good, minimal], ENV)
    check(rc == 0, f"making a good file: exit {rc}: {err}")
    findings = sorted(glob.glob(os.path.join(SRC, "tests", "fuzz", "findings", "*.h5")))
    check(len(findings) >= 2, f"{len(findings)} findings")
    for src in findings:
        name = os.path.basename(src)
        f = os.path.join(d, name)
        shutil.copyfile(src, f)
        env = dict(ENV)
        hang = "hang" in name
        if hang:
            env["CHOKEPOINT_READ_TIMEOUT"] = "3"
        out_html = os.path.join(d, "r.html")
        merged = os.path.join(d, "m.h5")
        target = os.path.join(d, "target.h5")
        commands = [
            ["summary", f], ["summary", f, "--details"], ["summary", f, "--format", "json"],
            ["replay", f, "--path", "0"], ["replay", f, "--path", "worst"],
            ["export", f, "paths"], ["export", f, "summary"], ["export", f, "months"],
            ["report", f, "-o", out_html],
            ["merge", f, good, "-o", merged], ["merge", good, f, "-o", merged],
        ]
        for cmd in commands:
            cases += 1
            what = f"{name}: {' '.join(os.path.basename(c) for c in cmd)}"
            rc, out, err = run(cmd, env)
            if rc is None:
                check(False, f"{what}: no answer within {TIMEOUT} s")
                continue
            check(0 <= rc < 128, f"{what}: died (exit {rc}): {err.strip()[-400:]}")
            check("Sanitizer" not in err and "runtime error" not in err,
                  f"{what}: a sanitizer's report: {err.strip()[-400:]}")
            check(rc == 2, f"{what}: exit {rc}, expected 2: {err.strip()[:300]}")
            lines = err.strip().splitlines()
            check(len(lines) == 1 and name in err,
                  f"{what}: not one line naming the file: {err[:400]!r}")
            if hang:
                check("did not finish" in err, f"{what}: not a hang's message: {err[:300]!r}")
            if "compact" in name:
                # without the probe's check libhdf5 reads past the block, and
                # a release build goes on with the garbage it read
                check("compact storage is shorter" in err,
                      f"{what}: not the compact dataset's message: {err[:300]!r}")
            check(not os.path.exists(out_html) and not os.path.exists(merged),
                  f"{what}: left a file at the target")
            check(not [n for n in os.listdir(d) if n.startswith(".")],
                  f"{what}: left {os.listdir(d)}")
        # resume's check of a finished target: the finding is not this run's, so the
        # run starts afresh and replaces it (--force)
        cases += 1
        shutil.copyfile(src, target)
        rc, out, err = run(["run", "-q", "-n", "50", "-o", target, "--resume", "--force",
                            minimal], env)
        check(rc == 0, f"{name}: run --resume --force onto it: exit {rc}: {err.strip()[-400:]}")
        rc2, _, err2 = run(["summary", target], ENV)
        check(rc2 == 0, f"{name}: the resumed run's file: exit {rc2}: {err2.strip()[:300]}")
        os.unlink(target)
finally:
    shutil.rmtree(d, ignore_errors=True)

print(f"{cases} runs, {failures} failure(s)")
sys.exit(1 if failures else 0)
