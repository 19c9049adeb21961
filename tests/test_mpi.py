#!/usr/bin/python3
"""`mpirun -np N chokepoint run ... -o F.h5` on the MPI build (suite `mpi`).

The file of 1, 2 and 3 ranks, with other thread counts and batch sizes, with
antithetic pairs and with --first-path, must equal the single-process run's
dataset by dataset and attribute by attribute (all but created_utc and
command_line), and the printed table must be the same; progress notes come
from rank 0 only and nothing is left beside the file. A rank that fails (an
unknown kernel in rank 1's environment only) ends the job with a message naming it and a
non-zero status, nothing at the target and nothing beside it. A rank stopped
by SIGTERM, or killed by SIGKILL, ends the job with a non-zero status and
nothing at the target; SIGTERM leaves no temporary file; the same command
with --resume then finishes to the single-process file and leaves nothing
beside it (it also removes the temporary file a SIGKILLed rank could not).

Usage: test_mpi.py CHOKEPOINT_EXE (built with -Dmpi=enabled); mpirun on PATH.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import same_results  # noqa: E402  (tests/same_results.py)
import checks  # noqa: E402  (tests/checks.py)
from checks import check  # noqa: E402

EXE = os.path.abspath(sys.argv[1])
SKIP = {"created_utc", "command_line"}
ENV = dict(os.environ, OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1",
           OMPI_MCA_pml="ob1", OMPI_MCA_btl="self,vader", OMPI_MCA_rmaps_base_oversubscribe="1")
MPIRUN = ["mpirun", "--oversubscribe", "--bind-to", "none"]


def differences(pa, pb):
    """What differs between two results files, but the attributes in SKIP (same_results.py)."""
    return same_results.differences(pa, pb, SKIP)


def run(cmd, cwd, timeout=600):
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=ENV, timeout=timeout)
    return p.returncode, p.stdout, p.stderr


def mpi(n, args, cwd, wrap=None):
    return run(MPIRUN + ["-np", str(n)] + (wrap or []) + [EXE, "run"] + args, cwd)


def rank_pid(rank, target):
    """The pid of the chokepoint process of `rank` writing `target`, or None."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                cmd = f.read().split(b"\0")
            with open(f"/proc/{pid}/environ", "rb") as f:
                env = f.read().split(b"\0")
        except OSError:
            continue
        if cmd and os.path.basename(cmd[0]) == b"chokepoint" and target.encode() in cmd and \
                f"OMPI_COMM_WORLD_RANK={rank}".encode() in env:
            return int(pid)
    return None


