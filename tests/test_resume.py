#!/usr/bin/python3
"""Checkpoint and resume of `chokepoint run -o`: a kill storm.

A run is killed at random moments (SIGTERM or SIGKILL, fixed seed), each
time followed by the same command with --resume, until it finishes (a
signal that lands after the file is published leaves the finished file,
which --resume then recognises); the
finished file must equal an uninterrupted run's dataset by dataset (data,
types, shapes and every attribute except created_utc and command_line;
object references compared by the name they point to), and nothing may be
left beside it. Rounds repeat until KILLS kills have been made; one round
uses --first-path. Also: --resume with another seed is refused naming the
seed, --resume without a checkpoint starts afresh and says so, and a run
without --resume refuses to overwrite a checkpoint, and a second run of the
same target is refused while the first holds the checkpoint's lock.

Usage: test_resume.py CHOKEPOINT_EXE [KILLS [FIRST_PATH_KILLS]]
"""
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import same_results  # noqa: E402  (tests/same_results.py)
import checks  # noqa: E402  (tests/checks.py)
from checks import check  # noqa: E402

EXE = sys.argv[1]
KILLS = int(sys.argv[2]) if len(sys.argv) > 2 else 3
FP_KILLS = int(sys.argv[3]) if len(sys.argv) > 3 else 2
SKIP = {"created_utc", "command_line"}
rnd = random.Random(12)


def differences(pa, pb):
    """What differs between two results files, but the attributes in SKIP (same_results.py)."""
    return same_results.differences(pa, pb, SKIP)


def beside(d):
    return sorted(os.listdir(d))


def temps(d):
    return {n for n in os.listdir(d) if ".tmp-" in n}


def storm(d, args, target, kills):
    """Kill `args` up to `kills` times, resuming after each, then finish.
    Returns the kills made."""
    made = 0
    resume = []
    while True:
        seen = temps(d)
        p = subprocess.Popen([EXE, "run", *args, "-o", target, *resume],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        resume = ["--resume"]
        if made < kills:
            # Wait for this process's own temporary file: its handlers are in place.
            t0 = time.time()
            while time.time() - t0 < 60 and p.poll() is None and not (temps(d) - seen):
                time.sleep(0.005)
            time.sleep(rnd.uniform(0.0, 0.6))
            sig = rnd.choice((signal.SIGTERM, signal.SIGKILL))
            if p.poll() is None:
                p.send_signal(sig)
                made += 1
                _, err = p.communicate(timeout=60)
                if p.returncode == 0:
                    continue  # finished before the signal took effect
                want = 128 + sig if sig == signal.SIGTERM else -sig
                if os.path.exists(target):
                    # The signal came after the file was published (the run then
                    # still closes, removes its checkpoint and prints its table):
                    # the next --resume must say so, finish, and leave only the file.
                    check(p.returncode in (want, 0),
                          f"kill {made} ({sig.name}) after publishing: exit {p.returncode}")
                    continue
                check(p.returncode == want,
                      f"kill {made} ({sig.name}): exit {p.returncode}, nothing at the target")
                if sig == signal.SIGTERM:
                    check("--resume" in err, f"kill {made}: the message says how to continue "
                          f"({err.strip()[-100:]})")
                continue
        _, err = p.communicate(timeout=120)
        check(p.returncode == 0, f"the run finishes (exit {p.returncode}: {err.strip()[-200:]})")
        return made


d = tempfile.mkdtemp(prefix="ckp-resume-")
try:
    # The short version (suite cli) runs smaller ranges.
    n = 4000 if KILLS > 5 else 800
    runs = [(["-n", str(n), "--batch", "128", "-q", "--checkpoint-every", "0"], KILLS),
            (["-n", str(n * 3 // 4), "--first-path", "1000", "--batch", "128", "-q",
              "--checkpoint-every", "0"], FP_KILLS)]
    for args, kills in runs:
        ref = os.path.join(d, "ref.h5")
        p = subprocess.run([EXE, "run", *args, "-o", ref], capture_output=True, text=True)
        check(p.returncode == 0 and beside(d) == ["ref.h5"],
              f"uninterrupted {' '.join(args[:4])}: nothing left beside it ({beside(d)})")
        made = 0
        rounds = 0
        while made < kills:
            target = os.path.join(d, "out.h5")
            made += storm(d, args, target, kills - made)
            rounds += 1
            bad = differences(ref, target)
            check(not bad, f"round {rounds} ({made} kills so far): the file equals the "
                  f"uninterrupted run ({bad[:5]})")
            check(beside(d) == ["out.h5", "ref.h5"], f"round {rounds}: nothing left beside "
                  f"the target ({beside(d)})")
            os.unlink(target)
        os.unlink(ref)

    # Refusals and notes.
    target = os.path.join(d, "out.h5")
    args = ["run", "-n", "20000", "--batch", "128", "-s", "7", "-o", target]
    small = os.path.join(d, "small.h5")
    p = subprocess.run([EXE, "run", "-n", "300", "-o", small, "--resume"], capture_output=True,
                       text=True)
    check(p.returncode == 0 and "no checkpoint" in p.stderr and "starting afresh" in p.stderr
          and beside(d) == ["small.h5"],
          f"--resume without a checkpoint starts afresh and says so ({p.stderr.strip()[:120]})")
    os.unlink(small)
    p = subprocess.Popen([EXE, *args], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    while p.poll() is None and not temps(d):
        time.sleep(0.01)
    q = subprocess.run([EXE, *args, "--resume"], capture_output=True, text=True)
    check(q.returncode == 1 and "another run" in q.stderr and p.poll() is None,
          f"a second run of the same target is refused while the first runs "
          f"({q.stderr.strip()[:160]})")
    time.sleep(0.3)
    p.send_signal(signal.SIGINT)
    p.communicate(timeout=60)
    check(p.returncode == 130 and ".out.h5.ckpt" in beside(d), "SIGINT keeps the checkpoint")
    q = subprocess.run([EXE, *args[:-2], "-s", "8", "-o", target, "--resume"],
                       capture_output=True, text=True)
    check(q.returncode == 2 and "seed differs: checkpoint 7, this run 8" in q.stderr,
          f"--resume with another seed refused naming it ({q.stderr.strip()[:200]})")
    q = subprocess.run([EXE, *args[:-2], "-n", "30000", "-o", target, "--resume"],
                       capture_output=True, text=True)
    check(q.returncode == 2 and "paths differs: checkpoint 20000, this run 30000" in q.stderr,
          f"--resume with another range refused naming it ({q.stderr.strip()[:200]})")
    q = subprocess.run([EXE, *args], capture_output=True, text=True)
    check(q.returncode == 1 and "--resume" in q.stderr and ".out.h5.ckpt" in beside(d),
          f"a run without --resume leaves the checkpoint alone ({q.stderr.strip()[:160]})")
finally:
    shutil.rmtree(d, ignore_errors=True)

sys.exit(checks.finish())
