#!/usr/bin/python3
"""Interop suite for the Python package python/chokepoint and its R twin examples/chokepoint.R,
on a fresh run of the default scenario with three policies (baseline + two -p).

Checks:
- chokepoint.open gives the documented dims and coordinates (policy first, baseline first);
- every variable equals the h5py read of its dataset in each policy group bit for bit, under
  the documented names (summary_*, quantiles_*, exceedance_*, month_*, benefit_*), the
  baseline's benefit_* are NaN, and nothing else is in the Dataset (CF-decoded: a dataset's
  _FillValue reads as NaN; decode=False gives the stored values);
- reading is lazy; paths=False leaves out the per-path variables; to_dataframe has a policy level;
  a --first-path run has the global path index as its path coordinate;
- policies() and info(); a non-HDF5 file, an HDF5 file that is not a result, an incomplete
  one, one with a newer schema_version and a missing file are refused, naming the file;
- pip installs the folder into a temporary target offline (skipped when pip is absent);
- R's chokepoint_open agrees with Python (loss_total means, stored scalars, one element).

Usage: test_python_pkg.py CHOKEPOINT_EXE
"""
import os
import shutil
import subprocess
import sys
import tempfile

import h5py
import numpy as np

EXE = sys.argv[1]
ROOT = os.environ.get("CKP_SOURCE_ROOT", os.path.join(os.path.dirname(__file__), ".."))
PYDIR = os.path.join(ROOT, "python")
os.environ["PYTHONPATH"] = PYDIR + os.pathsep + os.environ.get("PYTHONPATH", "")
sys.path.insert(0, PYDIR)
import chokepoint  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402  (tests/checks.py)
from checks import check  # noqa: E402


