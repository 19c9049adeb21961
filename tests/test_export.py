#!/usr/bin/python3
"""`chokepoint export`: every export reads back to the stored values bit for bit.

On a real `run -n 300 -o` file: pandas.read_csv of each CSV export (paths of
one policy and of all, summary, months, benefit) and json of each JSON export
equal the datasets read with h5py, bit for bit (NaN where the stored value is
not finite, as documented). `-o` refuses an existing file without --force and
leaves it intact, replaces it with --force, and leaves no temporary file. Bad
inputs exit 2 with one line. The paths export of a 10^5-path file streams: its
peak RSS (/usr/bin/time -f %M) stays below the RSS of the same export of
the 300-path file plus half the size of the policy's per-path datasets, which
a whole-column read would exceed.

Usage: test_export.py CHOKEPOINT_EXE
"""
import io
import json
import os
import shutil
import stat as statmod
import subprocess
import sys
import tempfile

import h5py
import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402  (tests/checks.py)
from checks import check  # noqa: E402

EXE = sys.argv[1]


def run(*args):
    p = subprocess.run([EXE, *args], capture_output=True, text=True)
    return p.returncode, p.stdout, p.stderr


def same(got, stored):
    """Bit-for-bit equality, with NaN where the stored value is not finite."""
    got = np.asarray(got, dtype=np.float64).ravel()
    want = np.asarray(stored, dtype=np.float64).ravel().copy()
    want[~np.isfinite(want)] = np.nan
    if got.shape != want.shape:
        return False
    gn, wn = np.isnan(got), np.isnan(want)
    return bool(np.array_equal(gn, wn) and
                np.array_equal(got[~gn].view(np.uint64), want[~wn].view(np.uint64)))


def jnum(v):
    return np.nan if v is None else float(v)


def csv(text):
    return pd.read_csv(io.StringIO(text), float_precision="round_trip", keep_default_na=False,
                       na_values=[""])


def labels(f, name):
    return [x.decode() if isinstance(x, bytes) else str(x) for x in f[name][()]]


METRICS = ["loss_total", "loss", "inoperability_peak", "shortfall_peak", "shortfall_mean",
           "shortfall_months", "stockpile_min", "stockout_month", "price_peak", "price_mean",
           "extra_cost", "regime_months"]


def cells(f):
    """(metric, label or None) in the order of the paths columns."""
    ind, mat = labels(f, "industry"), labels(f, "material")
    sup, reg = labels(f, "supplier"), labels(f, "regime")
    out = []
    for m in METRICS:
        ds = f["policies/baseline/" + m]
        if ds.ndim == 1:
            out.append((m, None))
        elif ds.ndim == 3:
            out += [(m, s + "/" + r) for s in sup for r in reg]
        else:
            out += [(m, x) for x in (ind if m in ("loss", "inoperability_peak") else mat)]
    return out


def colname(m, lab):
    return m if lab is None else "%s[%s]" % (m, lab)


def stored_matrix(f, pol):
    """The per-path values of policy pol as one (paths, cells) array."""
    cols = []
    for m in METRICS:
        a = f["policies/%s/%s" % (pol, m)][()]
        cols.append(a.reshape(a.shape[0], -1))
    return np.concatenate(cols, axis=1)


