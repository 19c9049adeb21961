#!/usr/bin/env python3
"""Interop test: chokepoint's summaries against numpy on random arrays.

Feeds arrays (fixed numpy seed) to tests/stats_driver and compares: quantiles,
VaR and min/max exactly (MODEL.md: numpy.quantile on the stored values gives
the same numbers), mean, sd, se, CVaR to 1e-12 relative (numpy sums pairwise,
chokepoint sequentially with compensation), exceedance probabilities exactly,
and the paired benefit figures. Exit 77 (skip) when numpy is missing.

Usage: test_stats_numpy.py PATH_TO_stats_driver
"""
import math
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402  (tests/checks.py)
from checks import check  # noqa: E402
checks.quiet = True  # only the FAIL lines

try:
    import numpy as np
except ImportError:
    print("numpy not available: skipping")
    sys.exit(77)

PROBS = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999]


def close(a, b, scale, rel=1e-12):
    if math.isnan(a) and math.isnan(b):
        return True
    return abs(a - b) <= rel * max(abs(b), scale)


def drive(driver, mode, values, anti=False):
    text = "\n".join(repr(float(x)) for x in values) + "\n"
    args = [driver, mode] + (["anti"] if anti else [])
    res = subprocess.run(args, input=text, capture_output=True, text=True)
    if res.returncode != 0:
        raise RuntimeError(f"driver {mode} failed: {res.stderr}")
    rows = {}
    for ln in res.stdout.splitlines():
        parts = ln.split()
        rows[parts[0]] = [float(v) for v in parts[1:]]
    return rows


def check_summary(driver, name, x, anti=False):
    r = drive(driver, "summary", x, anti)
    n = len(x)
    count, mean, sd, se, mn, mx = r["head"]
    scale = float(np.mean(np.abs(x)))
    check(count == n, f"{name}: count")
    check(close(mean, float(np.mean(x)), scale), f"{name}: mean {mean} vs {np.mean(x)}")
    want_sd = float(np.std(x, ddof=1)) if n > 1 else float("nan")
    check(close(sd, want_sd, scale), f"{name}: sd {sd} vs {want_sd}")
    if anti:
        pm = 0.5 * (x[0::2] + x[1::2])
        want_se = float(np.std(pm, ddof=1) / np.sqrt(len(pm))) if len(pm) > 1 else float("nan")
    else:
        want_se = want_sd / math.sqrt(n)
    check(close(se, want_se, scale), f"{name}: se {se} vs {want_se}")
    check(mn == float(np.min(x)) and mx == float(np.max(x)), f"{name}: min/max")
    want_q = np.quantile(x, PROBS)
    for p, got, want in zip(PROBS, r["q"], want_q):
        check(got == float(want), f"{name}: quantile {p}: {got!r} vs numpy {float(want)!r}")
    for k, a in enumerate([0.95, 0.99]):
        var = float(np.quantile(x, a))
        cvar = float(np.mean(x[x >= var]))
        check(r["risk"][2 * k] == var, f"{name}: VaR {a}")
        check(close(r["risk"][2 * k + 1], cvar, scale), f"{name}: CVaR {a} {r['risk'][2*k+1]} vs {cvar}")


def check_exceed(driver, name, x):
    r = drive(driver, "exceed", x)
    mx = float(np.max(x))
    # MODEL.md 6: levels from 0 to the maximum, the last one the maximum itself.
    levels = [k * mx / 100 for k in range(100)] + [mx]
    check(r["levels"] == levels, f"{name}: exceedance levels")
    prob = [float(np.count_nonzero(x > lv)) / len(x) for lv in levels]
    check(r["prob"] == prob, f"{name}: exceedance probabilities")


def check_benefit(driver, name, base, pol, anti=False):
    inter = np.empty(2 * len(base))
    inter[0::2] = base
    inter[1::2] = pol
    r = drive(driver, "benefit", inter, anti)
    b = base - pol
    n = len(b)
    mean, se, ppos, bcr = r["head"]
    scale = float(np.mean(np.abs(b)))
    check(close(mean, float(np.mean(b)), scale), f"{name}: benefit mean")
    if anti:
        pm = 0.5 * (b[0::2] + b[1::2])
        want_se = float(np.std(pm, ddof=1) / np.sqrt(len(pm)))
    else:
        want_se = float(np.std(b, ddof=1) / np.sqrt(n))
    check(close(se, want_se, scale), f"{name}: benefit se {se} vs {want_se}")
    check(ppos == float(np.count_nonzero(b > 0)) / n, f"{name}: P(benefit > 0)")
    check(close(bcr, float(np.mean(b)) / (1000.0 * 24 / 12), scale / 2000.0), f"{name}: BCR")
    for p, got, want in zip(PROBS, r["q"], np.quantile(b, PROBS)):
        check(got == float(want), f"{name}: benefit quantile {p}")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    driver = sys.argv[1]
    rng = np.random.Generator(np.random.PCG64(12345))
    arrays = {
        "n1": np.array([3.25]),
        "n2": np.array([1.0, -2.0]),
        "n3": rng.normal(size=3),
        "normal10": rng.normal(size=10),
        "normal101": rng.normal(5.0, 2.0, size=101),
        "lognormal1000": rng.lognormal(10.0, 2.0, size=1000),
        "ties": rng.integers(0, 5, size=777).astype(float),
        "zero_inflated": np.where(rng.random(5000) < 0.7, 0.0, rng.exponential(1e9, size=5000)),
        "big": rng.standard_t(3, size=100000) * 1e6 + 1e7,
    }
    for name, x in arrays.items():
        check_summary(driver, name, x)
        if len(x) % 2 == 0 and len(x) >= 4:
            check_summary(driver, name + "/anti", x, anti=True)
        if float(np.max(x)) > 0:
            check_exceed(driver, name, x)
    # Exceedance with values sitting exactly on the levels.
    mx = 7.3
    on_levels = np.array([k * mx / 100 for k in range(101)] * 3 + [0.0, mx])
    check_exceed(driver, "on_levels", on_levels)
    # Every path the same loss, a value where 100 * v / 100 rounds below v:
    # nothing exceeds the last level, whose probability must be 0 (not 1).
    same = 4233264490.30243
    assert 100 * same / 100 != same
    r = drive(driver, "exceed", np.full(1000, same))
    check(r["levels"][-1] == same and r["prob"][-1] == 0.0,
          f"all-equal: last level {r['levels'][-1]!r}, P(loss > it) = {r['prob'][-1]}")
    check(r["prob"][0] == 1.0 and r["prob"][99] == 1.0, "all-equal: every lower level exceeded")

    base = rng.lognormal(3.0, 1.0, size=2000)
    pol = base * rng.uniform(0.5, 1.1, size=2000)
    check_benefit(driver, "benefit", base, pol)
    check_benefit(driver, "benefit/anti", base, pol, anti=True)

    # NaN must be refused with an error, not summarised.
    res = subprocess.run([driver, "summary"], input="1\nnan\n3\n", capture_output=True, text=True)
    check(res.returncode == 2 and "NaN" in res.stderr, "NaN accepted: " + res.stderr)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
