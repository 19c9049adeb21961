#!/usr/bin/python3
"""A results file written by `run -o` has the mode of any new file: 0666
less the umask (issue 12, D13: it was 0644 whatever the umask).

usage: test_publish_mode.py CHOKEPOINT
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
        for mask, want in ((0o022, 0o644), (0o077, 0o600), (0o002, 0o664)):
            target = os.path.join(d, f"out-{mask:03o}.h5")
            r = subprocess.run([exe, "run", "-n", "20", "-q", "-o", target],
                               capture_output=True, text=True, timeout=120,
                               preexec_fn=lambda m=mask: os.umask(m))
            mode = stat.S_IMODE(os.stat(target).st_mode) if r.returncode == 0 else None
            check(mode == want, f"umask {mask:03o}: mode {oct(mode) if mode else r.stderr.strip()}"
                  f", expected {want:03o}")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
