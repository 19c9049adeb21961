#!/usr/bin/python3
"""`chokepoint merge`: results files of adjacent path ranges joined into one.

Three `--first-path` parts written with different thread counts and batch
sizes, given out of order, must merge into the file of one run of the whole
range, dataset by dataset and attribute by attribute (data, types, shapes and
every attribute except created_utc, command_line and the merged file's
merged_parts), with a part boundary inside a 4096-path chunk of the merged
file; likewise an antithetic run of a subset of policies in two parts.
Refused, exit 2, with one line naming the files, nothing at the target and no
temporary file left: a gap, an overlap, a duplicate, another seed, another
scenario, another policy set, another engine version, an incomplete part, a
part without exact accumulators (schema 1), a file that is no results file, a
missing file, an output that is one of the parts. An existing output without
--force is refused (exit 1) and left as it was; --force replaces it. SIGTERM
during the merge stops it (exit 143) with nothing at the target.

Usage: test_merge.py CHOKEPOINT_EXE
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import same_results  # noqa: E402  (tests/same_results.py)
import checks  # noqa: E402  (tests/checks.py)
from checks import check  # noqa: E402

EXE = os.path.abspath(sys.argv[1])
SKIP = {"created_utc", "command_line", "merged_parts"}


def run(*args, cwd):
    p = subprocess.run([EXE, *args], capture_output=True, text=True, cwd=cwd)
    return p.returncode, p.stdout, p.stderr


def differences(pa, pb):
    """What differs between two results files, but the attributes in SKIP (same_results.py)."""
    return same_results.differences(pa, pb, SKIP)


def nothing_left(d, before):
    return sorted(os.listdir(d)) == before


def refused(d, parts, why, names, out="out.h5"):
    """merge PARTS -o OUT must exit 2 with one line naming `names`."""
    before = sorted(os.listdir(d))
    rc, _, err = run("merge", *parts, "-o", out, cwd=d)
    lines = err.strip().splitlines()
    check(rc == 2, f"{why}: exit 2 (got {rc}: {err.strip()})")
    check(len(lines) == 1 and all(n in lines[0] for n in names),
          f"{why}: one line naming {names}: {err.strip()}")
    check(nothing_left(d, before), f"{why}: nothing written, no temporary file")


def main():
    d = tempfile.mkdtemp(prefix="ckp-merge-")
    try:
        # One run of paths 0..4499 and three pieces with other -j/--batch.
        # The merged file's chunks (4096 paths) span the part boundaries.
        runs = [("all.h5", ["-n", "4500", "-j", "2"]),
                ("p0.h5", ["-n", "1700", "-j", "1", "--batch", "100"]),
                ("p1.h5", ["-n", "2600", "--first-path", "1700", "-j", "2", "--batch", "333"]),
                ("p2.h5", ["-n", "200", "--first-path", "4300", "-j", "2", "--batch", "64",
                           "--compress", "0"])]
        for name, extra in runs:
            rc, _, err = run("run", "-q", "-s", "11", "-o", name, *extra, cwd=d)
            assert rc == 0, err
        rc, _, err = run("merge", "p2.h5", "p0.h5", "p1.h5", "-o", "m.h5", cwd=d)
        check(rc == 0 and "wrote m.h5" in err, f"merge of three parts: {err.strip()}")
        diff = differences(os.path.join(d, "all.h5"), os.path.join(d, "m.h5"))
        check(not diff, f"merged file equals one run of the range {diff[:5]}")
        with h5py.File(os.path.join(d, "m.h5"), "r") as f:
            parts = f.attrs["merged_parts"]
            parts = parts.decode() if isinstance(parts, bytes) else parts
            check(parts.splitlines() == ["p0.h5 paths 0..1699", "p1.h5 paths 1700..4299",
                                         "p2.h5 paths 4300..4499"],
                  f"merged_parts lists the parts in path order: {parts!r}")
            check(f["exact/accumulators"].dtype == np.uint8 and
                  f["exact/accumulators"].shape[0] > 1000, "exact/accumulators is stored")

        # Parts on the merged file's chunk boundaries (4096 paths): a part with
        # the writer's chunks and filters has its chunks copied as stored (its
        # level-4 bytes stay level-4 bytes in a level-1 merge); an unfiltered
        # part (--compress 0) is re-encoded; the last part's partial chunk is
        # copied too. The merged file still equals one run of the range. (Two
        # policies: baseline and domestic_mine, to keep the test short.)
        for name, extra in [("al.h5", ["-n", "13096"]),
                            ("q0.h5", ["-n", "4096", "--compress", "4"]),
                            ("q1.h5", ["-n", "4096", "--first-path", "4096", "--compress", "0"]),
                            ("q2.h5", ["-n", "4904", "--first-path", "8192", "--compress", "4"])]:
            rc, _, err = run("run", "-q", "-s", "11", "-p", "domestic_mine", "-o", name, *extra,
                             cwd=d)
            assert rc == 0, err
        rc, _, err = run("merge", "-q", "q2.h5", "q1.h5", "q0.h5", "-o", "qm.h5", cwd=d)
        check(rc == 0, f"merge of chunk-aligned parts: {err.strip()}")
        diff = differences(os.path.join(d, "al.h5"), os.path.join(d, "qm.h5"))
        check(not diff, f"chunk-aligned merge equals one run {diff[:5]}")

        def chunk(path, ds, off):
            with h5py.File(os.path.join(d, path), "r") as f:
                return f[ds].id.read_direct_chunk(off)

        pol = "policies/baseline/"
        for ds, off in [("loss_total", (0,)), ("shortfall_peak", (0, 2)),
                        ("regime_months", (0, 3, 1))]:
            check(chunk("qm.h5", pol + ds, off) == chunk("q0.h5", pol + ds, off),
                  f"{ds}: the first part's stored chunk copied as it is")
            for at in (0, 4096):  # a whole chunk and the partial last one
                moved, src = (8192 + at,) + off[1:], (at,) + off[1:]
                check(chunk("qm.h5", pol + ds, moved) == chunk("q2.h5", pol + ds, src),
                      f"{ds}: the last part's chunk at {at} copied as it is")
            mid = (4096,) + off[1:]
            check(chunk("qm.h5", pol + ds, mid)[1] != chunk("q1.h5", pol + ds, off)[1],
                  f"{ds}: the unfiltered part re-encoded with the merged file's filters")

        # Antithetic pairs and two policies of six, two parts.
        for name, extra in [("anti.h5", ["-n", "600"]), ("a0.h5", ["-n", "200", "-j", "1"]),
                            ("a1.h5", ["-n", "400", "--first-path", "200", "--batch", "50"])]:
            rc, _, err = run("run", "-q", "--antithetic", "-p", "domestic_mine", "-p",
                             "diversify", "-o", name, *extra, cwd=d)
            assert rc == 0, err
        rc, _, err = run("merge", "-q", "a1.h5", "a0.h5", "-o", "am.h5", cwd=d)
        check(rc == 0 and err == "", f"antithetic merge: {err.strip()}")
        diff = differences(os.path.join(d, "anti.h5"), os.path.join(d, "am.h5"))
        check(not diff, f"antithetic two-policy merge equals one run {diff[:5]}")

        # A single part merges into a copy of itself (but merged_parts).
        rc, _, _ = run("merge", "-q", "p1.h5", "-o", "one.h5", cwd=d)
        check(rc == 0 and not differences(os.path.join(d, "p1.h5"), os.path.join(d, "one.h5")),
              "one part merges to an equal file")

        # The existing target: refused without --force, replaced with it.
        with open(os.path.join(d, "m.h5"), "rb") as f:
            kept = f.read()
        before = sorted(os.listdir(d))
        rc, _, err = run("merge", "p0.h5", "p1.h5", "-o", "m.h5", cwd=d)
        with open(os.path.join(d, "m.h5"), "rb") as f:
            check(rc == 1 and "--force" in err and f.read() == kept and
                  nothing_left(d, before), f"existing output refused: {err.strip()}")
        rc, _, err = run("merge", "-q", "p0.h5", "p1.h5", "-o", "m.h5", "--force", cwd=d)
        with h5py.File(os.path.join(d, "m.h5"), "r") as f:
            check(rc == 0 and int(f.attrs["paths"]) == 4300, "--force replaces the output")

        # Parts of other runs and broken parts.
        extra = {"seed.h5": ["-n", "100", "--first-path", "1700", "-s", "12"],
                 "pol.h5": ["-n", "100", "--first-path", "1700", "-s", "11", "-p", "diversify"],
                 "japan.h5": ["configs/japan-2010.yaml", "-n", "100", "--first-path", "1700",
                              "-s", "11"],
                 "over.h5": ["-n", "300", "--first-path", "1500", "-s", "11"]}
        src = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
        for name, args in extra.items():
            args = [os.path.join(src, a) if a.endswith(".yaml") else a for a in args]
            rc, _, err = run("run", "-q", "-o", name, *args, cwd=d)
            assert rc == 0, err
        shutil.copy(os.path.join(d, "p1.h5"), os.path.join(d, "dup.h5"))
        for name, edit in [("ver.h5", lambda f: f.attrs.modify("engine_version", "9.9.9")),
                           ("old.h5", lambda f: f.__delitem__("exact")),
                           ("incomplete.h5", lambda f: f.attrs.modify("complete", np.int32(0)))]:
            shutil.copy(os.path.join(d, "p1.h5"), os.path.join(d, name))
            with h5py.File(os.path.join(d, name), "r+") as f:
                edit(f)
        with open(os.path.join(d, "text.h5"), "w") as f:
            f.write("not a results file\n")

        refused(d, ["p0.h5", "p2.h5"], "a gap", ["p0.h5", "p2.h5", "gap", "1700..4299"])
        refused(d, ["p0.h5", "over.h5", "p1.h5", "p2.h5"], "an overlap",
                ["p0.h5", "over.h5", "overlap"])
        refused(d, ["p0.h5", "p1.h5", "dup.h5", "p2.h5"], "a duplicate",
                ["p1.h5", "dup.h5", "duplicate"])
        refused(d, ["p0.h5", "p1.h5", "p1.h5", "p2.h5"], "the same part twice",
                ["p1.h5", "duplicate"])
        refused(d, ["p0.h5", "seed.h5", "p2.h5"], "another seed", ["p0.h5", "seed.h5", "seed"])
        refused(d, ["p0.h5", "pol.h5", "p2.h5"], "another policy set",
                ["p0.h5", "pol.h5", "polic"])
        refused(d, ["p0.h5", "japan.h5"], "another scenario", ["p0.h5", "japan.h5", "scenario"])
        refused(d, ["p0.h5", "ver.h5", "p2.h5"], "another engine version",
                ["p0.h5", "ver.h5", "engine version"])
        refused(d, ["p0.h5", "old.h5", "p2.h5"], "no exact accumulators",
                ["old.h5", "exact accumulators"])
        refused(d, ["p0.h5", "incomplete.h5", "p2.h5"], "an incomplete part", ["incomplete.h5"])
        refused(d, ["p0.h5", "text.h5"], "not a results file", ["text.h5"])
        refused(d, ["p0.h5", "missing.h5"], "a missing part", ["missing.h5"])
        refused(d, ["p0.h5", "p1.h5", "p2.h5", "--force"], "the output is a part", ["p1.h5"],
                out="p1.h5")
        rc, _, err = run("merge", "p0.h5", cwd=d)
        check(rc == 2 and "-o" in err, f"no output: exit 2 ({err.strip()})")

        # SIGTERM once the temporary file is there: stops after the block,
        # nothing at the target, the temporary file removed. (A signal that
        # comes after the last block finds the merge finished: tried again.)
        stopped = 0
        for attempt in range(3):
            before = sorted(os.listdir(d))
            p = subprocess.Popen([EXE, "merge", "p0.h5", "p1.h5", "p2.h5", "-o", "sig.h5"],
                                 cwd=d, stderr=subprocess.PIPE, text=True)
            while p.poll() is None and not any(f.startswith(".sig.h5.tmp-")
                                               for f in os.listdir(d)):
                time.sleep(0.002)
            p.send_signal(signal.SIGTERM)
            err = p.communicate(timeout=120)[1]
            if p.returncode == 0:
                os.unlink(os.path.join(d, "sig.h5"))
                continue
            stopped += 1
            check(p.returncode == 128 + signal.SIGTERM and "stopped by SIGTERM" in err and
                  "nothing was written to sig.h5" in err, f"SIGTERM stops the merge: {err.strip()}")
            check(nothing_left(d, before), "SIGTERM: nothing at the target, no temporary file")
            break
        check(stopped == 1, "a SIGTERM reached the merge before its end")
    finally:
        shutil.rmtree(d)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
