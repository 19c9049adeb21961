#!/usr/bin/env python3
"""`summary` and `replay` on hostile and broken results files (issue 12, item 4).

A small real results file (`run -n 50 -o`) is taken apart with h5py into:
truncations at several lengths, bytes corrupted at several offsets, every
root attribute with the wrong type or shape, per-path and summary datasets of
the wrong dtype, shape or row count, a schema version from the future, an
incomplete file, 2^40 declared paths over unallocated chunks, a first path
near INT64_MAX, another layout, a FIFO, a directory, a missing file, a stored
scenario that fails validation, and stored scenarios that name a CSV file.
Each goes through `summary`, `replay --path 0` and `replay --path worst`.

Every run must end within a few seconds (a timeout fails the case instead of
hanging the suite) and never crash (a signal, or an exit status >= 128).
Where the command reads what was broken, it must exit 2 (bad input, as for
`validate`) with one line on stderr naming the file. A command that does not
read the broken part may succeed (e.g. `summary` never reads the stored
scenario); corrupted bytes may land in values nobody checks, so there any of
0, 1 (replay: the record differs) and 2 is accepted, but never a crash.

Usage: test_hostile_results.py CHOKEPOINT"""
import os
import shutil
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

EXE = os.path.abspath(sys.argv[1])
SRC = os.environ.get("CKP_SOURCE_ROOT",
                     os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
TIMEOUT = 20      # seconds; a run that takes longer is a hang
SLOW = 5          # seconds; a refusal that takes longer is a failure
failures = 0
cases = 0


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL:", what)


# Under AddressSanitizer (CI), HDF5 1.10's own leaks on damaged files must not
# count: the suppressions name libhdf5 only.
ENV = dict(os.environ)
SUPP = os.path.join(SRC, "tests", "fuzz", "lsan_hdf5.supp")
ENV["LSAN_OPTIONS"] = ":".join(filter(None, [ENV.get("LSAN_OPTIONS"), "print_suppressions=0",
                                             "suppressions=" + SUPP]))


def run(*args):
    t0 = time.time()
    try:
        p = subprocess.run([EXE, *args], capture_output=True, text=True, timeout=TIMEOUT,
                           errors="replace", env=ENV)
    except subprocess.TimeoutExpired:
        return None, "", "", time.time() - t0
    return p.returncode, p.stdout, p.stderr, time.time() - t0


COMMANDS = {
    "summary": ["summary"],
    "replay0": ["replay", "--path", "0"],
    "worst": ["replay", "--path", "worst"],
}


def expect(path, label, bad=("summary", "replay0", "worst"), codes=(2,), text=None,
           absent=None):
    """Run the three commands on path. Those in `bad` must exit with one of
    `codes` and one stderr line naming the file (and containing `text`); the
    others may also succeed. None may crash, hang or print `absent`."""
    global cases
    for key, cmd in COMMANDS.items():
        cases += 1
        rc, out, err, dt = run(*cmd[:1], path, *cmd[1:])
        what = f"{label}: {' '.join(cmd)}"
        if rc is None:
            check(False, f"{what}: no answer within {TIMEOUT} s")
            continue
        check(0 <= rc < 128, f"{what}: crashed (exit {rc}): {err.strip()[-300:]}")
        allowed = codes if key in bad else tuple(codes) + (0,)
        check(rc in allowed, f"{what}: exit {rc}, expected {allowed}: {err.strip()[:300]}")
        if absent:
            check(absent not in out + err, f"{what}: printed {absent!r}")
        if rc == 0:
            continue
        lines = err.strip().splitlines()
        check(len(lines) == 1, f"{what}: {len(lines)} lines on stderr: {err[:400]!r}")
        check(os.path.basename(path) in err, f"{what}: the message does not name the file: "
                                             f"{err.strip()[:300]}")
        if text and key in bad:
            check(text in err, f"{what}: expected {text!r} in {err.strip()[:300]!r}")
        check(dt < SLOW, f"{what}: took {dt:.1f} s")


d = tempfile.mkdtemp(prefix="ckp_hostile_")
try:
    base = os.path.join(d, "base.h5")
    minimal = os.path.join(SRC, "configs", "examples", "minimal.yaml")
    rc, out, err, _ = run("run", "-q", "-n", "50", "-o", base, minimal)
    check(rc == 0, f"making the base file: exit {rc}: {err}")
    raw = open(base, "rb").read()
    n = 0

    def variant(label, edit):
        """A copy of the base file changed by edit(h5py.File)."""
        global n
        n += 1
        p = os.path.join(d, f"v{n:03d}.h5")
        shutil.copyfile(base, p)
        with h5py.File(p, "r+") as f:
            edit(f)
        return p

    def raw_variant(data):
        global n
        n += 1
        p = os.path.join(d, f"v{n:03d}.h5")
        with open(p, "wb") as fh:
            fh.write(data)
        return p

    # The base file itself passes.
    for key, cmd in COMMANDS.items():
        rc, out, err, _ = run(*cmd[:1], base, *cmd[1:])
        check(rc == 0, f"base file: {' '.join(cmd)}: exit {rc}: {err}")

    with h5py.File(base, "r") as f:
        paths = int(f.attrs["paths"])
        root_attrs = {k: f.attrs[k] for k in f.attrs}
        metrics = [k for k, v in f["policies/baseline"].items()
                   if isinstance(v, h5py.Dataset) and v.dtype == np.float64
                   and v.shape[:1] == (paths,)]
    check("loss_total" in metrics and len(metrics) > 5, f"per-path metrics: {metrics}")

    # ---- not a results file at all ----
    expect(os.path.join(d, "nope.h5"), "missing file", text="no such file")
    expect(d, "a directory", text="not a regular file")
    fifo = os.path.join(d, "fifo.h5")
    os.mkfifo(fifo)
    expect(fifo, "a FIFO", text="not a regular file")
    expect(raw_variant(b"not an HDF5 file\n" * 10), "a text file", text="not an HDF5 file")
    other = os.path.join(d, "other.h5")
    with h5py.File(other, "w") as f:
        f["x"] = np.arange(10)
        f.attrs["title"] = "another layout"
    expect(other, "another layout", text="not a chokepoint results file")

    # ---- truncated and corrupted bytes ----
    for length in (0, 7, 8, 100, 512, 2048, 8192, len(raw) // 4, len(raw) // 2,
                   len(raw) - 4096, len(raw) - 1):
        expect(raw_variant(raw[:length]), f"truncated at {length} of {len(raw)} bytes")
    for off in (0, 8, 24, 40, 64, 96, 200, 400, 800, 1500, 3000, 6000, len(raw) // 5,
                len(raw) // 3, len(raw) // 2, 2 * len(raw) // 3, 4 * len(raw) // 5,
                len(raw) - 2000, len(raw) - 200):
        b = bytearray(raw)
        for i in range(off, min(off + 16, len(b))):
            b[i] ^= 0xA5
        # the signature and superblock are always checked; elsewhere the bytes
        # may be values nobody reads back, or the record replay then finds changed
        codes = (2,) if off < 40 else (1, 2)
        expect(raw_variant(bytes(b)), f"16 bytes corrupted at offset {off}",
               bad=("summary", "replay0", "worst") if off < 40 else (), codes=codes)

    # ---- root attributes of the wrong shape or type ----
    opened = {"schema_version", "complete", "seed", "state_hi", "state_lo", "inc_hi",
              "inc_lo", "first_path", "paths", "horizon_months", "antithetic",
              "engine_version", "created_utc", "command_line", "currency"}
    read_by = {"scenario_name": ("summary",), "scenario_resolved": ("replay0", "worst")}
    for k, v in root_attrs.items():
        bad = ("summary", "replay0", "worst") if k in opened else read_by.get(k, ())
        is_str = isinstance(v, str)

        def put(value, dtype=None, k=k):
            def edit(f):
                del f.attrs[k]
                f.attrs.create(k, value, dtype=dtype)
            return edit

        shapes = [np.ones(100, "i4"), np.ones((2, 3), "i8"), np.zeros(0, "i4")]
        if is_str:
            shapes = [np.array(["x"] * 100, dtype=h5py.string_dtype())]
            wrong = [put(7), put(np.float64(1.5)), put(np.bytes_(b"fixed-length"))]
        else:
            wrong = [put("a string"), put(np.float64(1.5)), put(np.bytes_(b"7"))]
        for s in shapes:
            expect(variant(f"{k} of shape {s.shape}", put(s)), f"attribute {k} shape {s.shape}",
                   bad=bad)
        for i, w in enumerate(wrong):
            expect(variant(f"{k} wrong type {i}", w), f"attribute {k} of a wrong type ({i})",
                   bad=bad)
        expect(variant(f"{k} missing", lambda f, k=k: f.attrs.__delitem__(k)),
               f"attribute {k} missing", bad=bad)
    # D1 of the issue, exactly.
    expect(variant("D1", lambda f: f.attrs.__setitem__("schema_version", np.ones(100, "i4"))),
           "schema_version = ones(100)", text="holds 100 values")

    def set_attr(k, value, dtype):
        def edit(f):
            f.attrs.create(k, value, dtype=dtype)
        return edit

    expect(variant("future", set_attr("schema_version", 99, "i4")), "schema version 99",
           text="schema version 99")
    expect(variant("incomplete", set_attr("complete", 0, "i4")), "complete = 0",
           text="incomplete")
    expect(variant("horizon0", set_attr("horizon_months", 0, "i4")), "horizon_months = 0")
    expect(variant("anti7", set_attr("antithetic", 7, "i4")), "antithetic = 7")
    for fp in (2**63 - 1, 2**63 - 10, -1):
        expect(variant(f"first {fp}", set_attr("first_path", fp, "i8")), f"first_path {fp}",
               text="first_path")
    expect(variant("paths0", set_attr("paths", 0, "i8")), "paths = 0")
    expect(variant("paths-5", set_attr("paths", -5, "i8")), "paths = -5")

    # ---- datasets of the wrong dtype, shape or row count ----
    def replace(name, make):
        def edit(f):
            old = f[name][()]
            del f[name]
            f.create_dataset(name, data=make(old))
        return edit

    reads = {
        "policies/baseline/loss_total": ("replay0", "worst"),
        "policies/baseline/loss": ("replay0", "worst"),
        "policies/baseline/stockpile_min": ("replay0", "worst"),
        "policies/baseline/summary/loss_total": ("summary",),
        "policies/baseline/quantiles/loss_total": ("summary",),
    }
    transforms = {
        "int32": lambda a: np.nan_to_num(a).astype("i4"),
        "float32": lambda a: a.astype("f4"),
        "strings": lambda a: np.array(["x"] * a.size, dtype=h5py.string_dtype()).reshape(a.shape),
        "extra dim": lambda a: a[..., None].repeat(2, axis=-1),
        "one row more": lambda a: np.concatenate([a, a[:1]]),
        "one row less": lambda a: a[:-1],
        "scalar": lambda a: np.float64(1.0),
        "empty": lambda a: np.zeros((0,) + a.shape[1:]),
    }
    for name, bad in reads.items():
        for tname, tf in transforms.items():
            expect(variant(f"{name} {tname}", replace(name, tf)), f"{name} as {tname}", bad=bad)
        expect(variant(f"{name} gone", lambda f, name=name: f.__delitem__(name)),
               f"{name} missing", bad=bad)
    # the row-count message of D4: rows, not "values per path"
    expect(variant("rows", replace("policies/baseline/loss", lambda a: np.concatenate([a, a]))),
           "loss with twice the rows", bad=("replay0", "worst"), text=f"{2 * paths} rows")
    expect(variant("policy coord", replace("policy", lambda a: np.arange(3))),
           "policy coordinate of integers", text="policy")
    expect(variant("policy coord 2d", replace("policy", lambda a: np.array([[b"a"], [b"b"]]))),
           "policy coordinate of rank 2", text="policy")

    # ---- declared dimensions that would need terabytes ----
    big = 2**40

    def huge(names):
        def edit(f):
            f.attrs.create("paths", big, dtype="i8")
            for nm in names:
                p = "policies/baseline/" + nm
                shape = f[p].shape
                del f[p]
                f.create_dataset(p, shape=(big,) + shape[1:], dtype="f8",
                                 chunks=(4096,) + (1,) * (len(shape) - 1),
                                 maxshape=(None,) + shape[1:])
        return edit

    hp = variant("huge", huge(metrics))
    check(os.path.getsize(hp) < 2 * len(raw), "the 2^40-path file is small")
    expect(hp, "paths = 2^40 over unallocated chunks", bad=("replay0", "worst"),
           text="incomplete")
    expect(hp, "paths = 2^40: the stored summary counts 50", bad=("summary",), text="counts")
    expect(variant("huge lt", huge(["loss_total"])), "paths = 2^40, loss_total unallocated")

    def big_chunk(f):
        p = "policies/baseline/loss_total"
        a = f[p][()]
        del f[p]
        f.create_dataset(p, data=a, chunks=(paths,), maxshape=(2**33,))
        ds = f[p]
        ds.resize((2**33,))
    expect(variant("bigchunk", big_chunk), "loss_total resized to 2^33 rows",
           bad=("replay0", "worst"))

    # ---- the stored scenario ----
    def scenario(text):
        def edit(f):
            f.attrs.create("scenario_resolved", text, dtype=h5py.string_dtype())
        return edit

    row_sum = open(os.path.join(SRC, "tests", "scenarios", "bad", "row_sum.yaml")).read()
    expect(variant("bad scenario", scenario(row_sum)), "stored scenario that fails validation",
           bad=("replay0", "worst"), text="scenario_resolved")
    expect(variant("not yaml", scenario("{[: not yaml")), "stored scenario that is not YAML",
           bad=("replay0", "worst"), text="scenario_resolved")
    secret = os.path.join(d, "secret.csv")
    with open(secret, "w") as fh:
        fh.write("SECRET-FIRST-LINE-4711\n1,0\n0,1\n")
    rich = open(os.path.join(SRC, "tests", "scenarios", "good", "rich.yaml")).read()
    named = rich.replace("corr.csv", secret).replace("mb_z.csv", secret)
    check(secret in named, "the rich scenario names a CSV file")
    for label, text in (("csv", named),
                        ("escaped key", named.replace("csv:", '"c\\x73v":')),
                        ("escaped z_csv", named.replace("z_csv:", '"z_\\u0063sv":'))):
        expect(variant(label, scenario(text)), f"stored scenario naming a CSV file ({label})",
               bad=("replay0", "worst"), text="CSV", absent="SECRET")
    # the base file's own scenario is not refused: replay above passed on it.
finally:
    shutil.rmtree(d, ignore_errors=True)

print(f"{cases} runs, {failures} failure(s)")
sys.exit(1 if failures else 0)
