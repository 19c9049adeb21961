#!/usr/bin/python3
"""`chokepoint summary --format csv|json`: the policy table's numbers, exact.

On a real `run -n 300 -o` file: pandas.read_csv of `summary --format csv` and
json of `--format json` give, for every policy, the stored loss_total summary
(count, mean, sd, se, cvar95, cvar99), its stored quantiles (median, p95, p99)
and the stored comparison scalars (benefit_mean, benefit_se, p_positive, bcr),
bit for bit; the baseline's benefit cells and a cost-less policy's bcr are
empty (CSV) or null (JSON). `-o OUT` writes the same bytes as standard output,
refuses an existing OUT without --force (exit 1, OUT intact) and replaces it
with --force; an unknown format exits 2 with one line.

Usage: test_summary_format.py CHOKEPOINT_EXE
"""
import io
import json
import os
import subprocess
import sys
import shutil
import tempfile

import h5py
import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402  (tests/checks.py)
from checks import check  # noqa: E402

EXE = sys.argv[1]
COLS = ["policy", "is_baseline", "paths", "mean", "sd", "se", "median", "p95", "p99", "cvar95",
        "cvar99", "benefit_mean", "benefit_se", "p_positive", "bcr"]


def run(*args):
    p = subprocess.run([EXE, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def bits_equal(a, b):
    a, b = float(a), float(b)
    if np.isnan(a) or np.isnan(b):
        return bool(np.isnan(a) and np.isnan(b))
    return np.float64(a).view(np.uint64) == np.float64(b).view(np.uint64)


def stored_rows(path):
    """{policy: {column: value}} from the file, NaN where a cell is empty."""
    out = {}
    with h5py.File(path, "r") as f:
        names = [x.decode() for x in f["policy"][()]]
        for k, p in enumerate(names):
            g = f["policies/" + p]
            stat = [x.decode() for x in g["summary/stat"][()]]
            s = dict(zip(stat, g["summary/loss_total"][()]))
            q = dict(zip([float(x) for x in g["quantiles/quantile"][()]],
                         g["quantiles/loss_total"][()]))
            row = {"is_baseline": int(k == 0), "paths": s["count"], "mean": s["mean"],
                   "sd": s["sd"], "se": s["se"], "median": q[0.5], "p95": q[0.95],
                   "p99": q[0.99], "cvar95": s["cvar95"], "cvar99": s["cvar99"]}
            for c in ["benefit_mean", "benefit_se", "p_positive", "bcr"]:
                row[c] = g["comparison/" + c][()] if k > 0 else np.nan
            if k > 0 and not np.isfinite(row["bcr"]):
                row["bcr"] = np.nan
            out[p] = row
    return names, out


def compare(label, names, want, got_rows):
    check([r["policy"] for r in got_rows] == names, f"{label}: one row per policy in run order")
    bad = []
    for r in got_rows:
        for c in COLS[1:]:
            v = np.nan if r[c] is None else r[c]
            if not bits_equal(v, want[r["policy"]][c]):
                bad.append(f"{r['policy']}.{c}: {v!r} != {want[r['policy']][c]!r}")
    check(not bad, f"{label}: every value equals the stored one bit for bit " + "; ".join(bad[:4]))


def main():
    d = tempfile.mkdtemp(prefix="ckp-sumfmt-")
    h5 = os.path.join(d, "r.h5")
    rc, _, err = run("run", "-n", "300", "-q", "-o", h5)
    if not check(rc == 0, f"run -n 300 -o writes the file ({err.strip()})"):
        return 1
    names, want = stored_rows(h5)
    check(any(np.isnan(want[p]["bcr"]) for p in names[1:]),
          "the scenario has a policy without a cost (its bcr must be empty)")

    rc, out, err = run("summary", h5, "--format", "csv")
    check(rc == 0 and err == "", f"summary --format csv exits 0 quietly (rc {rc}, {err!r})")
    df = pd.read_csv(io.StringIO(out), float_precision="round_trip", keep_default_na=False,
                     na_values=[""])
    check(list(df.columns) == COLS, f"CSV columns {list(df.columns)}")
    check(df["benefit_mean"].isna().iloc[0] and df["bcr"].isna().iloc[0],
          "the baseline's benefit cells are empty")
    compare("csv", names, want, df.to_dict("records"))

    rc, js, _ = run("summary", h5, "--format=json")
    rows = json.loads(js) if rc == 0 else []
    check(rc == 0 and isinstance(rows, list) and all(list(r) == COLS for r in rows),
          "JSON: an array of objects with the CSV's keys in order")
    check(rows and rows[0]["benefit_mean"] is None, "JSON: null for the baseline's benefit")
    compare("json", names, want, rows)

    o = os.path.join(d, "t.csv")
    rc, _, err = run("summary", h5, "--format", "csv", "-o", o)
    check(rc == 0 and open(o).read() == out, "-o OUT holds what standard output got")
    open(o, "w").write("keep\n")
    rc, _, err = run("summary", h5, "--format", "csv", "-o", o)
    check(rc == 1 and "--force" in err and open(o).read() == "keep\n",
          f"an existing OUT is refused without --force and kept (rc {rc}, {err.strip()!r})")
    rc, _, _ = run("summary", h5, "--format", "csv", "-o", o, "--force")
    check(rc == 0 and open(o).read() == out, "--force replaces OUT")
    check(sorted(os.listdir(d)) == ["r.h5", "t.csv"], "no temporary file is left")

    rc, out, err = run("summary", h5, "--format", "xml")
    check(rc == 2 and out == "" and len(err.strip().splitlines()) == 1 and "xml" in err,
          f"an unknown format: exit 2, one line ({rc}, {err.strip()!r})")
    rc, out, _ = run("summary", h5)
    check(rc == 0 and "Total loss and benefit" in out, "the default is still the table")
    shutil.rmtree(d)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
