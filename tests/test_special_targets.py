#!/usr/bin/python3
"""`run -o` onto a target that is not a regular file (a FIFO, a device) is
refused, with or without --force, and the special file is left as it was:
the result is published by renaming a temporary file onto the target, which
would otherwise replace the device or FIFO itself.

usage: test_special_targets.py CHOKEPOINT
"""
import os
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402  (tests/checks.py)
from checks import check  # noqa: E402


def main():
    exe = sys.argv[1]
    with tempfile.TemporaryDirectory() as d:
        fifo = os.path.join(d, "pipe.h5")
        os.mkfifo(fifo)
        for extra in ([], ["--force"]):
            r = subprocess.run([exe, "run", "-n", "20", "-q", "-o", fifo] + extra,
                               capture_output=True, text=True, timeout=60)
            check(r.returncode == 1 and "not a regular file" in r.stderr,
                  f"run -o FIFO {' '.join(extra)}: refused ({r.returncode}: {r.stderr.strip()})")
            check(stat.S_ISFIFO(os.stat(fifo).st_mode), "the FIFO is still a FIFO")
            check(sorted(os.listdir(d)) == ["pipe.h5"], "no temporary file left")
        # A character device: a node of its own (the null device's numbers) in
        # the temporary folder, never /dev/null itself, so that a regression
        # cannot replace a device the machine needs. Creating it needs root.
        dev = os.path.join(d, "null.h5")
        try:
            os.mknod(dev, stat.S_IFCHR | 0o666, os.makedev(1, 3))
        except PermissionError:
            print("skip: mknod needs root; the device case is not checked")
            dev = None
        if dev:
            r = subprocess.run([exe, "run", "-n", "20", "-q", "-o", dev, "--force"],
                               capture_output=True, text=True, timeout=60)
            check(r.returncode == 1 and "not a regular file" in r.stderr,
                  "run -o DEVICE --force: refused")
            check(stat.S_ISCHR(os.stat(dev).st_mode), "the device node is still a device")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
