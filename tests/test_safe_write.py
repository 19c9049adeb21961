#!/usr/bin/python3
"""Safe writing of results files by `chokepoint run -o`, and the summary and
replay commands' handling of bad input.

After any failure nothing appears at the target and an earlier file there is
intact, and no temporary file is left behind (except after SIGKILL, which no
process can clean up after: the stray `.NAME.tmp-XXXXXX` is then refused by
`summary`). Cases: existing target without --force (exit 1), --force, a bad
scenario (exit 2), a full disk simulated with RLIMIT_FSIZE (SIGXFSZ ignored so
write(2) fails with EFBIG), and SIGKILL in the middle of a run.

Usage: test_safe_write.py CHOKEPOINT_EXE
"""
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402  (tests/checks.py)
from checks import check  # noqa: E402

EXE = sys.argv[1]


def run(*args, limit=None):
    def pre():
        if limit is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))
    p = subprocess.run([EXE, *args], capture_output=True, text=True, preexec_fn=pre)
    return p.returncode, p.stdout, p.stderr


def temps(d):
    return [n for n in os.listdir(d) if ".tmp-" in n]


def read(p):
    with open(p, "rb") as f:
        return f.read()


d = tempfile.mkdtemp(prefix="ckp-safe-")
try:
    target = os.path.join(d, "out.h5")
    precious = b"an earlier results file\n"

    # A first good file.
    rc, out, err = run("run", "-n", "300", "-q", "-o", target)
    check(rc == 0 and os.path.exists(target) and not temps(d), "run -o writes the file")
    first = read(target)
    rc, out, err = run("summary", target)
    check(rc == 0 and "baseline" in out and "300" in out, "summary prints the table")

    # Refuse to overwrite without --force.
    rc, out, err = run("run", "-n", "200", "-q", "-o", target)
    check(rc == 1 and "--force" in err and read(target) == first and not temps(d),
          f"existing target refused without --force, exit 1 ({rc}: {err.strip()})")

    # --force replaces it.
    rc, out, err = run("run", "-n", "200", "-q", "-o", target, "--force")
    check(rc == 0 and read(target) != first and not temps(d), "--force replaces the file")
    rc, out, err = run("summary", target)
    check(rc == 0 and "200 paths" in out, "summary of the replaced file")

    # Bad input: a broken scenario; nothing appears, an earlier file stays.
    bad = os.path.join(d, "bad.yaml")
    with open(bad, "w") as f:
        f.write("version: 1\nname: [oops\n")
    fresh = os.path.join(d, "fresh.h5")
    rc, out, err = run("run", bad, "-n", "100", "-q", "-o", fresh)
    check(rc == 2 and not os.path.exists(fresh) and not temps(d),
          f"bad scenario: exit 2, nothing written ({rc})")
    with open(fresh, "wb") as f:
        f.write(precious)
    rc, out, err = run("run", bad, "-n", "100", "-q", "-o", fresh, "--force")
    check(rc == 2 and read(fresh) == precious and not temps(d),
          "bad scenario with --force: the earlier file is intact")
    rc, out, err = run("run", "-n", "100", "-q", "-o", fresh, "--compress", "12")
    check(rc == 2 and read(fresh) == precious, "bad compression level: exit 2, file intact")

    # Full disk: a 1 MB file-size limit, far less than the file needs.
    full = os.path.join(d, "full.h5")
    rc, out, err = run("run", "-n", "3000", "-q", "-o", full, limit=1 << 20)
    check(rc == 1 and not os.path.exists(full) and not temps(d),
          f"full disk: exit 1, no file, no temporary ({rc}: {err.strip()[:160]})")
    check("HDF5" in err or "File too large" in err, "full disk: the message says why")
    rc, out, err = run("run", "-n", "3000", "-q", "-o", fresh, "--force", limit=1 << 20)
    check(rc == 1 and read(fresh) == precious and not temps(d),
          "full disk with --force: the earlier file is intact")

    # SIGKILL in the middle of a larger run.
    killed = os.path.join(d, "killed.h5")
    p = subprocess.Popen([EXE, "run", "-n", "1000000", "-q", "-o", killed],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while time.time() - t0 < 60:
        ts = temps(d)
        if ts and os.path.getsize(os.path.join(d, ts[0])) > 2 << 20:
            break
        time.sleep(0.05)
    grew = bool(temps(d))
    p.send_signal(signal.SIGKILL)
    p.wait()
    check(grew and p.returncode == -signal.SIGKILL, "the run was killed while writing")
    check(not os.path.exists(killed), "killed run: nothing at the target")
    ts = temps(d)
    check(len(ts) == 1, "killed run: the temporary file is the only trace")
    if ts:
        rc, out, err = run("summary", os.path.join(d, ts[0]))
        check(rc == 2 and ("incomplete" in err or "cannot open" in err),
              f"summary refuses the killed run's temporary file ({err.strip()[:120]})")
        os.unlink(os.path.join(d, ts[0]))
    p = subprocess.Popen([EXE, "run", "-n", "1000000", "-q", "-o", fresh, "--force"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    t0 = time.time()
    while time.time() - t0 < 60 and not temps(d):
        time.sleep(0.05)
    time.sleep(0.5)
    p.send_signal(signal.SIGKILL)
    p.wait()
    check(read(fresh) == precious, "killed run with --force: the earlier file is intact")
    for n in temps(d):
        os.unlink(os.path.join(d, n))

    # summary and replay on bad input.
    rc, out, err = run("summary", os.path.join(d, "missing.h5"))
    check(rc == 2 and "missing.h5" in err and "no such file" in err,
          "summary of a missing file: exit 2")
    rc, out, err = run("summary", bad)
    check(rc == 2 and "not an HDF5 file" in err, "summary of a non-HDF5 file: exit 2")
    rc, out, err = run("summary")
    check(rc == 2, "summary without a file: exit 2")
    rc, out, err = run("summary", target, "--bogus")
    check(rc == 2 and "--bogus" in err, "summary with an unknown option: exit 2")
    rc, out, err = run("replay", target)
    check(rc == 2 and "--path" in err, "replay without --path: exit 2")
    rc, out, err = run("replay", target, "--path", "200")
    check(rc == 2 and "not in the file" in err, "replay of a path outside the file: exit 2")
    rc, out, err = run("replay", target, "--path", "-3")
    check(rc == 2, "replay of a negative path: exit 2")
    rc, out, err = run("replay", target, "--path", "3", "--policy", "nosuch")
    check(rc == 2 and "nosuch" in err, "replay of an unknown policy: exit 2")
    rc, out, err = run("replay", target, "--path", "3", "--format", "xml")
    check(rc == 2 and "xml" in err, "replay with an unknown format: exit 2")
    rc, out, err = run("replay", target, "--path", "199", "--policy", "alliance")
    check(rc == 0 and "month 1" in out and "bit for bit" in out, "replay table of a policy")
    rc, out, err = run("replay", bad, "--path", "0")
    check(rc == 2 and "not an HDF5 file" in err, "replay of a non-HDF5 file: exit 2")
finally:
    shutil.rmtree(d, ignore_errors=True)

sys.exit(checks.finish())