def stop_rank(d, sig, args, target):
    """Start a 2-rank job, send sig to rank 1 once its checkpoint exists."""
    p = subprocess.Popen(MPIRUN + ["-np", "2", EXE, "run"] + args, cwd=d, env=ENV,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ckpt = os.path.join(d, f"..{target}.rank-1-of-2.ckpt")
    deadline = time.time() + 300
    pid = None
    while time.time() < deadline and p.poll() is None:
        pid = pid or rank_pid(1, target)
        if pid and os.path.exists(ckpt):
            os.kill(pid, sig)
            break
        time.sleep(0.05)
    try:
        out, err = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
        return None, err
    return p.returncode, err


def main():
    d = tempfile.mkdtemp(prefix="ckp-mpi-")
    try:
        common = ["-n", "2500", "-s", "5"]
        rc, one_out, err = run([EXE, "run", *common, "-q", "-o", "one.h5", "-j", "2"], d)
        assert rc == 0, err
        cases = [(1, ["-j", "2"]), (2, ["-j", "1", "--batch", "100"]),
                 (3, ["-j", "2", "--batch", "333"]), (3, ["-j", "1", "--batch", "2500"])]
        for i, (n, extra) in enumerate(cases):
            name = f"np{n}-{i}.h5"
            rc, out, err = mpi(n, common + ["-o", name] + extra, d)
            check(rc == 0, f"mpirun -np {n} {' '.join(extra)}: exit 0 ({err.strip()[-300:]})")
            diff = differences(os.path.join(d, "one.h5"), os.path.join(d, name)) if rc == 0 \
                else ["(no file)"]
            check(not diff, f"-np {n} {' '.join(extra)}: file equals one process {diff[:4]}")
            check(out == one_out, f"-np {n}: the same policy table, printed once")
            check(err.count(f"wrote {name}") == 1, f"-np {n}: one note, from rank 0: {err!r}")
            check(sorted(os.listdir(d)) == sorted(["one.h5"] + [f"np{m}-{j}.h5" for j, (m, _)
                                                               in enumerate(cases[:i + 1])]),
                  f"-np {n}: nothing left beside the file {sorted(os.listdir(d))}")

        # Antithetic pairs split between 3 ranks; a range that starts at 1000.
        for name, args, n in [("anti", ["-n", "2400", "--antithetic", "-s", "9"], 3),
                              ("first", ["-n", "2000", "--first-path", "1000", "-s", "9"], 2)]:
            rc, _, err = run([EXE, "run", *args, "-q", "-o", name + "1.h5"], d)
            assert rc == 0, err
            rc, _, err = mpi(n, args + ["-q", "-o", name + "N.h5", "-j", "1"], d)
            check(rc == 0 and not differences(os.path.join(d, name + "1.h5"),
                                              os.path.join(d, name + "N.h5")),
                  f"{name}: -np {n} equals one process ({err.strip()[-200:]})")
        keep = sorted(os.listdir(d))

        # Rank 1 alone fails (an unknown kernel in its environment; a file-size
        # limit would already stop MPI_Init's shared-memory file): the job
        # ends non-zero, naming it, after rank 0 finished its piece.
        wrap = ["sh", "-c", 'if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then export CKP_KERNEL=nosuch; '
                'fi; exec "$0" "$@"']
        rc, _, err = mpi(2, common + ["-o", "fail.h5"], d, wrap=wrap)
        check(rc == 2 and "rank 1 of 2 failed (exit status 2)" in err and "nosuch" in err,
              f"a failing rank: exit {rc}, named ({err.strip()[-300:]})")
        check(sorted(os.listdir(d)) == keep, f"a failing rank: nothing left {os.listdir(d)}")

        # Too few paths for the ranks; an existing target: refused by every rank.
        rc, _, err = mpi(3, ["-n", "2", "-o", "few.h5"], d)
        check(rc == 2 and err.count("cannot be split over 3 ranks") == 1,
              f"2 paths over 3 ranks: exit 2, said once ({err.strip()})")
        rc, _, err = mpi(2, common + ["-o", "one.h5"], d)
        check(rc == 1 and "--force" in err, f"existing target refused ({err.strip()})")
        check(sorted(os.listdir(d)) == keep, "refusals leave nothing")

        # SIGTERM and SIGKILL to rank 1, then --resume.
        big = ["-n", "12000", "-s", "5", "-j", "1", "--batch", "256", "--checkpoint-every", "0"]
        rc, _, err = run([EXE, "run", *big, "-q", "-o", "big1.h5", "-j", "2"], d)
        assert rc == 0, err
        keep = sorted(os.listdir(d))
        for sig in (signal.SIGTERM, signal.SIGKILL):
            target = f"stop{int(sig)}.h5"
            rc, err = stop_rank(d, sig, big + ["-q", "-o", target], target)
            left = [f for f in os.listdir(d) if f not in keep]
            check(rc is not None and rc != 0 and target not in left,
                  f"{sig.name} to rank 1: job ends non-zero ({rc}), nothing at the target")
            if sig == signal.SIGTERM:
                check(not [f for f in left if ".tmp-" in f],
                      f"SIGTERM: no temporary file left {left}")
            rc, _, err = mpi(2, big + ["-q", "--resume", "-o", target], d)
            check(rc == 0 and not differences(os.path.join(d, "big1.h5"),
                                              os.path.join(d, target)),
                  f"{sig.name}: --resume finishes to the one-process file ({err.strip()[-200:]})")
            check(sorted(os.listdir(d)) == sorted(keep + [target]),
                  f"{sig.name}: nothing left after --resume {sorted(os.listdir(d))}")
            keep = sorted(os.listdir(d))
    finally:
        shutil.rmtree(d)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
