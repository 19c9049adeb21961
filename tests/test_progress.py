#!/usr/bin/python3
"""`run --progress`: batch-friendly progress on stderr, and -q.

With stderr a pipe (as on a batch system), `--progress=always`:
- writes whole lines only (no carriage return), each "chokepoint run: ...";
- the paths lines say "D/N paths (P%), R paths/s, T left" with D rising to N, P = D/N
  rounded, and the last one is N/N (100%);
- with -o the summaries phase follows with its own lines, from "computing the summaries:
  0% (policy 1 of K)" to "summaries of K policies written", percentages rising; without -o
  there is none;
- fewer lines than batches + 20 (every 10 % or 10 s, not every batch).
`--progress=never` leaves only the note "wrote FILE"; -q leaves stderr empty (even with
--progress=always) while the table still goes to stdout; a bad value exits 2 with one line.
With stderr a pseudo-terminal, `--progress=always` rewrites one live line (carriage
returns, no "chokepoint run:" lines) and clears it. Nothing here depends on timing.

Usage: test_progress.py CHOKEPOINT_EXE
"""
import os
import pty
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402  (tests/checks.py)
from checks import check  # noqa: E402

EXE = sys.argv[1]
PATHS = re.compile(r"^chokepoint run: (\d+)/(\d+) paths \((\d+)%\), (\d+) paths/s, "
                   r"(\?|\d+:\d\d(:\d\d)?) left$")
SUMM = re.compile(r"^chokepoint run: computing the summaries: (\d+)% \(policy (\d+) of (\d+)\), "
                  r"(\?|\d+:\d\d(:\d\d)?) left$")


def run(*args):
    return subprocess.run([EXE, "run", *args], capture_output=True, text=True)


def paths_lines(lines, n):
    got = [PATHS.match(l) for l in lines]
    got = [m for m in got if m]
    done = [int(m.group(1)) for m in got]
    ok = bool(got) and all(int(m.group(2)) == n for m in got) and done == sorted(done) and \
        done[-1] == n and int(got[-1].group(3)) == 100 and \
        all(int(m.group(3)) == round(100 * int(m.group(1)) / n) for m in got)
    return ok, len(got)


def main():
    d = tempfile.mkdtemp(prefix="ckp-progress-")
    try:
        f5 = os.path.join(d, "r.h5")
        n = 3000
        r = run("-n", str(n), "--batch", "100", "-o", f5, "--progress=always")
        lines = r.stderr.splitlines()
        check(r.returncode == 0 and "\r" not in r.stderr and
              all(l.startswith("chokepoint run: ") for l in lines),
              "pipe: whole lines only, each 'chokepoint run: ...'")
        ok, npaths = paths_lines(lines, n)
        check(ok, f"pipe: paths lines D/N (P%), rate, time left, rising to {n}/{n} (100%)")
        check(0 < npaths < 30 + 20, f"pipe: {npaths} paths lines for 30 batches (not one each)")
        summ = [SUMM.match(l) for l in lines]
        summ = [m for m in summ if m]
        pct = [int(m.group(1)) for m in summ]
        k = 6
        check(summ and pct[0] == 0 and summ[0].group(2) == "1" and
              all(m.group(3) == str(k) for m in summ) and pct == sorted(pct) and
              lines[-2] .startswith(f"chokepoint run: summaries of {k} policies written") and
              lines[-1] == f"chokepoint run: wrote {f5}",
              f"pipe: the summaries phase announced with its own progress ({len(summ)} lines)")
        check(next((i for i, l in enumerate(lines) if SUMM.match(l)), -1) > npaths - 1,
              "pipe: the summaries come after the paths")

        r = run("-n", "500", "--progress", "always")
        lines = r.stderr.splitlines()
        check(r.returncode == 0 and paths_lines(lines, 500)[0] and
              not any("summaries" in l for l in lines),
              "without -o: paths lines, no summaries phase")

        r = run("-n", "500", "-o", f5, "--force", "--progress=never")
        check(r.returncode == 0 and r.stderr == f"chokepoint run: wrote {f5}\n",
              f"never: only the note ({r.stderr!r})")
        r = run("-n", "500", "-o", f5, "--force", "-q", "--progress=always")
        check(r.returncode == 0 and r.stderr == "" and "Total loss" in r.stdout,
              f"-q: stderr empty even with always, the table on stdout ({r.stderr[:80]!r})")
        r = run("-n", "500", "--progress=sometimes")
        check(r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1 and
              "auto, always or never" in r.stderr, f"a bad value: exit 2, one line {r.stderr!r}")

        # a terminal: the live line
        master, slave = pty.openpty()
        p = subprocess.Popen([EXE, "run", "-n", "1000", "--batch", "100", "--progress=always"],
                             stdout=subprocess.DEVNULL, stderr=slave)
        os.close(slave)
        chunks = []
        while True:
            try:
                b = os.read(master, 4096)
            except OSError:
                break
            if not b:
                break
            chunks.append(b)
        p.wait()
        os.close(master)
        tty = b"".join(chunks).decode()
        check(p.returncode == 0 and "\r1000/1000 paths (100%)" in tty and
              "chokepoint run: 1000/" not in tty and tty.endswith("\r"),
              f"terminal: one live line, rewritten and cleared ({tty[-90:]!r})")
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
