#!/usr/bin/python3
"""Signals sent to a real `chokepoint run -o` process.

SIGINT, SIGTERM and SIGHUP stop the run at the next batch boundary, within
a few seconds: exit 128 + the signal number, a message naming the signal and
the paths done, nothing at the target (or the earlier file there, intact)
and no temporary file beside it; only the checkpoint (.NAME.ckpt and
.NAME.ckpt-records), and the message says to add --resume. A second signal
stops at once, with the same guarantees. SIGXFSZ (a file-size limit) is an ordinary write error:
exit 1, nothing left. The moments are random, from a fixed seed.

Usage: test_signals.py CHOKEPOINT_EXE
"""
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402  (tests/checks.py)
from checks import check  # noqa: E402

EXE = sys.argv[1]
rnd = random.Random(20261201)
NAMES = {signal.SIGINT: "SIGINT", signal.SIGTERM: "SIGTERM", signal.SIGHUP: "SIGHUP"}


CKPT = {".out.h5.ckpt", ".out.h5.ckpt-records"}


def leftovers(d, keep=()):
    """What is beside the target besides the checkpoint, which is then removed."""
    names = sorted(n for n in os.listdir(d) if n not in keep and n not in CKPT)
    for n in CKPT & set(os.listdir(d)):
        os.unlink(os.path.join(d, n))
    return names


def has_checkpoint(d):
    return CKPT <= set(os.listdir(d))


def default_signals():
    """The child starts with the default dispositions whatever this test inherited (under
    nohup SIGHUP is ignored, and chokepoint rightly keeps an ignored signal ignored)."""
    for s in (signal.SIGHUP, signal.SIGINT, signal.SIGTERM):
        signal.signal(s, signal.SIG_DFL)


def start(args):
    return subprocess.Popen([EXE, "run", *args], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, preexec_fn=default_signals)


def wait_writing(d, p, timeout=60):
    """Until the temporary file exists: the handlers are in place by then."""
    t0 = time.time()
    while time.time() - t0 < timeout and p.poll() is None:
        if any(".tmp-" in n for n in os.listdir(d)):
            return True
        time.sleep(0.01)
    return False


def signalled(d, target, sig, delay, second=False, force=False, keep=()):
    args = ["-n", "40000", "--batch", "256", "-o", target] + (["--force"] if force else [])
    p = start(args)
    writing = wait_writing(d, p)
    time.sleep(delay)
    p.send_signal(sig)
    t0 = time.time()
    if second:
        time.sleep(0.02)
        p.send_signal(sig)
    try:
        _, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        _, err = p.communicate()
    took = time.time() - t0
    return writing, p.returncode, err, took


d = tempfile.mkdtemp(prefix="ckp-signals-")
try:
    target = os.path.join(d, "out.h5")
    for i in range(6):
        sig = list(NAMES)[i % 3]
        delay = rnd.uniform(0.0, 1.0)
        writing, rc, err, took = signalled(d, target, sig, delay)
        what = f"{NAMES[sig]} after {delay:.2f} s"
        check(writing, f"{what}: the run was writing")
        check(rc == 128 + sig, f"{what}: exit {128 + sig} (got {rc})")
        check(took < 10, f"{what}: stopped within {took:.2f} s")
        check(f"stopped by {NAMES[sig]} after" in err and "nothing was written to" in err and
              "--resume" in err, f"{what}: the message says what happened and how to go on "
              f"({err.strip()[:220]})")
        check(has_checkpoint(d), f"{what}: the checkpoint stays")
        check(not leftovers(d), f"{what}: nothing at the target, no temporary file "
              f"({leftovers(d)})")

    # A second signal: stops at once, leaves nothing.
    for sig in (signal.SIGINT, signal.SIGTERM):
        writing, rc, err, took = signalled(d, target, sig, rnd.uniform(0.0, 0.5), second=True)
        check(rc == 128 + sig and took < 5, f"second {NAMES[sig]}: exit {rc}, {took:.2f} s")
        check(not leftovers(d), f"second {NAMES[sig]}: nothing left ({leftovers(d)})")

    # An older target survives a signalled --force run.
    precious = b"an earlier results file\n"
    with open(target, "wb") as f:
        f.write(precious)
    for sig, second in ((signal.SIGTERM, False), (signal.SIGHUP, True)):
        writing, rc, err, took = signalled(d, target, sig, rnd.uniform(0.0, 0.8), force=True,
                                           second=second)
        with open(target, "rb") as f:
            intact = f.read() == precious
        check(rc == 128 + sig and intact and leftovers(d) == ["out.h5"],
              f"--force, {NAMES[sig]}{' twice' if second else ''}: the earlier file is intact, "
              f"nothing else ({rc}, {leftovers(d)})")
    os.unlink(target)

    # SIGXFSZ: a file-size limit; the signal is ignored, the write fails.
    def limit():
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))
    p = subprocess.run([EXE, "run", "-n", "3000", "-q", "-o", target], capture_output=True,
                       text=True, preexec_fn=limit)
    check(p.returncode == 1 and not leftovers(d),
          f"SIGXFSZ: exit 1, nothing left ({p.returncode}, {leftovers(d)}, "
          f"{p.stderr.strip()[:120]})")
finally:
    shutil.rmtree(d, ignore_errors=True)

sys.exit(checks.finish())
