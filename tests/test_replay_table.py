#!/usr/bin/python3
"""`chokepoint replay` as a table for a person: header, legend, money units, --vs.

On a real `run -n 300 -o` file:
- the header names the path and policy and gives the total loss in the stated unit
  (equal to the stored loss_total to 2 decimals) and its rank, 1 + the number of paths
  that lose more (h5py), or "the largest of the 300 paths" for --path worst;
- `--path worst --policy detente` is detente's own worst path (argmax of its loss_total,
  not the baseline's) and says so;
- every column name of the month table is explained in the legend; the industry loss
  column, times the unit the legend names, adds up to loss_total (within the rounding of
  the printed 3 decimals);
- `--vs detente` shows, month by month, the shortfall, stock, price, inoperability and
  loss of both policies, equal to the two policies' own CSV replays (as printed); the
  header's difference is B's total minus A's;
- `--help` states that --path worst with --policy is that policy's own worst path; --vs
  with CSV, --vs naming the replayed policy and an unknown --vs exit 2, saying why first.

Usage: test_replay_table.py CHOKEPOINT_EXE
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402  (tests/checks.py)
from checks import check  # noqa: E402

EXE = sys.argv[1]
UNITS = {"": 1.0, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}


def run(*args):
    return subprocess.run([EXE, *args], capture_output=True, text=True)


def header_loss(line):
    m = re.match(r"total loss ([\d.]+) (\w+ )?USD over (\d+) months, (.*)$", line)
    return (float(m.group(1)) * UNITS[(m.group(2) or "").strip()], m.group(4)) if m else (None, "")


def csv_trace(f5, policy, path):
    r = run("replay", f5, "--path", str(path), "--policy", policy, "--format", "csv")
    out = {}
    for row in r.stdout.splitlines()[1:]:
        sec, mo, item, var, val = row.split(",")
        if sec in ("material", "industry"):
            out[(int(mo), item, var)] = float(val)
    return out


def main():
    d = tempfile.mkdtemp(prefix="ckp-replay-")
    try:
        f5 = os.path.join(d, "r.h5")
        r = run("run", "-n", "300", "-q", "-o", f5)
        if not check(r.returncode == 0, f"run -n 300 -o writes the file ({r.stderr.strip()})"):
            return 1
        h = h5py.File(f5, "r")
        lt = h["policies/baseline/loss_total"][()]
        ltd = h["policies/detente/loss_total"][()]
        mats = [m.decode() for m in h["material"][()]]
        inds = [m.decode() for m in h["industry"][()]]
        T = int(h.attrs["horizon_months"])

        r = run("replay", f5, "--path", "worst")
        lines = r.stdout.splitlines()
        worst = int(np.argmax(lt))
        v, rest = header_loss(lines[1])
        check(r.returncode == 0 and lines[0].startswith(f"{f5}: path {worst} ") and
              "policy 'baseline'" in lines[0], f"header names the path and policy: {lines[0]!r}")
        check(v is not None and abs(v - lt[worst]) <= 0.005 * v / float(lines[1].split()[2]) and
              rest == "the largest of the 300 paths",
              f"header: total loss in its unit and 'the largest' ({lines[1]!r})")
        legend = r.stdout.split("month 1 ")[0]
        cols = ["supply", "reroute", "release", "short", "stock_d", "price", "ramp",
                "block by supplier", "q0", "inop", "loss"]
        check(all(re.search(r"^  " + re.escape(c) + r"\s", legend, re.M) for c in cols),
              "the legend explains every column")
        m = re.search(r"loss\s+output lost this month, in (\w+) USD", legend)
        scale = UNITS[m.group(1)] if m else None
        total = 0.0
        for l in lines:
            p = l.split()
            if len(p) == 4 and p[0] in inds and re.fullmatch(r"-?[\d.]+", p[3]):
                total += float(p[3])
        check(scale and abs(total * scale - lt[worst]) <= 0.0005 * scale * T * len(inds),
              f"industry losses x the legend's unit add up to loss_total ({total} {m and m.group(1)})")

        N = int(np.argsort(lt)[len(lt) // 2])
        r = run("replay", f5, "--path", str(N))
        rank = 1 + int((lt > lt[N]).sum())
        check(f"rank {rank} of 300 paths by total loss" in r.stdout.splitlines()[1],
              f"path {N}: rank {rank} as h5py counts ({r.stdout.splitlines()[1]!r})")

        r = run("replay", f5, "--path", "worst", "--policy", "detente")
        wd = int(np.argmax(ltd))
        check(wd != worst and r.stdout.startswith(f"{f5}: path {wd} (--path worst: this policy's"),
              f"--policy detente --path worst is detente's own worst path {wd}, not {worst}")

        r = run("replay", f5, "--path", str(N), "--vs", "detente")
        a, b = csv_trace(f5, "baseline", N), csv_trace(f5, "detente", N)
        diff_line = next((l for l in r.stdout.splitlines() if l.startswith("A = ")), "")
        mm = re.search(r"B loses ([\d.]+) (\w+ )?USD (less|more) than A", diff_line)
        want = ltd[N] - lt[N]
        got = float(mm.group(1)) * UNITS[(mm.group(2) or "").strip()] * \
            (-1 if mm.group(3) == "less" else 1) if mm else None
        check(r.returncode == 0 and got is not None and abs(got - want) <= 0.006 * abs(got) / max(
            float(mm.group(1)), 1e-9), f"--vs: the header's difference is B - A ({diff_line!r})")
        m = re.search(r"loss\s+output lost this month, in (\w+) USD", r.stdout)
        sc = UNITS[m.group(1)]
        bad, seen, month = [], 0, 0
        for l in r.stdout.splitlines():
            if l.startswith("month "):
                month = int(l.split()[1])
            p = l.split()
            if len(p) == 7 and p[0] in mats:
                k = p[0]
                want_row = [f"{a[(month, k, 'shortfall')]:.4f}", f"{b[(month, k, 'shortfall')]:.4f}",
                            f"{a[(month, k, 'stock_days')]:.2f}", f"{b[(month, k, 'stock_days')]:.2f}",
                            f"{a[(month, k, 'price')]:.4f}", f"{b[(month, k, 'price')]:.4f}"]
                seen += 1
                if p[1:] != want_row:
                    bad.append((month, k))
            if len(p) == 5 and p[0] in inds:
                k = p[0]
                want_row = [f"{a[(month, k, 'inoperability')]:.4f}",
                            f"{b[(month, k, 'inoperability')]:.4f}",
                            f"{a[(month, k, 'loss')] / sc:.3f}", f"{b[(month, k, 'loss')] / sc:.3f}"]
                seen += 1
                if p[1:] != want_row:
                    bad.append((month, k))
        check(seen == T * (len(mats) + len(inds)) and not bad,
              f"--vs: both policies' columns equal their own replays ({seen} rows, {bad[:3]})")

        r = run("replay", "--help")
        check("P's own worst path" in r.stdout and "--vs NAME" in r.stdout,
              "--help explains --path worst with --policy and --vs")
        for args, what in ((["--vs", "detente", "--format", "csv"], "--vs with csv"),
                           (["--vs", "baseline"], "--vs the replayed policy"),
                           (["--vs", "nosuch"], "an unknown --vs")):
            r = run("replay", f5, "--path", "0", *args)
            first = (r.stderr.strip().splitlines() or [""])[0]
            check(r.returncode == 2 and first.startswith("chokepoint replay: ") and
                  r.stdout == "", f"{what}: exit 2, said first ({first!r})")
        h.close()
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
