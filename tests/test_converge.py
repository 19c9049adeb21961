#!/usr/bin/python3
"""The convergence stop of `chokepoint run --target-se/--target-rel-se` and the
tail standard errors (tail/) of the results file, on the default scenario.

- `--target-rel-se 0.01` stops at the same count, a check count (1024 x 2^k),
  and prints the same table for 1 and 2 threads and other batch sizes; the
  table equals the fixed-count run's (`-n COUNT`) but for the target line.
- With -o the file equals the fixed-count run's dataset by dataset (data,
  types, shapes, chunks and every attribute except created_utc, command_line
  and the target's own), and states the target, the count and met = 1.
- The count is the first check count at which every standard error (numpy,
  from the stored per-path losses) is below the target: below at the count,
  not below at half of it; the same for --target-on loss with --target-se.
- A target not met by -n says so (table and file, target_met = 0).
- A run killed with SIGKILL and resumed with --resume ends with the same
  file; a resume whose checkpoint went past this target's count is refused.
- Bad values and combinations are refused with exit status 2.
- tail/ holds VaR/CVaR and batch-means standard errors as documented in
  docs/analysis.md, recomputed here with numpy from the per-path data.

Usage: test_converge.py CHOKEPOINT_EXE
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402  (tests/checks.py)
from checks import check  # noqa: E402

EXE = sys.argv[1]
SKIP = {"created_utc", "command_line", "target_se", "target_rel_se", "target_on",
        "target_max_paths", "target_met", "target_worst"}
POL = ["-p", "detente", "-p", "domestic_mine"]


def run(*args):
    return subprocess.run([EXE, "run", *args], capture_output=True, text=True, timeout=300)


def value(v):
    v = np.asarray(v)
    if v.dtype.kind in "OV":
        return (v.dtype.kind, v.shape, [repr(x) for x in v.ravel()])
    return (v.dtype.str, v.shape, v.tobytes())


def differences(pa, pb):
    """Objects whose data, type, shape, chunks or attributes differ."""
    with h5py.File(pa, "r") as a, h5py.File(pb, "r") as b:
        oa, ob = {"/": a}, {"/": b}
        a.visititems(lambda n, o: oa.__setitem__(n, o))
        b.visititems(lambda n, o: ob.__setitem__(n, o))
        if set(oa) != set(ob):
            return sorted(set(oa) ^ set(ob))
        bad = []
        for n, x in oa.items():
            y = ob[n]
            ax = {k: value(v) for k, v in x.attrs.items() if k not in SKIP}
            ay = {k: value(v) for k, v in y.attrs.items() if k not in SKIP}
            if ax != ay or list(ax) != list(ay):
                bad.append(n + " (attributes)")
            if isinstance(x, h5py.Dataset) and (
                    x.dtype != y.dtype or x.shape != y.shape or x.chunks != y.chunks
                    or x.maxshape != y.maxshape or value(x[()]) != value(y[()])):
                bad.append(n)
        return bad


def reached(out):
    m = re.search(r"^Target .*: (met|NOT met) at (\d+) paths \(limit (\d+)\)", out, re.M)
    return (m.group(1) == "met", int(m.group(2)), int(m.group(3))) if m else (None, -1, -1)


def is_check(n, limit):
    return n == limit or (n >= 1024 and n % 1024 == 0 and (n // 1024) & (n // 1024 - 1) == 0)


def figures(f, n, on, rel):
    """The standard errors a target judges (numpy, first n paths)."""
    base = f["policies/baseline/loss_total"][:n]
    out = []
    if on in ("loss", "both"):
        se = base.std(ddof=1) / np.sqrt(n)
        out.append(se / abs(base.mean()) if rel else se)
    if on in ("benefit", "both"):
        for p in f["policies"]:
            if p == "baseline":
                continue
            b = base - f["policies"][p]["loss_total"][:n]
            se = b.std(ddof=1) / np.sqrt(n)
            out.append(se / abs(b.mean()) if rel else se)
    return out


def tail_numpy(x):
    """VaR/CVaR at 95 and 99 % and their batch-means se (docs/analysis.md)."""
    n = len(x)
    val, se = [], []
    for a, tail in ((0.95, n // 20), (0.99, n // 100)):
        nb = min(32, tail // 10)
        var = np.quantile(x, a)
        val += [var, x[x >= var].mean()]
        if nb < 8:
            se += [np.nan, np.nan]
            continue
        edges = [n * b // nb for b in range(nb + 1)]
        bv, bc = [], []
        for b in range(nb):
            y = x[edges[b]:edges[b + 1]]
            v = np.quantile(y, a)
            bv.append(v)
            bc.append(y[y >= v].mean())
        se += [np.std(bv, ddof=1) / np.sqrt(nb), np.std(bc, ddof=1) / np.sqrt(nb)]
    return np.array(val), np.array(se)


d = tempfile.mkdtemp(prefix="ckp-converge-")
try:
    # ---- the same count and table for any threads and batch size ----
    base = ["--target-rel-se", "0.01", "-n", "100000", *POL, "-q"]
    outs = []
    for extra in (["-j", "1"], ["-j", "2", "--batch", "1000"], ["-j", "2", "--batch", "3000"]):
        p = run(*base, *extra)
        check(p.returncode == 0, f"target run {' '.join(extra)} (exit {p.returncode} "
              f"{p.stderr.strip()[:200]})")
        outs.append(p.stdout)
    met, count, limit = reached(outs[0])
    check(met and limit == 100000 and is_check(count, limit) and count < limit,
          f"--target-rel-se 0.01 is met at a check count: {count} of {limit}")
    check(outs[1] == outs[0] and outs[2] == outs[0],
          "the same count and table for -j1, -j2 --batch 1000, -j2 --batch 3000")
    p = run("-n", str(count), *POL, "-q")
    body = [line for line in outs[0].splitlines() if not line.startswith("Target ")]
    check(p.returncode == 0 and p.stdout.splitlines() == body,
          f"the table equals the fixed run of -n {count}")

    # ---- the file equals the fixed-count run's ----
    tf, ff = os.path.join(d, "t.h5"), os.path.join(d, "f.h5")
    p = run(*base, "-j", "2", "--batch", "1000", "-o", tf)
    q = run("-n", str(count), *POL, "-q", "-j", "1", "-o", ff)
    check(p.returncode == 0 and q.returncode == 0 and p.stdout == outs[0],
          f"target and fixed runs with -o ({p.stderr.strip()[:100]} {q.stderr.strip()[:100]})")
    bad = differences(tf, ff)
    check(not bad, f"the stopped file equals the fixed run's dataset by dataset ({bad[:5]})")
    with h5py.File(tf, "r") as f:
        a = f.attrs
        check(a["paths"] == count and a["target_rel_se"] == 0.01 and np.isnan(a["target_se"])
              and a["target_on"] == "both" and a["target_max_paths"] == 100000
              and a["target_met"] == 1, "the file states the target, the count and met")
        now, half = figures(f, count, "both", True), figures(f, count // 2, "both", True)
        check(max(now) < 0.01 <= max(half) and abs(a["target_worst"] - max(now)) < 1e-9,
              f"first count below 1 %: {max(half):.5f} at {count // 2}, {max(now):.5f} at "
              f"{count} (stored {a['target_worst']:.5f})")
        sm = f["policies/baseline/summary/loss_total"][()]
        check(abs(sm[3] / abs(sm[1]) - figures(f, count, "loss", True)[0]) < 1e-12,
              "the stored summary's se is the one judged")
        # tail/: the documented definition, recomputed
        x = f["policies/baseline/loss_total"][()]
        b = x - f["policies/detente/loss_total"][()]
        for name, series, grp in (("loss", x, "baseline/tail/loss_total"),
                                  ("benefit", b, "detente/tail/benefit")):
            val, se = tail_numpy(series)
            sv, sse = f["policies/" + grp][()], f["policies/" + grp + "_se"][()]
            check(np.allclose(sv, val, rtol=1e-12) and np.allclose(sse, se, rtol=1e-9),
                  f"tail/ of the {name}: {sv} +/- {sse} as recomputed")
        nb = [min(32, count // 200)] * 2 + [min(32, count // 1000)] * 2
        check(list(f["policies/detente/tail/benefit_blocks"][()]) == nb
              and [s.decode() for s in f["policies/detente/tail/tail"][()]]
              == ["var95", "cvar95", "var99", "cvar99"], "tail/ blocks and labels")
    p = subprocess.run([EXE, "summary", tf, "--details"], capture_output=True, text=True)
    with h5py.File(tf, "r") as f:
        v, s = f["policies/detente/tail/benefit"][3], f["policies/detente/tail/benefit_se"][3]
    check(p.returncode == 0 and f"{v / 1e9:.2f} +/- {s / 1e9:.2f}" in p.stdout,
          "summary --details shows the benefit's CVaR99 with its se")
    q = run(*base, "--details")
    check(q.returncode == 0 and q.stdout.split("\n\n", 1)[1] in p.stdout,
          "run --details without -o shows the same tail view as the file")

    # ---- --target-on loss with an absolute target ----
    lf = os.path.join(d, "l.h5")
    p = run("--target-se", "1e9", "--target-on", "loss", "-n", "20000", *POL, "-q", "-o", lf)
    met, n, _ = reached(p.stdout)
    with h5py.File(lf, "r") as f:
        now, half = figures(f, n, "loss", False), figures(f, n // 2, "loss", False)
        check(met and f.attrs["target_on"] == "loss" and now[0] < 1e9 <= half[0],
              f"--target-on loss --target-se 1e9: met at {n} ({half[0]:.4g} at {n // 2}, "
              f"{now[0]:.4g} at {n})")

    # ---- not met ----
    nf = os.path.join(d, "n.h5")
    p = run("--target-se", "1", "-n", "3000", "-p", "detente", "-q", "-o", nf)
    met, n, limit = reached(p.stdout)
    with h5py.File(nf, "r") as f:
        check(p.returncode == 0 and met is False and n == 3000 and limit == 3000
              and f.attrs["target_met"] == 0 and f.attrs["paths"] == 3000,
              f"a target not met runs to -n and says so ({p.stdout.splitlines()[1]})")

    # ---- kill and resume ----
    rf = os.path.join(d, "r.h5")
    args = [*base, "--batch", "512", "--checkpoint-every", "0", "-o", rf]
    k = subprocess.Popen([EXE, "run", *args], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    t0 = time.time()
    while time.time() - t0 < 60 and k.poll() is None and \
            not os.path.exists(os.path.join(d, ".r.h5.ckpt")):
        time.sleep(0.01)
    time.sleep(1.0)
    killed = k.poll() is None
    if killed:
        k.send_signal(signal.SIGKILL)
    k.wait()
    p = run(*args, "--resume")
    check(p.returncode == 0 and p.stdout == outs[0],
          f"killed ({killed}) and resumed: the same table ({p.stderr.strip()[:160]})")
    bad = differences(rf, ff)
    check(not bad, f"killed and resumed: the file equals the fixed run's ({bad[:5]})")
    check(sorted(os.listdir(d)) == ["f.h5", "l.h5", "n.h5", "r.h5", "t.h5"],
          f"nothing left beside the files ({sorted(os.listdir(d))})")
    xf = os.path.join(d, "x.h5")
    args = ["-n", "100000", *POL, "--batch", "512", "--checkpoint-every", "0", "-o", xf]
    k = subprocess.Popen([EXE, "run", *args], stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True)
    # Stop it once its records file holds three times what it first held at
    # rest (a whole number of 512-path batches): past the first check count.
    recs, first, t0 = os.path.join(d, ".x.h5.ckpt-records"), 0, time.time()
    while k.poll() is None and time.time() - t0 < 600:
        size = os.path.getsize(recs) if os.path.exists(recs) else 0
        if not first and size > 0:
            time.sleep(0.05)
            first = size if os.path.getsize(recs) == size else 0
        if first and size >= 3 * first:
            break
        time.sleep(0.01)
    k.send_signal(signal.SIGINT)
    k.communicate(timeout=60)
    p = run(*args, "--resume", "--target-rel-se", "0.5")
    m = re.search(r"from its checkpoint: (\d+) of", p.stderr)
    done = int(m.group(1)) if m else -1
    check(done > 1024 and p.returncode == 2 and "this target is met at 1024" in p.stderr
          and not os.path.exists(xf),
          f"a resume past the target's count is refused ({done} done: "
          f"{p.stderr.strip()[-200:]})")

    # ---- bad values ----
    for args, msg in ((["--target-se", "0"], "positive number"),
                      (["--target-se", "-1"], "positive number"),
                      (["--target-rel-se", "abc"], "positive number"),
                      (["--target-rel-se", "nan"], "positive number"),
                      (["--target-se", "inf"], "positive number"),
                      (["--target-se", "1e9x"], "positive number"),
                      (["--target-se", "1", "--target-rel-se", "0.1"], "one of"),
                      (["--target-on", "loss"], "needs --target-se"),
                      (["--target-rel-se", "0.1", "--target-on", "mean"], "loss, benefit or"),
                      (["--target-rel-se", "0.1", "--target-on", "benefit", "-p", "baseline"],
                       "needs a policy")):
        p = run(*args, "-n", "100", "-q")
        check(p.returncode == 2 and msg in p.stderr and p.stdout == "",
              f"refused: {' '.join(args)} ({p.stderr.strip()[:120]})")
finally:
    shutil.rmtree(d, ignore_errors=True)

sys.exit(checks.finish())
