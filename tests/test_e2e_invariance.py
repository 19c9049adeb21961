#!/usr/bin/env python3
"""End-to-end reproducibility through the command line and the HDF5 writer (suite slow).

The same seed must give identical per-path results whatever the thread count,
the batch size or a split of the path range into two runs:
  * `-j 1`, `-j 2` and `-j 7 --batch 333` write bit-identical per-path datasets,
    per-month means, histograms and summaries;
  * two runs over [0, N/2) and [N/2, N) (`--first-path`) hold exactly the per-path
    values of the full run, and their histogram counts add up to the full run's.
usage: test_e2e_invariance.py CHOKEPOINT [SCENARIO]
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402  (tests/checks.py)
from checks import check  # noqa: E402
checks.quiet = True  # only the FAIL lines (a check a dataset)

try:
    import h5py
    import numpy as np
except ImportError:
    sys.exit(77)

N = 6000


def run(exe, scenario, out, *opts):
    cmd = [exe, "run", "-q", "-o", out, "-n", str(N)] + list(opts)
    if scenario:
        cmd.insert(2, scenario)
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)


def datasets(path):
    """Every numeric dataset of the file, by name (coordinates included)."""
    out = {}
    with h5py.File(path, "r") as f:
        def take(name, obj):
            if isinstance(obj, h5py.Dataset) and obj.dtype.kind in "fiu":
                out[name] = obj[()]
        f.visititems(take)
    return out


def same_bits(a, b):
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def main():
    exe = sys.argv[1]
    scenario = sys.argv[2] if len(sys.argv) > 2 else None
    with tempfile.TemporaryDirectory() as tmp:
        files = {}
        for tag, opts in [("j1", ["-j", "1"]), ("j2", ["-j", "2"]),
                          ("j7", ["-j", "7", "--batch", "333"])]:
            files[tag] = os.path.join(tmp, tag + ".h5")
            run(exe, scenario, files[tag], *opts)
        ref = datasets(files["j1"])
        if not check(any(k.endswith("/loss_total") for k in ref),
                     "a per-path loss_total dataset in the -j 1 file"):
            return 1
        for tag in ("j2", "j7"):
            other = datasets(files[tag])
            check(set(other) == set(ref), f"{tag}: the same datasets as -j 1")
            for name, v in ref.items():
                if name in other:
                    check(same_bits(v, other[name]), f"{tag}: {name} has the bits of -j 1")

        half = N // 2
        a, b = os.path.join(tmp, "a.h5"), os.path.join(tmp, "b.h5")
        subprocess.run([exe, "run"] + ([scenario] if scenario else []) +
                       ["-q", "-o", a, "-n", str(half)], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([exe, "run"] + ([scenario] if scenario else []) +
                       ["-q", "-o", b, "-n", str(N - half), "--first-path", str(half)],
                       check=True, stdout=subprocess.DEVNULL)
        with h5py.File(files["j1"], "r") as ff, h5py.File(a, "r") as fa, h5py.File(b, "r") as fb:
            checked = 0
            for pol in ff["policies"]:
                g = ff["policies"][pol]
                for name, ds in g.items():
                    if not isinstance(ds, h5py.Dataset) or ds.ndim == 0 or ds.shape[0] != N:
                        continue
                    if name == "path":
                        continue
                    joined = np.concatenate([fa["policies"][pol][name][()],
                                             fb["policies"][pol][name][()]])
                    checked += 1
                    check(same_bits(joined, ds[()]),
                          f"split: policies/{pol}/{name} has the bits of the full run")
                mg = g["month"]
                for name in mg:
                    if name.endswith("_hist"):
                        s = mg[name][()]
                        joined = (fa["policies"][pol]["month"][name][()].astype(np.uint64) +
                                  fb["policies"][pol]["month"][name][()].astype(np.uint64))
                        check(np.array_equal(joined, s),
                              f"split: policies/{pol}/month/{name} counts add up to the full run's")
                        checked += 1
            pa = np.concatenate([fa["policies/baseline/path"][()], fb["policies/baseline/path"][()]])
            check(np.array_equal(pa, np.arange(N)), "split: the path coordinates are 0..N-1")
            check(checked >= 20, f"split: at least 20 datasets compared ({checked})")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
