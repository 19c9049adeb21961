#!/usr/bin/python3
"""CF conventions of the results file (schema 2), read by xarray, the package and the CLI.

On real runs of the default scenario, one with `start: 2026-11` added (the months then cross
a year) and one without:
- the root says Conventions = CF-1.8 and schema_version = 2; label and index coordinates
  (supplier, regime, material, industry, policy, stat, path, bin, month) carry no units;
- plain xarray.open_dataset (h5netcdf) decodes stockout_month to NaN exactly where the
  stored value is -1 (never) and leaves every other value as stored; its stored summary and
  quantiles equal numpy's over the paths that ran dry; summary/stockout_probability equals
  the share of paths that ran dry, and `chokepoint summary` prints it (3 decimals);
- with `start`, xarray decodes the `time` coordinate of month/ to the first day of each
  month (pandas date_range, month start) and it is a coordinate of the month variables;
  chokepoint.open has it too; without `start` there is no `time` and no `coordinates`;
- a `start` that is not YYYY-MM (month 13, one digit, a sequence, year 0) is refused by
  `validate` with exit 2 and one line naming file:line:column and the key;
- a file marked schema_version 1 is still read by `chokepoint summary` and chokepoint.open
  (with -1 read as NaN), and a file marked 3 is refused by both.

Usage: test_cf.py CHOKEPOINT_EXE
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import pandas as pd
import xarray as xr

EXE = sys.argv[1]
ROOT = os.environ.get("CKP_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "python"))
import chokepoint  # noqa: E402

failures = 0
LABELS = {"supplier", "regime", "material", "industry", "policy", "stat", "path", "bin", "month"}


def check(cond, what):
    global failures
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures += 1


def run(*args):
    return subprocess.run([EXE, *args], capture_output=True, text=True)


def with_start(src, dst, value):
    text = open(src).read()
    text = re.sub(r"^(name: .*)$", r"\1\nstart: " + value, text, count=1, flags=re.M)
    open(dst, "w").write(text)


def check_file(f5, dated):
    tag = "dated" if dated else "undated"
    h = h5py.File(f5, "r")
    check(h.attrs["Conventions"] == "CF-1.8" and int(h.attrs["schema_version"]) == 2,
          f"{tag}: Conventions CF-1.8, schema_version 2")
    bad = []
    h.visititems(lambda n, o: bad.append(n) if isinstance(o, h5py.Dataset) and
                 n.split("/")[-1] in LABELS and "units" in o.attrs else None)
    check(not bad, f"{tag}: no units on label and index coordinates {bad[:3]}")

    ds = xr.open_dataset(f5, engine="h5netcdf", group="policies/baseline")
    raw = h["policies/baseline/stockout_month"][()]
    dec = ds["stockout_month"].values
    never = raw == -1
    check(never.any() and (~never).any(), f"{tag}: some paths run dry, some never")
    check(np.array_equal(np.isnan(dec), never) and np.array_equal(dec[~never], raw[~never]),
          f"{tag}: xarray decodes stockout_month's never (-1) as NaN, the rest as stored")
    check("units" not in ds["material"].attrs and ds["stockout_month"].attrs["units"] == "month",
          f"{tag}: xarray sees no units on material, month on stockout_month")

    stat = [s.decode() for s in h["policies/baseline/summary/stat"][()]]
    probs = h["quantile"][()]
    s = h["policies/baseline/summary/stockout_month"][()]
    q = h["policies/baseline/quantiles/stockout_month"][()]
    p = h["policies/baseline/summary/stockout_probability"][()]
    check(np.array_equal(p, (~never).mean(axis=0)),
          f"{tag}: stockout_probability = share of paths that ran dry {p}")
    ok = True
    for c in range(raw.shape[1]):
        x = raw[~never[:, c], c]
        ok &= s[c, stat.index("count")] == len(x)
        if len(x) > 1:
            ok &= bool(np.isclose(s[c, stat.index("mean")], x.mean(), rtol=1e-12, atol=0))
            ok &= bool(np.isclose(s[c, stat.index("sd")], x.std(ddof=1), rtol=1e-10, atol=0))
            ok &= s[c, stat.index("min")] == x.min() and s[c, stat.index("max")] == x.max()
            ok &= np.array_equal(q[c], np.quantile(x, probs))
    check(ok, f"{tag}: stockout_month summary and quantiles are over the paths that ran dry")

    r = run("summary", f5)
    mats = [m.decode() for m in h["material"][()]]
    after = r.stdout.split("runs dry", 1)[-1].splitlines()
    line = next((l for l in after if l.startswith("baseline ")), "")
    check(r.returncode == 0 and "runs dry" in r.stdout and
          line.split()[1:] == [f"{v:.3f}" for v in p],
          f"{tag}: summary prints the stockout probabilities ({line!r})")

    m = xr.open_dataset(f5, engine="h5netcdf", group="policies/baseline/month")
    T = int(h.attrs["horizon_months"])
    if dated:
        want = pd.date_range("2026-11-01", periods=T, freq="MS").values
        check("time" in m.coords and np.array_equal(m["time"].values, want),
              f"month/ time decodes to the first day of each month {m['time'].values[:3]}")
        check("time" in m["shortfall_mean"].coords, "time is a coordinate of shortfall_mean")
        ds2 = chokepoint.open(f5, paths=False)
        check(np.array_equal(ds2["time"].values, want) and ds2["time"].dims == ("month",),
              "chokepoint.open: time (month) holds the dates")
    else:
        coords = []
        h.visititems(lambda n, o: coords.append(n) if n.endswith("/time") or n == "time" or
                     "coordinates" in o.attrs else None)
        check(not coords, f"undated: no time coordinate, no coordinates attribute {coords[:3]}")
    h.close()


def main():
    tmp = tempfile.mkdtemp(prefix="ckp-cf-")
    try:
        src = os.path.join(ROOT, "configs", "korea-rare-earths.yaml")
        dated_yaml = os.path.join(tmp, "dated.yaml")
        with_start(src, dated_yaml, "2026-11")
        for name, args, dated in (("dated.h5", [dated_yaml], True), ("plain.h5", [], False)):
            f5 = os.path.join(tmp, name)
            r = run("run", *args, "-n", "300", "-q", "-o", f5)
            if r.returncode != 0:
                print("FAIL: run:", r.stderr)
                return 1
            check_file(f5, dated)

        for value in ("2026-13", "2026-1", "[2026, 1]", "0000-05"):
            bad = os.path.join(tmp, "bad.yaml")
            with_start(src, bad, value)
            r = run("validate", bad)
            lines = r.stderr.strip().splitlines()
            check(r.returncode == 2 and len(lines) == 1 and
                  re.search(r"bad\.yaml:\d+:\d+: start: expected a calendar month YYYY-MM",
                            lines[0]) is not None,
                  f"start: {value} refused at its line and column ({r.stderr.strip()!r})")

        plain = os.path.join(tmp, "plain.h5")
        for version, accepted in ((1, True), (3, False)):
            old = os.path.join(tmp, f"v{version}.h5")
            shutil.copy(plain, old)
            with h5py.File(old, "r+") as g:
                g.attrs["schema_version"] = np.int32(version)
                if version == 1:  # version 1 had no fill value attribute
                    g["policies/baseline/stockout_month"].attrs.pop("_FillValue", None)
            r = run("summary", old)
            try:
                ds = chokepoint.open(old)
                opened = bool(np.isnan(ds["stockout_month"].sel(policy="baseline")).any())
            except ValueError:
                opened = False
            check((r.returncode == 0) == accepted and opened == accepted,
                  f"schema_version {version}: {'read' if accepted else 'refused'} by summary "
                  f"and chokepoint.open (rc {r.returncode})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
