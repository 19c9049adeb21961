#!/usr/bin/python3
"""`run -o F --resume` when F is already this run's finished file and a
checkpoint was left beside it (a kill after publishing, before the checkpoint
was removed): the run is recognised as finished, the checkpoint removed, F
left as it is, exit 0. Made deterministic by saving the checkpoint of a
stopped run and putting it back after the resumed run has finished.

usage: test_resume_published.py CHOKEPOINT
"""
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402  (tests/checks.py)
from checks import check  # noqa: E402


def digest(p):
    return hashlib.sha256(open(p, "rb").read()).hexdigest()


def main():
    exe = sys.argv[1]
    d = tempfile.mkdtemp(prefix="ckp-published-")
    try:
        out = os.path.join(d, "out.h5")
        cmd = [exe, "run", "-n", "3000", "--batch", "100", "--checkpoint-every", "0", "-q",
               "-o", out]
        recs = os.path.join(d, ".out.h5.ckpt-records")
        p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        t0 = time.time()
        while p.poll() is None and time.time() - t0 < 60:
            if os.path.exists(os.path.join(d, ".out.h5.ckpt")) and os.path.getsize(recs) > 0:
                p.send_signal(signal.SIGTERM)
                break
            time.sleep(0.005)
        p.wait(timeout=60)
        check(p.returncode == 128 + signal.SIGTERM and not os.path.exists(out),
              f"the first run stopped on SIGTERM with nothing at the target ({p.returncode})")
        saved = os.path.join(d, "saved")
        os.mkdir(saved)
        for n in (".out.h5.ckpt", ".out.h5.ckpt-records"):
            shutil.copy(os.path.join(d, n), saved)
        r = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, timeout=120)
        check(r.returncode == 0 and os.path.exists(out), "the resumed run finished")
        done = digest(out)
        for n in (".out.h5.ckpt", ".out.h5.ckpt-records"):
            shutil.copy(os.path.join(saved, n), d)
        r = subprocess.run([a for a in cmd if a != "-q"] + ["--resume"], capture_output=True,
                           text=True, timeout=120)
        check(r.returncode == 0 and "already finished" in r.stderr,
              f"--resume beside the finished file: exit 0, says so ({r.returncode}: "
              f"{r.stderr.strip()})")
        check(digest(out) == done, "the finished file is left as it was")
        check(sorted(os.listdir(d)) == ["out.h5", "saved"], "the left-over checkpoint is removed")
        # Stopped after the checkpoint was removed too: --resume has nothing to do.
        r = subprocess.run([a for a in cmd if a != "-q"] + ["--resume"], capture_output=True,
                           text=True, timeout=120)
        check(r.returncode == 0 and "already finished" in r.stderr and digest(out) == done and
              sorted(os.listdir(d)) == ["out.h5", "saved"],
              f"--resume with no checkpoint beside the finished file: exit 0 ({r.stderr.strip()})")
        # Another run's file at the target is not mistaken for this one's.
        for n in (".out.h5.ckpt", ".out.h5.ckpt-records"):
            shutil.copy(os.path.join(saved, n), d)
        other = [exe, "run", "-n", "2000", "-q", "-o", out]
        r = subprocess.run(other + ["--force", "--no-checkpoint"], capture_output=True, text=True,
                           timeout=120)
        check(r.returncode == 0, f"another run writes the target ({r.stderr.strip()})")
        r = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, timeout=120)
        check(r.returncode != 0 and "already finished" not in r.stderr,
              "a different finished file at the target is not taken for this run's")
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
