#!/usr/bin/python3
"""Interop suite for the HDF5 results: a fresh run of the default scenario is
opened with xarray/h5netcdf, h5py, numpy and R's hdf5r, and the examples are run.

Checks:
- xarray.open_dataset(f, engine="h5netcdf", group="policies/baseline") gives
  labelled dimensions with the scenario's names as coordinates;
- numpy.quantile of the stored per-path values equals the stored quantiles,
  and numpy's mean/sd/min/max equal the stored summary (every metric, policy);
- the month histograms count every path and the exceedance curve matches the
  per-path loss_total;
- numpy's PCG64, set to the stored base state and increment and jumped(N),
  gives the first uniforms that `chokepoint replay --uniforms` prints for N;
- the replay CSV's metrics equal the stored record of path N bit for bit;
- examples/charts.py writes its five PNGs (creating the folder; --policy picks the policy);
  examples/charts.ipynb's code cells equal the script's, and the notebook runs in a Jupyter
  kernel (nbclient) with the file given by CKP_RESULTS;
- examples/charts.R runs and R's means equal the stored means.

Usage: test_output_interop.py CHOKEPOINT_EXE
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import xarray as xr

EXE = sys.argv[1]
ROOT = os.environ.get("CKP_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
failures = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", what)
    else:
        print("ok:", what)


def close(a, b, rtol=1e-12):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return np.allclose(a, b, rtol=rtol, atol=0, equal_nan=True)


tmp = tempfile.mkdtemp(prefix="ckp-interop-")
try:
    f5 = os.path.join(tmp, "results.h5")
    r = subprocess.run([EXE, "run", "-n", "1500", "-q", "-o", f5], capture_output=True, text=True)
    check(r.returncode == 0 and os.path.exists(f5), "run of the default scenario writes the file")
    if r.returncode != 0:
        print(r.stderr)
        sys.exit(1)

    # -- one line in a notebook: labelled dimensions --------------------------------
    ds = xr.open_dataset(f5, engine="h5netcdf", group="policies/baseline")
    h = h5py.File(f5, "r")
    mats = [m.decode() for m in h["material"][:]]
    inds = [m.decode() for m in h["industry"][:]]
    check(ds["loss_total"].dims == ("path",), "loss_total has dimension path")
    check(ds["loss"].dims == ("path", "industry"), "loss has dimensions (path, industry)")
    check(ds["regime_months"].dims == ("path", "supplier", "regime"), "regime_months dims")
    check(list(ds["material"].values) == mats and list(ds["industry"].values) == inds,
          "coordinates carry the scenario's names")
    check(list(ds["path"].values) == list(range(1500)), "path coordinate = global path index")
    check(str(ds["stockpile_min"].dtype) == "float64", "stock levels stay numbers in xarray")
    # CF (schema 2): label and index coordinates have no units, every other dataset has
    labels = {"supplier", "regime", "material", "industry", "policy", "stat", "path", "bin",
              "month", "tail"}
    check(all(("units" in ds[v].attrs) == (v not in labels) and "long_name" in ds[v].attrs
              for v in ds.variables),
          "every variable of the group has a long_name, and units unless it is a label/index")
    missing = []
    h.visititems(lambda n, o: missing.append(n) if isinstance(o, h5py.Dataset) and
                 (("units" in o.attrs) == (n.split("/")[-1] in labels) or
                  "long_name" not in o.attrs) else None)
    check(not missing, f"every dataset has long_name, and units unless a label {missing[:3]}")
    check(int(h.attrs["complete"]) == 1 and int(h.attrs["schema_version"]) == 2,
          "complete flag and schema version")
    month = xr.open_dataset(f5, engine="h5netcdf", group="policies/baseline/month")
    check(month["shortfall_band"].dims == ("month", "material", "quantile"), "band dims")

    # -- stored summaries against numpy ---------------------------------------------
    probs = h["quantile"][:]
    stat = [s.decode() for s in h["policies/baseline/summary/stat"][:]]
    policies = [p.decode() for p in h["policy"][:]]
    bad = []
    for p in policies:
        g = h["policies"][p]
        for name in g["summary"]:
            if name in g["summary"] and isinstance(g["summary"][name], h5py.Dataset) and \
                    name in g and g[name].ndim >= 1 and g[name].shape[0] == 1500:
                x = g[name][...].reshape(1500, -1)
                q = g["quantiles"][name][...].reshape(-1, len(probs))
                s = g["summary"][name][...].reshape(-1, len(stat))
                if name == "stockout_month":  # over the paths that ran dry (schema 2)
                    ok = all(np.array_equal(s[c, stat.index("count")], (x[:, c] != -1).sum())
                             for c in range(x.shape[1]))
                    if not ok:
                        bad.append(f"{p}/{name} count")
                    x = x[:, [c for c in range(x.shape[1]) if (x[:, c] != -1).sum() > 1]]
                    sel = [c for c in range(s.shape[0]) if s[c, 0] > 1]
                    s, q = s[sel], q[sel]
                    x = np.where(x == -1, np.nan, x)
                    nq = np.nanquantile(x, probs, axis=0).T
                    if not np.array_equal(nq, q):
                        bad.append(f"{p}/{name} quantiles")
                    if not close(np.nanmean(x, axis=0), s[:, stat.index("mean")]) or \
                            not close(np.nanstd(x, axis=0, ddof=1), s[:, stat.index("sd")]):
                        bad.append(f"{p}/{name} summary")
                    continue
                nq = np.quantile(x, probs, axis=0).T
                if not np.array_equal(nq, q):  # exact: the engine follows numpy's method
                    bad.append(f"{p}/{name} quantiles")
                if not close(x.mean(axis=0), s[:, stat.index("mean")]) or \
                        not close(x.std(axis=0, ddof=1), s[:, stat.index("sd")]) or \
                        not np.array_equal(x.min(axis=0), s[:, stat.index("min")]) or \
                        not np.array_equal(x.max(axis=0), s[:, stat.index("max")]):
                    bad.append(f"{p}/{name} summary")
    check(not bad, f"numpy.quantile/mean/sd/min/max equal the stored figures {bad[:4]}")

    lt = h["policies/baseline/loss_total"][:]
    lev = h["policies/baseline/exceedance/level"][:]
    pr = h["policies/baseline/exceedance/prob"][:]
    check(close(lev[-1], lt.max()) and np.array_equal(pr, [(lt > v).mean() for v in lev]),
          "exceedance curve = P(loss_total > level) on the stored paths")
    hist = h["policies/baseline/month/shortfall_hist"][...]
    check(np.all(hist.sum(axis=2) == 1500), "every month's histogram counts every path")
    for p in policies[1:]:
        c = h["policies"][p]["comparison"]
        ben = lt - h["policies"][p]["loss_total"][:]
        check(np.array_equal(c["benefit"][:], ben) and close(c["benefit_mean"][()], ben.mean())
              and close(c["p_positive"][()], (ben > 0).mean()),
              f"comparison of {p}: benefit, its mean and P(>0)")

    # -- numpy's PCG64 from the stored state, and replay --------------------------------
    N = int(np.argmax(lt))  # the worst path
    state = (int(h.attrs["state_hi"]) << 64) | int(h.attrs["state_lo"])
    inc = (int(h.attrs["inc_hi"]) << 64) | int(h.attrs["inc_lo"])
    bg = np.random.PCG64()
    st = bg.state
    st["state"] = {"state": state, "inc": inc}
    st["has_uint32"] = 0
    st["uinteger"] = 0
    bg.state = st
    raw = bg.jumped(N).random_raw(8)
    u_np = ((raw >> np.uint64(12)).astype(np.float64) + 0.5) * 2.0 ** -52
    r = subprocess.run([EXE, "replay", f5, "--path", str(N), "--format", "csv", "--uniforms",
                        "8"], capture_output=True, text=True)
    check(r.returncode == 0, f"replay of the worst path {N} succeeds ({r.stderr.strip()})")
    rows = [line.split(",") for line in r.stdout.splitlines()[1:]]
    u_c = [float(v[4]) for v in rows if v[0] == "uniform"]
    check(len(u_c) == 8 and np.array_equal(u_np, u_c),
          "numpy PCG64(stored state, inc).jumped(N) gives path N's uniforms")
    g = h["policies/baseline"]
    by = {}
    for v in rows:
        if v[0] == "metric":
            by.setdefault(v[3], []).append(float(v[4]))
    same = all(np.array_equal(np.array(by[m]), g[m][N].reshape(-1)) for m in by)
    check(len(by) == 12 and same, "replayed metrics of path N equal the stored record exactly")
    loss_months = sum(float(v[4]) for v in rows if v[0] == "industry" and v[3] == "loss")
    check(close(loss_months, lt[N], 1e-9), "monthly losses of the replay add up to loss_total")
    rw = subprocess.run([EXE, "replay", f5, "--path", "worst", "--format", "csv"],
                        capture_output=True, text=True)
    rn = subprocess.run([EXE, "replay", f5, "--path", str(N), "--format", "csv"],
                        capture_output=True, text=True)
    check(rw.returncode == 0 and rw.stdout == rn.stdout and rn.stdout.count("\n") > 100,
          f"replay --path worst is path {N}, numpy's argmax of loss_total")

    # -- the examples ------------------------------------------------------------------
    out = os.path.join(tmp, "py")
    os.mkdir(out)
    env = dict(os.environ, MPLBACKEND="Agg")
    r = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "charts.py"), f5, out],
                       capture_output=True, text=True, env=env)
    pngs = sorted(os.listdir(out))
    charts = ["benefit_cost_tail.png", "exceedance_loss.png", "fan_shortfall.png",
              "industry_loss.png", "policy_comparison.png"]
    check(r.returncode == 0 and pngs == charts,
          f"examples/charts.py draws the five charts ({r.stderr[-300:]})")
    check(f"worst path of baseline: {N};" in r.stdout, "the script finds the same worst path")
    r = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "charts.py"), f5,
                        os.path.join(out, "new", "folder"), "--policy", "detente"],
                       capture_output=True, text=True, env=env)
    Nd = int(np.argmax(h["policies/detente/loss_total"][:]))
    check(r.returncode == 0 and f"worst path of detente: {Nd};" in r.stdout and
          sorted(os.listdir(os.path.join(out, "new", "folder"))) == charts,
          "charts.py --policy detente: creates the output folder, detente's worst path")
    r = subprocess.run([sys.executable, os.path.join(ROOT, "examples", "charts.py"), f5, out,
                        "--policy", "nosuch"], capture_output=True, text=True, env=env)
    check(r.returncode != 0 and "no policy 'nosuch'" in r.stderr and "Traceback" not in r.stderr,
          "charts.py --policy nosuch: one clear line, no traceback")

    src = open(os.path.join(ROOT, "examples", "charts.py")).read()
    script_code = [c.partition("\n")[2].strip("\n") for c in re.split(r"^# %%", src, flags=re.M)[1:]
                   if not c.startswith(" [markdown]")]
    nb = json.load(open(os.path.join(ROOT, "examples", "charts.ipynb")))
    nb_code = ["".join(c["source"]).strip("\n") for c in nb["cells"] if c["cell_type"] == "code"]
    check(nb["nbformat"] == 4 and nb_code == script_code,
          "the notebook is nbformat 4 and its code cells equal the script's")
    params = [c for c in nb["cells"] if "parameters" in c.get("metadata", {}).get("tags", [])]
    check(len(params) == 1 and "CKP_RESULTS" in "".join(params[0]["source"]),
          "the notebook has one parameters cell, reading CKP_RESULTS")
    # Executed for real in a Jupyter kernel (nbclient + ipykernel), the file passed in the
    # environment: the notebook path, not the script's.
    out2 = os.path.join(tmp, "nb")
    prog = ("import nbformat, nbclient\n"
            "nb = nbformat.read(%r, as_version=4)\n"
            "nbclient.NotebookClient(nb, timeout=600, kernel_name='python3').execute()\n"
            "print(''.join(o.get('text', '') for c in nb.cells for o in c.get('outputs', [])))\n"
            % os.path.join(ROOT, "examples", "charts.ipynb"))
    nenv = dict(env, CKP_RESULTS=f5, CKP_OUTDIR=out2, CKP_POLICY="alliance",
                PYDEVD_DISABLE_FILE_VALIDATION="1")
    r = subprocess.run([sys.executable, "-Xfrozen_modules=off", "-c", prog], capture_output=True,
                       text=True, env=nenv)
    Na = int(np.argmax(h["policies/alliance/loss_total"][:]))
    check(r.returncode == 0 and os.path.isdir(out2) and sorted(os.listdir(out2)) == charts and
          f"worst path of alliance: {Na};" in r.stdout,
          f"the notebook runs in a Jupyter kernel with CKP_RESULTS/CKP_OUTDIR/CKP_POLICY "
          f"({r.stderr[-300:]})")

    rscript = shutil.which("Rscript")
    check(rscript is not None, "Rscript is installed")
    if rscript:
        out3 = os.path.join(tmp, "r")
        os.mkdir(out3)
        r = subprocess.run([rscript, os.path.join(ROOT, "examples", "charts.R"), f5, out3],
                           capture_output=True, text=True)
        check(r.returncode == 0 and sorted(os.listdir(out3)) ==
              ["benefit_cost_R.png", "exceedance_loss_R.png", "fan_shortfall_R.png",
               "industry_loss_R.png", "policy_comparison_R.png"] and
              r.stderr == "" and "null device" not in r.stdout,
              f"examples/charts.R draws the five charts, nothing on stderr ({r.stderr[-300:]})")
        means = [line.split() for line in r.stdout.splitlines() if line.startswith("mean ")]
        check(len(means) == len(policies) and
              all(close(float(a), float(b)) and m == p for (_, m, a, b), p in zip(means, policies)),
              "R's means of the per-path values equal the stored means")
        rm = {m: float(a) for _, m, a, _ in means}
        check(all(close(rm[p], h["policies"][p]["loss_total"][:].mean()) for p in rm),
              "R's means equal numpy's")
finally:
    shutil.rmtree(tmp, ignore_errors=True)

print(f"{failures} failure(s)")
sys.exit(1 if failures else 0)