def peak_rss(args, tdir):
    """Run args under /usr/bin/time; return (exit status, peak RSS in KiB, lines written).
    (os.wait4 of a child of this process would count the Python image it was
    forked from, so GNU time, a small parent, measures it.)"""
    rss_file = os.path.join(tdir, "rss.txt")
    p = subprocess.Popen(["/usr/bin/time", "-f", "%M", "-o", rss_file, *args],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    lines = 0
    while True:
        b = p.stdout.read(1 << 20)
        if not b:
            break
        lines += b.count(b"\n")
    p.stdout.close()
    rc = p.wait()
    with open(rss_file) as fh:
        return rc, int(fh.read().split()[-1]), lines


d = tempfile.mkdtemp(prefix="ckp-export-")
try:
    res = os.path.join(d, "r.h5")
    rc, _, err = run("run", "-n", "300", "-q", "-o", res)
    check(rc == 0, "run -n 300 -o writes a results file " + err.strip())
    f = h5py.File(res, "r")
    pols = labels(f, "policy")
    cl = cells(f)
    names = [colname(m, x) for m, x in cl]

    # paths, one policy, CSV
    for pol in ("baseline", pols[-1]):
        args = ["export", res, "paths"] + ([] if pol == "baseline" else ["--policy", pol])
        rc, out, err = run(*args)
        t = csv(out)
        check(rc == 0 and list(t.columns) == ["path"] + names,
              "paths %s: columns path, then NAME[label] in file order" % pol)
        check(np.array_equal(t["path"].to_numpy(), f["policies/%s/path" % pol][()]),
              "paths %s: the path column is the global path index" % pol)
        check(same(t[names].to_numpy(dtype=np.float64), stored_matrix(f, pol)),
              "paths %s CSV equals the stored values bit for bit" % pol)

    # paths --policy all, JSON Lines
    rc, out, err = run("export", res, "paths", "--policy", "all", "--format", "json")
    rows = [json.loads(line) for line in out.splitlines()]
    check(rc == 0 and len(rows) == 300 * len(pols), "paths --policy all JSON: one line per row")
    check(all(list(r.keys()) == ["policy", "path"] + names for r in rows),
          "paths JSON: keys policy, path, then the cells")
    ok = True
    for k, pol in enumerate(pols):
        part = rows[300 * k: 300 * (k + 1)]
        ok = ok and all(r["policy"] == pol for r in part)
        ok = ok and same([[jnum(r[n]) for n in names] for r in part], stored_matrix(f, pol))
    check(ok, "paths --policy all JSON equals the stored values bit for bit")

    # summary
    stat = labels(f, "policies/baseline/summary/stat")
    qs = ["q" + repr(float(q)) for q in f["quantile"][()]]
    rc, out, err = run("export", res, "summary")
    t = csv(out)
    check(rc == 0 and list(t.columns) == ["policy", "metric", "label"] + stat + qs,
          "summary: columns policy, metric, label, stats, quantiles")
    rc, jout, err = run("export", res, "summary", "-f", "json")
    j = json.loads(jout)
    want_s, want_q, want_key = [], [], []
    for pol in pols:
        for m in METRICS:
            s = f["policies/%s/summary/%s" % (pol, m)][()].reshape(-1, len(stat))
            q = f["policies/%s/quantiles/%s" % (pol, m)][()].reshape(-1, len(qs))
            want_s.append(s)
            want_q.append(q)
            want_key += [(pol, m, x or "") for mm, x in cl if mm == m]
    want_s, want_q = np.concatenate(want_s), np.concatenate(want_q)
    check(list(zip(t["policy"], t["metric"], t["label"].fillna(""))) == want_key,
          "summary: one row per policy and metric cell")
    check(same(t[stat].to_numpy(dtype=np.float64), want_s) and
          same(t[qs].to_numpy(dtype=np.float64), want_q),
          "summary CSV equals the stored statistics and quantiles bit for bit")
    check(len(j) == len(want_key) and
          same([[jnum(r[c]) for c in stat] for r in j], want_s) and
          same([[jnum(r[c]) for c in qs] for r in j], want_q),
          "summary JSON (an array of objects) agrees bit for bit")

    # months
    ind, mat = labels(f, "industry"), labels(f, "material")
    obs = [("shortfall", mat), ("inoperability", ind), ("price", mat), ("stock_days", mat)]
    months = f["month"][()]
    for pol in ("baseline", pols[1]):
        extra = [] if pol == "baseline" else ["-p", pol]
        rc, out, err = run("export", res, "months", *extra)
        t = csv(out)
        rc2, jout, _ = run("export", res, "months", "-f", "json", *extra)
        j = json.loads(jout)
        key, mean, band = [], [], []
        for o, lab in obs:
            mv = f["policies/%s/month/%s_mean" % (pol, o)][()]
            bv = f["policies/%s/month/%s_band" % (pol, o)][()]
            for e, x in enumerate(lab):
                key += [(pol, o, x, int(mo)) for mo in months]
                mean.append(mv[:, e])
                band.append(bv[:, e, :])
        mean, band = np.concatenate(mean), np.concatenate(band)
        check(rc == 0 and list(t.columns) == ["policy", "observable", "label", "month", "mean"]
              + qs and list(zip(t["policy"], t["observable"], t["label"], t["month"])) == key,
              "months %s: long format, one row per observable, element and month" % pol)
        check(same(t["mean"], mean) and same(t[qs].to_numpy(dtype=np.float64), band),
              "months %s CSV equals the stored means and bands bit for bit" % pol)
        check(rc2 == 0 and len(j) == len(key) and same([jnum(r["mean"]) for r in j], mean) and
              same([[jnum(r[c]) for c in qs] for r in j], band),
              "months %s JSON agrees bit for bit" % pol)

    # benefit
    rc, out, err = run("export", res, "benefit")
    t = csv(out)
    rc2, jout, _ = run("export", res, "benefit", "--format", "json")
    j = json.loads(jout)
    sc = ["benefit_mean", "benefit_se", "p_positive", "bcr"]
    want = np.array([[f["policies/%s/comparison/%s" % (p, s)][()] for s in sc] for p in pols[1:]])
    wq = np.array([f["policies/%s/comparison/benefit_quantiles" % p][()] for p in pols[1:]])
    tl = ["var95", "var95_se", "cvar95", "cvar95_se", "var99", "var99_se", "cvar99", "cvar99_se"]
    wt = np.array([np.ravel(np.column_stack([f["policies/%s/tail/benefit" % p][()],
                                             f["policies/%s/tail/benefit_se" % p][()]]))
                   for p in pols[1:]])
    check(rc == 0 and list(t.columns) == ["policy"] + sc + qs + tl
          and list(t["policy"]) == pols[1:], "benefit: one row per policy but the baseline")
    check(same(t[tl].to_numpy(dtype=np.float64), wt),
          "benefit CSV: the tail figures and their se (tail/) bit for bit")
    check(same(t[sc].to_numpy(dtype=np.float64), want) and
          same(t[qs].to_numpy(dtype=np.float64), wq),
          "benefit CSV equals the stored figures bit for bit (bcr NaN -> empty)")
    check(rc2 == 0 and [r["policy"] for r in j] == pols[1:] and
          same([[jnum(r[c]) for c in sc] for r in j], want) and
          same([[jnum(r[c]) for c in qs] for r in j], wq),
          "benefit JSON agrees bit for bit (NaN -> null)")
    nan_bcr = [r for r in j if r["bcr"] is None]
    check(len(nan_bcr) == int(np.isnan(want[:, 3]).sum()), "a NaN bcr is JSON null")
    f.close()

    # -o: safe writing
    outp = os.path.join(d, "b.csv")
    rc, _, err = run("export", res, "benefit", "-o", outp)
    with open(outp) as fh:
        check(rc == 0 and fh.read() == out, "-o OUT writes what stdout gets")
    precious = "an earlier file\n"
    with open(outp, "w") as fh:
        fh.write(precious)
    rc, so, err = run("export", res, "summary", "-o", outp)
    with open(outp) as fh:
        check(rc == 1 and "--force" in err and fh.read() == precious and so == "",
              "-o refuses an existing file without --force and leaves it intact")
    rc, _, err = run("export", res, "benefit", "-o", outp, "--force")
    with open(outp) as fh:
        check(rc == 0 and fh.read() == out, "--force replaces it")
    rc, so, _ = run("export", res, "benefit", "-o", "-")
    check(rc == 0 and so == out, "-o - is standard output")
    fifo = os.path.join(d, "fifo")
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", fifo], stdout=subprocess.PIPE, text=True)
    rc, _, err = run("export", res, "benefit", "-o", fifo, "--force")
    got = reader.communicate()[0]
    check(rc == 0 and got == out and statmod.S_ISFIFO(os.stat(fifo).st_mode),
          "--force onto a FIFO (or device) writes into it and never replaces the node")
    os.unlink(fifo)
    check(not [n for n in os.listdir(d) if ".tmp-" in n], "no temporary file left behind")

    # bad inputs: exit 2, one line
    text = os.path.join(d, "not.h5")
    with open(text, "w") as fh:
        fh.write("not a results file\n")
    for args, what in [((os.path.join(d, "missing.h5"), "paths"), "a missing file"),
                       ((text, "paths"), "a file that is not a results file"),
                       ((res, "everything"), "an unknown WHAT"),
                       ((res, "paths", "--policy", "nosuch"), "an unknown policy"),
                       ((res, "summary", "--format", "xml"), "an unknown format"),
                       ((res, "benefit", "--policy", "baseline"), "benefit of the baseline"),
                       ((res,), "no WHAT"),
                       ((res, "paths", "--bogus"), "an unknown option")]:
        rc, so, err = run("export", *args)
        check(rc == 2 and len(err.strip().splitlines()) == 1 and so == "",
              "%s: exit 2 with one line (%s)" % (what, err.strip()))

    # Streaming: bounded memory for 10^5 paths. Not in a sanitizer build: its
    # allocator keeps freed memory in quarantine, so the peak RSS says nothing
    # about what the export holds.
    if "--sanitized" in sys.argv[2:]:
        print("skip: sanitizer build; the peak RSS is the allocator's, not the export's")
    elif not os.access("/usr/bin/time", os.X_OK):
        print("skip: no /usr/bin/time to measure the peak RSS")
    else:
        big = os.path.join(d, "big.h5")
        n = 100000
        rc, _, err = run("run", "-n", str(n), "-p", "baseline", "-q", "-o", big)
        check(rc == 0, "run -n 100000 -o (baseline only)")
        with h5py.File(big, "r") as fb:
            per_path = sum(int(np.prod(fb["policies/baseline/" + m].shape[1:])) for m in METRICS)
        rc0, rss_small, lines0 = peak_rss([EXE, "export", res, "paths"], d)
        rc1, rss_big, lines1 = peak_rss([EXE, "export", big, "paths"], d)
        whole = n * per_path * 8 // 1024   # KiB of the policy's per-path datasets
        bound = rss_small + whole // 2
        print("peak RSS: 300 paths %d KiB, 10^5 paths %d KiB; whole columns %d KiB; bound %d KiB"
              % (rss_small, rss_big, whole, bound))
        check(rc0 == 0 and rc1 == 0 and lines0 == 301 and lines1 == n + 1,
              "paths export of 10^5 paths writes a header and one line per path")
        check(rss_big < bound, "paths export of 10^5 paths stays below the bound (it streams)")
finally:
    shutil.rmtree(d, ignore_errors=True)

sys.exit(checks.finish())
