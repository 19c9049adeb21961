#!/usr/bin/env python3
"""Make the seed corpus of the results-reader fuzz target (tests/fuzz/results).

usage: make_results_corpus.py CHOKEPOINT OUTDIR

A real results file of 4 paths of configs/examples/minimal.yaml is cut down
with h5py to what `summary` and `replay` read (the root attributes, the
policy coordinate, the baseline's per-path metrics, its stored summary and
quantiles of loss_total), under 20 KB instead of 170 KB, in two flavours
(HDF5's earliest format with contiguous datasets; its latest, with
checksummed metadata and the per-path datasets chunked and deflated like the
writer's). Each is written as is and with deterministic mutations (bytes
flipped at seeded offsets), so
the committed files are the same on every run of this script with the same
inputs. The committed corpus is small; libFuzzer grows its own from it."""
import os
import random
import subprocess
import sys
import tempfile

import h5py
import numpy as np

EXE, OUT = sys.argv[1], sys.argv[2]
SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
os.makedirs(OUT, exist_ok=True)

with tempfile.TemporaryDirectory() as d:
    full = os.path.join(d, "full.h5")
    subprocess.run([EXE, "run", "-q", "-n", "4", "-o", full,
                    os.path.join(SRC, "configs", "examples", "minimal.yaml")],
                   check=True, stdout=subprocess.DEVNULL)
    with h5py.File(full, "r") as f:
        attrs = {k: f.attrs[k] for k in f.attrs}
        attrs["created_utc"] = "2026-01-01T00:00:00Z"   # stable bytes
        attrs["command_line"] = "chokepoint run -n 4"
        attrs["scenario_source"] = ""
        pol = "policies/baseline"
        paths = int(f.attrs["paths"])
        data = {}
        for k, v in f[pol].items():
            if isinstance(v, h5py.Dataset) and v.dtype == np.float64 and v.shape[:1] == (paths,):
                data[f"{pol}/{k}"] = v[()]
        for g in ("summary", "quantiles"):
            data[f"{pol}/{g}/loss_total"] = f[f"{pol}/{g}/loss_total"][()]
        data["month"] = f["month"][()]
        policy = [s.decode() if isinstance(s, bytes) else s for s in f["policy"][()]]

    def write(name, chunked, libver):
        p = os.path.join(OUT, name)
        # the root group without modification times too (from the file's
        # creation properties), so the bytes are the same every run
        fcpl = h5py.h5p.create(h5py.h5p.FILE_CREATE)
        fcpl.set_obj_track_times(False)
        fapl = h5py.h5p.create(h5py.h5p.FILE_ACCESS)
        low = h5py.h5f.LIBVER_LATEST if libver == "latest" else h5py.h5f.LIBVER_EARLIEST
        fapl.set_libver_bounds(low, h5py.h5f.LIBVER_LATEST)
        fid = h5py.h5f.create(p.encode(), h5py.h5f.ACC_TRUNC, fcpl=fcpl, fapl=fapl)
        with h5py.File(fid) as f:
            for k, v in attrs.items():
                if isinstance(v, str):
                    f.attrs.create(k, v, dtype=h5py.string_dtype())
                else:
                    f.attrs.create(k, v, dtype=v.dtype)
            # groups without modification times, so the bytes are the same every run
            gcpl = h5py.h5p.create(h5py.h5p.GROUP_CREATE)
            gcpl.set_obj_track_times(False)
            for g in ("policies", pol, pol + "/summary", pol + "/quantiles"):
                h5py.h5g.create(f.id, g.encode(), gcpl=gcpl)
            f.create_dataset("policy", data=np.array(policy, dtype=h5py.string_dtype()))
            for k, v in data.items():
                per_path = k.count("/") == 2 and v.shape[:1] == (paths,)
                if chunked and per_path:
                    chunks = (paths,) + (1,) * (v.ndim - 1)
                    f.create_dataset(k, data=v, chunks=chunks, shuffle=True, compression="gzip",
                                     compression_opts=1, track_times=False)
                else:
                    f.create_dataset(k, data=v, track_times=False)
        return p

    seeds = [write("seed_contiguous.h5", False, "earliest"),
             write("seed_chunked_latest.h5", True, "latest")]

rng = random.Random(12)
for p in seeds:
    raw = open(p, "rb").read()
    stem = os.path.basename(p)[:-3]
    for m in range(1):
        b = bytearray(raw)
        for _ in range(4):
            off = rng.randrange(len(b))
            b[off] = rng.randrange(256)
        with open(os.path.join(OUT, f"{stem}_flip{m}.h5"), "wb") as fh:
            fh.write(bytes(b))
for n in sorted(os.listdir(OUT)):
    print(n, os.path.getsize(os.path.join(OUT, n)))
