#!/usr/bin/env python3
"""Damaged chunks of a results file's per-path datasets through the reading
commands (the readers' chunk check, engine/output/h5read.c).

libhdf5 1.10.8 copies a whole chunk out of whatever a chunk's stored bytes
give: a chunk stored shorter than its shape, or one whose deflate stream
inflates to less, is a heap overrun inside H5Dread (AddressSanitizer reports
it in memcpy; a release build reads garbage past the block). One flipped bit
is enough: the "deflate skipped" bit of a chunk's filter mask in the chunk
B-tree. Each damage below is made in a copy of a real file:

  mask     the filter-mask bit of deflate set on chunk 0 of loss_total
           (libhdf5 then takes the compressed bytes for the values);
  short    chunk 0 of loss_total replaced by a valid zlib stream of 16 bytes;
  raw      chunk 0 of loss_total of a --compress 0 file: its stored size in
           the B-tree cut to 16 bytes;
  garbage  one byte of chunk 0's deflate stream flipped (does not inflate).

Each goes through `replay --path worst`, `export paths`, `report` and `merge`
(with a part that follows it; merge copies a compressed part's chunks as they
are stored, after decoding each, engine/output/stream.c). Every command must fail with a non-zero exit,
one line on stderr naming the file and saying the file is damaged, no
sanitizer report, and nothing left at its target. The undamaged files pass the
same commands (exit 0), so the check cannot be refusing everything.

Usage: test_damaged_chunks.py CHOKEPOINT"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from checks import check, finish  # noqa: E402

import h5py  # noqa: E402

EXE = os.path.abspath(sys.argv[1])
SRC = os.environ.get("CKP_SOURCE_ROOT",
                     os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
MINIMAL = os.path.join(SRC, "configs", "examples", "minimal.yaml")
LT = "policies/baseline/loss_total"
PATHS = 5000  # two chunks of 4096 paths


def run(args):
    try:
        p = subprocess.run([EXE, *args], capture_output=True, text=True, timeout=120,
                           errors="replace")
    except subprocess.TimeoutExpired:
        return None, "", ""
    return p.returncode, p.stdout, p.stderr


def btree_key(data, ds):
    """Offset of the v1 B-tree key (size u32, filter mask u32, offsets) of
    chunk 0 of ds, found by the chunk's address that follows it."""
    info = ds.id.get_chunk_info_by_coord((0,) * ds.ndim)
    key = struct.pack("<II", info.size, info.filter_mask) + b"\0" * 8 * (ds.ndim + 1)
    at = data.find(key + struct.pack("<Q", info.byte_offset))
    check(at >= 0, f"B-tree key of chunk 0 of {ds.name} found")
    return at


def damage(src, dst, how):
    shutil.copyfile(src, dst)
    if how == "short":
        with h5py.File(dst, "r+") as f:
            f[LT].id.write_direct_chunk((0,), zlib.compress(b"\0" * 16))
        return
    with h5py.File(dst, "r") as f:
        ds = f[LT]
        data = bytearray(open(dst, "rb").read())
        at = btree_key(data, ds)
        info = ds.id.get_chunk_info_by_coord((0,))
    if how == "mask":  # deflate is the pipeline's filter 1 (shuffle, deflate)
        data[at + 4] |= 2
    elif how == "raw":
        data[at:at + 4] = struct.pack("<I", 16)
    elif how == "garbage":
        data[info.byte_offset + info.size // 2] ^= 0xFF
    open(dst, "wb").write(bytes(data))


d = tempfile.mkdtemp(prefix="ckp_chunks_")
try:
    good = os.path.join(d, "good.h5")
    plain = os.path.join(d, "plain.h5")
    after = os.path.join(d, "after.h5")
    for out, extra in ((good, []), (plain, ["--compress", "0"]),
                       (after, ["--first-path", str(PATHS), "-n", "100"])):
        rc, _, err = run(["run", "-q", "-n", str(PATHS), *extra, "-o", out, MINIMAL])
        check(rc == 0, f"run {os.path.basename(out)}: {err.strip()[-300:]}")
    with h5py.File(plain, "r") as f:
        check(f[LT].compression is None, "the --compress 0 file has no filter")
    cases = {"mask": good, "short": good, "raw": plain, "garbage": good}
    html = os.path.join(d, "r.html")
    merged = os.path.join(d, "m.h5")

    def commands(f):
        return [["replay", f, "--path", "worst"], ["export", f, "paths"],
                ["report", f, "-o", html], ["merge", f, after, "-o", merged]]

    for name, src in [("good", good), ("plain", plain)]:
        for cmd in commands(src):
            rc, _, err = run(cmd)
            check(rc == 0, f"{name}: {cmd[0]} of the undamaged file: exit {rc} {err[-300:]!r}")
            for t in (html, merged):
                if os.path.exists(t):
                    os.remove(t)
    for how, src in cases.items():
        f = os.path.join(d, f"{how}.h5")
        damage(src, f, how)
        for cmd in commands(f):
            what = f"{how}: {cmd[0]}"
            rc, _, err = run(cmd)
            if rc is None:
                check(False, f"{what}: no answer in time")
                continue
            check(0 < rc < 128, f"{what}: exit {rc}: {err.strip()[-300:]}")
            check("Sanitizer" not in err and "runtime error" not in err,
                  f"{what}: a sanitizer's report: {err.strip()[-400:]}")
            lines = err.strip().splitlines()
            check(len(lines) == 1 and f in err and "the file is damaged" in err,
                  f"{what}: not one line naming the file and the damage: {err[:400]!r}")
            want = "does not inflate" if how == "garbage" else "its shape needs"
            if cmd[0] == "merge" and src == good:  # chunks copied as stored, each decoded first
                want = "does not decode to a whole chunk"
            check(want in err, f"{what}: {want!r} not in {err[:300]!r}")
            check(not os.path.exists(html) and not os.path.exists(merged),
                  f"{what}: left a file at the target")
finally:
    shutil.rmtree(d, ignore_errors=True)
sys.exit(finish())
