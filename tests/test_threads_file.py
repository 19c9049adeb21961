#!/usr/bin/python3
"""The results file does not depend on the writer's threads.

The writer deflates the columns of a full chunk on the plan's threads and stores
them in column order, and the summaries summarise the per-path columns on the
plan's threads. So `run -o` on 1, 2 and 3 threads (OMP_NUM_THREADS with the
default -j 0, so that the command line stored in the file has one length) and
batches of 1000, 2500 and 3333 paths (9000 paths: two full 4096-path chunks and
a partial one) must give files equal object by object
(every dataset's bytes and every attribute but created_utc and command_line,
tests/same_results.py), and with the chunks stored alike: every chunk's stored
bytes the same, and each per-path chunk (written while the paths run) at the
same place in the file (H5Dget_chunk_info), which holds only when the chunks are
written in the same order whatever the threads. (What finish writes after its
parallel reads may be placed elsewhere: the reads reach HDF5's metadata cache
in a thread-dependent order. No value depends on it.)
The same with --compress 0 (the uncompressed path).

Usage: test_threads_file.py CHOKEPOINT_EXE
"""
import os
import subprocess
import shutil
import sys
import tempfile

import h5py

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import same_results  # noqa: E402  (tests/same_results.py)
from checks import check, status  # noqa: E402  (tests/checks.py)

EXE = os.path.abspath(sys.argv[1])
SKIP = {"created_utc", "command_line"}
N = 9000


def chunks(path):
    """(dataset, chunk offset) -> (file address, stored bytes) of every chunked dataset."""
    out = {}

    def visit(name, obj):
        if isinstance(obj, h5py.Dataset) and obj.chunks and obj.shape and obj.shape[0] > 0:
            for i in range(obj.id.get_num_chunks()):
                info = obj.id.get_chunk_info(i)
                _, data = obj.id.read_direct_chunk(info.chunk_offset)
                out[(name, info.chunk_offset)] = (info.byte_offset, bytes(data))

    with h5py.File(path, "r") as f:
        f.visititems(visit)
    return out


def main():
    d = tempfile.mkdtemp(prefix="ckp-threads-file-")
    for level in ("1", "0"):
        files = {}
        for tag, batch in [("j1", "1000"), ("j2", "2500"), ("j3", "3333")]:
            out = os.path.join(d, f"c{level}-{tag}.h5")
            env = dict(os.environ, OMP_NUM_THREADS=tag[1])
            subprocess.run([EXE, "run", "-q", "-n", str(N), "--compress", level, "-o", out,
                            "--no-checkpoint", "--batch", batch], check=True, env=env,
                           stdout=subprocess.DEVNULL)
            files[tag] = out
        ref = chunks(files["j1"])
        check(len(ref) > 3 * 6, f"--compress {level}: {len(ref)} stored chunks found")
        per_path = [k for k in ref if k[0].startswith("policies/") and k[0].count("/") == 2
                    and not k[0].endswith("/path")]
        check(sum(k[0].endswith("/loss_total") for k in per_path) == 3 * 6,
              f"--compress {level}: 3 chunks of loss_total per policy")
        for tag in ("j2", "j3"):
            diff = same_results.differences(files["j1"], files[tag], SKIP)
            check(not diff, f"--compress {level}: {tag} equals j1 object by object "
                            f"({len(diff)} differences{': ' + diff[0] if diff else ''})")
            got = chunks(files[tag])
            changed = [k for k in ref if k not in got or got[k][1] != ref[k][1]]
            check(got.keys() == ref.keys() and not changed,
                  f"--compress {level}: {tag} stores every chunk with j1's bytes "
                  f"({len(changed)} differ{': ' + str(changed[0]) if changed else ''})")
            moved = [k for k in per_path if got.get(k, (None,))[0] != ref[k][0]]
            check(not moved, f"--compress {level}: {tag} stores each per-path chunk at j1's place "
                             f"({len(moved)} differ{': ' + str(moved[0]) if moved else ''})")
    shutil.rmtree(d)
    return status()


if __name__ == "__main__":
    sys.exit(main())
