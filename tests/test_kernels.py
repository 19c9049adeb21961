#!/usr/bin/python3
"""Every path kernel against the reference kernel, bit for bit, on random
scenarios (tests/reference/random_scenario.py: every rule, both propagations,
zero-probability rows, zero stock, caps below 1 that every price hits,
correlations, price floors, policies that share stages with the baseline and
policies that do not), on the shipped configurations, and on scenarios with
70 industries, where static propagation goes through one dgemm per path.
Each is run with and without antithetic pairing by tests/kernel_check.c
(kernels with a block entry also in blocks of 4, 3, 2 and 1 paths).

With CHOKEPOINT, also end to end: `chokepoint run -o` with every available
kernel (CKP_KERNEL) writes the same results file as the reference kernel
(per-path records, per-month means and every histogram count), on the default
scenario and on random ones (dynamic and static propagation, 70 industries,
zero stock and caps), with two threads and batches that are not a multiple of
the block size, with and without antithetic pairing.

usage: test_kernels.py KERNEL_CHECK [CHOKEPOINT]
"""
import os
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "reference"))
import random_scenario  # noqa: E402
sys.path.insert(0, HERE)
import checks  # noqa: E402  (tests/checks.py)
from checks import check  # noqa: E402
checks.quiet = True  # only the FAIL lines

ROOT = os.environ.get("CKP_SOURCE_ROOT", os.path.dirname(HERE))


def kernels(exe):
    """The kernels a run accepts here (avx2 only where the CPU has AVX2)."""
    r = subprocess.run([exe, "run", "-q", "-n", "2"], capture_output=True, text=True,
                       env=dict(os.environ, CKP_KERNEL="avx2"))
    names = ["reference", "scalar"]
    if r.returncode == 0:
        names.append("avx2")
    return names


def numeric(path):
    """Every numeric dataset of a results file by name, as bytes with dtype
    and shape (records, month means, histogram counts, summaries)."""
    import h5py
    out = {}
    with h5py.File(path, "r") as f:
        def take(name, obj):
            if isinstance(obj, h5py.Dataset) and obj.dtype.kind in "fiu":
                a = obj[()]
                out[name] = (str(a.dtype), a.shape, a.tobytes())
        f.visititems(take)
    return out


def end_to_end(exe, tmp, scenarios):
    """0 when every kernel writes the reference kernel's results file."""
    names = kernels(exe)
    print("end to end: kernels", ", ".join(names))
    for i, (scen, opts) in enumerate(scenarios):
        files = {}
        for name in names:
            out = os.path.join(tmp, "e%d-%s.h5" % (i, name))
            cmd = [exe, "run", "-q", "-o", out] + ([scen] if scen else []) + opts
            subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL,
                           env=dict(os.environ, CKP_KERNEL=name))
            files[name] = out
        ref = numeric(files["reference"])
        if not check(any(k.endswith("/loss_total") for k in ref) and
                     any("hist" in k for k in ref),
                     "per-path records and histograms in %s" % files["reference"]):
            return 1
        for name in names[1:]:
            got = numeric(files[name])
            diff = sorted(k for k in set(ref) | set(got) if ref.get(k) != got.get(k))
            check(not diff, "kernel %s's results equal the reference's on %s %s; differ: %s"
                  % (name, scen or "the default scenario", " ".join(opts), ", ".join(diff[:8])))
    return checks.status()


def main():
    driver = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for seed in range(60):
            doc = random_scenario.generate(1000 + seed)
            # Every fifth: no stock at all and a cap that every shortfall hits.
            if seed % 5 == 4:
                for m in doc["materials"]:
                    m["stockpile"]["days"] = 0
                    m["price"]["cap"] = 1.0
            files.append(doc)
        for seed in range(3):
            files.append(random_scenario.generate(2000 + seed, industries=70))
        paths = []
        for i, doc in enumerate(files):
            p = os.path.join(tmp, "k%03d.yaml" % i)
            with open(p, "w") as f:
                yaml.safe_dump(doc, f, sort_keys=False)
            paths.append(p)
        paths += [os.path.join(ROOT, "configs", n)
                  for n in ("korea-rare-earths.yaml", "japan-2010.yaml")]
        r = subprocess.run([driver, "24"] + paths, capture_output=True, text=True)
        sys.stdout.write(r.stdout)
        sys.stderr.write(r.stderr)
        if not check(r.returncode == 0, "the kernels agree (the driver's report above)"):
            return 1
        if not check("0 differences" in r.stdout and "on %d scenarios" % len(paths) in r.stdout,
                     "the driver checked every scenario"):
            return 1
        if len(sys.argv) > 2:
            # 250 paths in batches of 77 (blocks of 4 and remainders of 1 and
            # 3) or, antithetic, of 78 (remainders of 2).
            opts = ["-n", "250", "-j", "2", "--batch", "77"]
            anti = ["-n", "250", "-j", "2", "--batch", "78", "--antithetic"]
            dyn = [p for p, d in zip(paths, files) if d["propagation"] == "dynamic"][:2]
            scen = [(None, opts), (None, anti), (paths[4], opts), (paths[60], anti),
                    (dyn[0], opts), (dyn[1], anti)]
            return end_to_end(sys.argv[2], tmp, scen)
    return 0


if __name__ == "__main__":
    sys.exit(main())