def same_bits(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind == "O" or b.dtype.kind == "O":
        return a.shape == b.shape and [str(x) for x in a.ravel()] == [str(x) for x in b.ravel()]
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def refused(path, words, **kw):
    try:
        chokepoint.open(path, **kw)
    except ValueError as e:
        msg = str(e)
        return path in msg and all(w in msg for w in words), msg
    except Exception as e:  # noqa: BLE001 (the wrong kind of error is a failure)
        return False, f"{type(e).__name__}: {e}"
    return False, "accepted"


def names_of(g):
    """The documented variable names of a policy group's datasets: {name: dataset path}."""
    out = {}
    for sub, prefix in [("", ""), ("summary", "summary_"), ("quantiles", "quantiles_"),
                        ("exceedance", "exceedance_"), ("month", "month_"),
                        ("comparison", "benefit_")]:
        if sub and sub not in g:
            continue
        grp = g[sub] if sub else g
        for n, o in grp.items():
            if not isinstance(o, h5py.Dataset):
                continue
            if o.attrs.get("CLASS") == b"DIMENSION_SCALE" and n != "level":
                continue
            v = n if not prefix or (prefix == "benefit_" and n.startswith("benefit")) \
                else prefix + n
            out[v] = o.name
    return out


tmp = tempfile.mkdtemp(prefix="ckp-pypkg-")
try:
    f5 = os.path.join(tmp, "results.h5")
    r = subprocess.run([EXE, "run", "-n", "200", "-q", "-p", "stockpile_100d", "-p", "detente",
                        "-o", f5], capture_output=True, text=True)
    check(r.returncode == 0 and os.path.exists(f5), "run -n 200 with two policies writes the file")
    if r.returncode != 0:
        print(r.stderr)
        sys.exit(1)
    h = h5py.File(f5, "r")
    pols = ["baseline", "stockpile_100d", "detente"]

    # -- dims and coordinates ----------------------------------------------------------
    ds = chokepoint.open(f5)
    check(list(ds["policy"].values) == pols, "policy coordinate: run order, baseline first")
    check(all(ds[v].dims[0] == "policy" for v in ds.data_vars), "policy is every variable's first dim")
    for c, src in (("supplier", "supplier"), ("material", "material"), ("industry", "industry"),
                   ("regime", "regime"), ("stat", "policies/baseline/summary/stat")):
        check(same_bits(ds[c].values, h[src].asstr()[:]), f"coordinate {c} = the file's names")
    check(same_bits(ds["quantile"].values, h["quantile"][:]), "coordinate quantile = the file's")
    check(same_bits(ds["month"].values, h["month"][:]), "coordinate month = 1..T")
    check(same_bits(ds["path"].values, h["policies/baseline/path"][:]) and ds.sizes["path"] == 200,
          "coordinate path = the global path index")
    expect = {"loss_total": ("policy", "path"), "loss": ("policy", "path", "industry"),
              "regime_months": ("policy", "path", "supplier", "regime"),
              "shortfall_peak": ("policy", "path", "material"),
              "summary_loss": ("policy", "industry", "stat"),
              "quantiles_loss_total": ("policy", "quantile"),
              "exceedance_level": ("policy", "level"), "exceedance_prob": ("policy", "level"),
              "month_shortfall_band": ("policy", "month", "material", "quantile"),
              "month_inoperability_hist": ("policy", "month", "industry", "bin"),
              "benefit": ("policy", "path"), "benefit_mean": ("policy",),
              "benefit_quantiles": ("policy", "quantile"), "benefit_bcr": ("policy",),
              "benefit_p_positive": ("policy",), "policy_annual_cost": ("policy",)}
    bad = [v for v, d in expect.items() if v not in ds or ds[v].dims != d]
    check(not bad, f"documented dims {bad}")
    check(ds.attrs["seed"] == h.attrs["seed"] and ds.attrs["scenario_source"] ==
          h.attrs["scenario_source"] and ds.attrs["complete"] == 1, "root attributes in ds.attrs")
    check(ds["loss"].attrs.get("units") == "USD" and "long_name" in ds["loss"].attrs and
          "DIMENSION_LIST" not in ds["loss"].attrs, "variables keep units and long_name")
    check(not ds["loss_total"].variable._in_memory and not ds["loss"].variable._in_memory,
          "per-path variables are not read by open")

    # -- values: bit for bit against h5py ------------------------------------------------
    seen, bad = set(), []
    for i, p in enumerate(pols):
        for v, src in names_of(h["policies"][p]).items():
            seen.add(v)
            want = h[src][()]
            if "_FillValue" in h[src].attrs:  # CF-decoded: the fill value reads as NaN
                want = np.where(want == h[src].attrs["_FillValue"], np.nan, want)
            if v not in ds or not same_bits(ds[v].isel(policy=i).values, want):
                bad.append(f"{p}:{v}")
        for k, a in h["policies"][p].attrs.items():
            v = k if k.startswith("policy_") else "policy_" + k
            seen.add(v)
            if v not in ds or str(ds[v].values[i]) != str(a.decode() if isinstance(a, bytes) else a):
                bad.append(f"{p}:{v}")
    check(not bad, f"every variable equals the h5py read of its dataset bit for bit {bad[:5]}")
    raw = chokepoint.open(f5, decode=False)
    check(same_bits(raw["stockout_month"].isel(policy=0).values,
                    h["policies/baseline/stockout_month"][()]) and
          bool((raw["stockout_month"] == -1).any()),
          "decode=False keeps stockout_month as stored (-1 for never)")
    check(set(ds.data_vars) == seen, f"nothing else in the Dataset {set(ds.data_vars) ^ seen}")
    ben = [v for v in ds.data_vars if v.startswith("benefit")]
    check(len(ben) == 6 and all(np.isnan(ds[v].sel(policy="baseline").values).all() for v in ben),
          f"the baseline's benefit variables are NaN {ben}")
    check(same_bits(ds["loss_total"].sel(policy="baseline").values,
                    h["policies/baseline/loss_total"][:]),
          'ds["loss_total"].sel(policy="baseline") = the baseline group\'s loss_total')
    check(same_bits(ds["benefit"].sel(policy="detente").values,
                    h["policies/detente/comparison/benefit"][:]) and
          ds["benefit_mean"].sel(policy="stockpile_100d").item() ==
          h["policies/stockpile_100d/comparison/benefit_mean"][()],
          "benefit variables = the comparison groups")
    sub = ds["loss"].isel(policy=slice(2, 0, -1), path=slice(5, 50, 7), industry=3).values
    ref = np.stack([h[f"policies/{p}/loss"][5:50:7, 3] for p in ("detente", "stockpile_100d")])
    check(same_bits(sub, ref), "lazy slicing (reversed policies, strided paths) reads the right values")
    check(same_bits(ds["loss_total"].mean("path").values,
                    np.array([h[f"policies/{p}/loss_total"][:].mean() for p in pols])),
          "loss_total means per policy = numpy's")

    # -- to_dataframe --------------------------------------------------------------------
    df = ds["loss"].to_dataframe()
    check(list(df.index.names) == ["policy", "path", "industry"] and len(df) == 3 * 200 * 10,
          "ds['loss'].to_dataframe(): index (policy, path, industry), every row")
    check(df.loc[("detente", 7, "defence"), "loss"] ==
          h["policies/detente/loss"][7, list(ds["industry"].values).index("defence")],
          "to_dataframe's rows are labelled right")
    df2 = ds[["loss_total", "benefit"]].to_dataframe()
    check(list(df2.index.names) == ["policy", "path"] and
          np.isnan(df2.loc["baseline", "benefit"]).all() and
          same_bits(df2.loc["detente", "loss_total"].values, h["policies/detente/loss_total"][:]),
          "ds[['loss_total', 'benefit']].to_dataframe() has a policy level")
    s = ds["benefit_mean"].to_series()
    check(list(s.index) == pols, "benefit_mean.to_series() is indexed by policy")

    small = chokepoint.open(f5, paths=False)
    check("path" not in small.dims and "loss_total" not in small and "benefit" not in small and
          "summary_loss_total" in small and "benefit_mean" in small,
          "paths=False: no per-path variables, the rest")
    part = os.path.join(tmp, "part.h5")
    r = subprocess.run([EXE, "run", "-n", "20", "--first-path", "100", "-q", "-p", "detente",
                        "-o", part], capture_output=True, text=True)
    pds = chokepoint.open(part) if r.returncode == 0 else None
    check(pds is not None and list(pds["path"].values) == list(range(100, 120)) and
          same_bits(pds["loss_total"].sel(policy="detente", path=105).values,
                    ds["loss_total"].sel(policy="detente", path=105).values),
          "a run of paths 100..119 (--first-path): the path coordinate is the global index")
    check(chokepoint.policies(f5) == pols, "policies()")
    inf = chokepoint.info(f5)
    check(inf["paths"] == 200 and inf["state_hi"] == int(h.attrs["state_hi"]) and
          isinstance(inf["scenario_name"], str), "info(): root attributes as Python values")

    # -- refused files -------------------------------------------------------------------
    txt = os.path.join(tmp, "notes.h5")
    with open(txt, "w") as fh:
        fh.write("not hdf5\n")
    ok, msg = refused(txt, ["not a chokepoint result"])
    check(ok, f"a file that is not HDF5 is refused ({msg})")
    other = os.path.join(tmp, "other.h5")
    with h5py.File(other, "w") as g:
        g["x"] = np.arange(3)
    ok, msg = refused(other, ["not a chokepoint result", "schema_version"])
    check(ok, f"an HDF5 file that is not a result is refused ({msg})")
    for attr, value, words, what in (("complete", 0, ["incomplete", "complete = 0"], "an incomplete"),
                                     ("schema_version", 3, ["schema_version 3", "newer"],
                                      "a newer-schema")):
        g5 = os.path.join(tmp, f"{attr}.h5")
        shutil.copy(f5, g5)
        with h5py.File(g5, "r+") as g:
            g.attrs[attr] = np.int32(value)
        ok, msg = refused(g5, words)
        check(ok, f"{what} file is refused ({msg})")
    check(chokepoint.info(os.path.join(tmp, "complete.h5"), check=False)["complete"] == 0,
          "info(check=False) shows an incomplete file")
    try:
        chokepoint.open(os.path.join(tmp, "absent.h5"))
        check(False, "a missing file is refused")
    except FileNotFoundError as e:
        check("absent.h5" in str(e), f"a missing file is refused ({e})")

    # -- pip install from the folder, offline ------------------------------------------------
    if subprocess.run([sys.executable, "-m", "pip", "--version"], capture_output=True).returncode:
        print("skip: pip is not available to", sys.executable, "- the pip install check is not run")
    else:
        src = os.path.join(tmp, "src")
        shutil.copytree(PYDIR, src, ignore=shutil.ignore_patterns("build", "*.egg-info",
                                                                  "__pycache__"))
        target = os.path.join(tmp, "target")
        env = dict(os.environ, PIP_NO_INDEX="1", PIP_DISABLE_PIP_VERSION_CHECK="1",
                   PYTHONPATH="")
        r = subprocess.run([sys.executable, "-m", "pip", "install", "--no-build-isolation",
                            "--no-deps", "--no-index", "--target", target, src],
                           capture_output=True, text=True, env=env)
        check(r.returncode == 0, f"pip install --target from the folder, offline ({r.stderr[-400:]})")
        env["PYTHONPATH"] = target
        r = subprocess.run([sys.executable, "-c", "import chokepoint, sys; "
                            "print(chokepoint.__file__); "
                            "print(chokepoint.open(sys.argv[1])['loss_total'].shape)", f5],
                           capture_output=True, text=True, env=env, cwd=tmp)
        check(r.returncode == 0 and r.stdout.startswith(target) and "(3, 200)" in r.stdout,
              f"the installed package imports from the target and opens the file ({r.stderr[-300:]})")

    # -- R -------------------------------------------------------------------------------
    rscript = shutil.which("Rscript")
    check(rscript is not None, "Rscript is installed")
    if rscript:
        prog = ('source(file.path(Sys.getenv("CKP_SOURCE_ROOT"), "examples", "chokepoint.R"))\n'
                'r <- chokepoint_open(commandArgs(trailingOnly = TRUE)[1])\n'
                'for (p in r$policies$policy) {\n'
                '  x <- r$loss_total; b <- r$benefit_mean\n'
                '  cat(sprintf("mean %s %.17g %.17g %d\\n", p, mean(x$loss_total[x$policy == p]),\n'
                '              b$benefit_mean[b$policy == p], nrow(x[x$policy == p, ])))\n'
                '}\n'
                'l <- r$loss\n'
                'cat(sprintf("elem %.17g\\n", l$loss[l$policy == "detente" & l$path == 7 &'
                ' l$industry == "defence"]))\n'
                'cat(sprintf("small %d\\n", is.null(chokepoint_open(commandArgs(TRUE)[1], '
                'paths = FALSE)$loss_total)))\n'
                'e <- tryCatch(chokepoint_open(commandArgs(TRUE)[2]), error = conditionMessage)\n'
                'cat("refused", e, "\\n")\n')
        r = subprocess.run([rscript, "-e", prog, f5,
                            os.path.join(tmp, "complete.h5")],
                           capture_output=True, text=True, env=dict(os.environ, CKP_SOURCE_ROOT=ROOT))
        check(r.returncode == 0, f"R: chokepoint_open runs ({r.stderr[-400:]})")
        means = [line.split() for line in r.stdout.splitlines() if line.startswith("mean ")]
        py = ds["loss_total"].mean("path").values
        check(len(means) == 3 and [m[1] for m in means] == pols and
              np.allclose([float(m[2]) for m in means], py, rtol=1e-12, atol=0) and
              all(m[4] == "200" for m in means),
              f"R's loss_total means per policy agree with Python's {means}")
        bm = [float(m[3]) if m[3] != "NA" else np.nan for m in means]
        check(same_bits(np.array(bm), ds["benefit_mean"].values),
              "R's benefit_mean = Python's (NA/NaN for the baseline)")
        elem = [line.split()[1] for line in r.stdout.splitlines() if line.startswith("elem ")]
        check(elem and float(elem[0]) == ds["loss"].sel(policy="detente", path=7,
                                                        industry="defence").item(),
              "R's long data.frame labels the dimensions as Python does")
        check("small 1" in r.stdout, "R: paths = FALSE leaves out the per-path variables")
        check("refused" in r.stdout and "incomplete" in r.stdout and "complete.h5" in r.stdout,
              "R refuses an incomplete file, naming it")
finally:
    shutil.rmtree(tmp, ignore_errors=True)

sys.exit(checks.finish())
