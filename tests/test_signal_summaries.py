#!/usr/bin/python3
"""A stop signal while `run -o` writes its final summaries (after the last
batch: every column read back, summarised and sorted) stops the run there:
exit 128 + the signal, nothing at the target and no temporary file, the
checkpoint kept (it holds every batch), and the same command with --resume
then publishes the file. Before the writer had a cancel hook the run went
on to publish and exited 0 (issue 12, item 6 of the robust brief).

The summaries' phase is found from the checkpoint, saved after every batch
but the last (--checkpoint-every 0): once it says all but the last batch are
done, the records file (which grows by the same bytes per path) reaching its
full length means the last batch is in, and the signal goes out.

usage: test_signal_summaries.py CHOKEPOINT
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402  (tests/checks.py)
from checks import check  # noqa: E402

PATHS, BATCH = 10000, 1000


def records_complete(ckpt, records):
    """The records file holds every path (the checkpoint has all but the last batch)."""
    try:
        with open(ckpt, "rb") as f:
            head = f.read(2000).decode("latin-1")
        fields = dict(line.split(" ", 1) for line in head.split("\n")[1:14] if " " in line)
        done, nbytes = int(fields["done"]), int(fields["records_bytes"])
        if done != PATHS - BATCH:
            return False
        return os.path.getsize(records) >= nbytes + nbytes // done * BATCH
    except (OSError, KeyError, ValueError, ZeroDivisionError):
        return False


def main():
    exe = sys.argv[1]
    for sig in (signal.SIGINT, signal.SIGTERM):
        with tempfile.TemporaryDirectory() as d:
            target = os.path.join(d, "out.h5")
            argv = [exe, "run", "-n", str(PATHS), "-q", "-o", target, "--checkpoint-every", "0",
                    "--batch", str(BATCH)]
            p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                 text=True)
            ckpt = os.path.join(d, ".out.h5.ckpt")
            records = os.path.join(d, ".out.h5.ckpt-records")
            while p.poll() is None and not records_complete(ckpt, records):
                time.sleep(0.005)
            in_summaries = p.poll() is None
            p.send_signal(sig)
            t0 = time.time()
            _, err = p.communicate(timeout=300)
            took = time.time() - t0
            check(in_summaries, f"{sig.name}: sent after the last batch, while finishing")
            check(p.returncode == 128 + sig, f"{sig.name}: exit {128 + sig} (got {p.returncode}, "
                  f"{err.strip()[:200]}), {took:.2f} s after the signal")
            check(not os.path.exists(target), f"{sig.name}: nothing at the target")
            left = sorted(os.listdir(d))
            check(left == [".out.h5.ckpt", ".out.h5.ckpt-records"],
                  f"{sig.name}: only the checkpoint beside it ({left})")
            check("--resume" in err, f"{sig.name}: the message says how to go on")
            r = subprocess.run(argv + ["--resume"], capture_output=True, text=True, timeout=600)
            check(r.returncode == 0 and os.path.exists(target) and
                  sorted(os.listdir(d)) == ["out.h5"],
                  f"{sig.name}: --resume publishes the file ({r.returncode}, {r.stderr.strip()})")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
