#!/usr/bin/python3
"""Every command under an address-space limit (`ulimit -v` of 80 to 300 MB)
either works or fails with a clear "out of memory" error, within seconds;
it never hangs. A threaded OpenBLAS starts workers at load time that retry
a 128 MiB workspace forever when it does not fit, and its LU (the Leontief
inverse) does the same on one thread (issue 12, D5). A failed `run -o`
leaves nothing at the target.

usage: test_low_memory.py CHOKEPOINT [--sanitized]
(under a sanitizer the limit cannot be applied: its shadow memory alone is
terabytes of address space; the test then says so and passes.)
"""
import os
import resource
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402  (tests/checks.py)
from checks import check  # noqa: E402


def limited(kib):
    def apply():
        resource.setrlimit(resource.RLIMIT_AS, (kib * 1024, kib * 1024))
    return apply


def attempt(argv, kib, env):
    """(returncode, stderr), or (None, '') after 20 s."""
    try:
        r = subprocess.run(argv, capture_output=True, text=True, timeout=20,
                           preexec_fn=limited(kib), env=env)
        return r.returncode, r.stderr
    except subprocess.TimeoutExpired:
        return None, ""


def main():
    exe = sys.argv[1]
    if "--sanitized" in sys.argv[2:]:
        print("skip: a sanitizer build cannot run under ulimit -v")
        return 0
    # The threaded workers are the first hang: no OPENBLAS_NUM_THREADS here,
    # as a user's shell would have it.
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "GOTO_NUM_THREADS")}
    env["OMP_NUM_THREADS"] = "2"
    with tempfile.TemporaryDirectory() as d:
        good = os.path.join(d, "good.h5")
        r = subprocess.run([exe, "run", "-n", "200", "-q", "-o", good], capture_output=True,
                           text=True, timeout=120)
        check(r.returncode == 0, f"unlimited run -o works ({r.stderr.strip()})")
        worked = {}
        for kib in (80000, 150000, 200000, 300000, 600000):
            target = os.path.join(d, f"run-{kib}.h5")
            commands = {
                "validate": [exe, "validate"],
                "run": [exe, "run", "-n", "200", "-q"],
                "run -o": [exe, "run", "-n", "200", "-q", "-o", target],
                "summary": [exe, "summary", good],
                "replay": [exe, "replay", good, "--path", "worst"],
            }
            for name, argv in commands.items():
                rc, err = attempt(argv, kib, env)
                last = err.strip().splitlines()[-1] if err.strip() else ""
                check(rc is not None, f"{name} under ulimit -v {kib}: ends (rc {rc})")
                if rc is None:
                    continue
                check(rc == 0 or "out of memory" in err,
                      f"{name} under ulimit -v {kib}: works or says out of memory "
                      f"(rc {rc}: {last})")
                worked[(name, kib)] = rc == 0
                if name == "run -o" and rc != 0:
                    check(not os.path.exists(target), f"run -o under {kib}: nothing at the target")
        # With room for the workspace, the run works: the refusals above are
        # the limit, not a run that can never work.
        check(worked.get(("run -o", 600000)), "run -o works under ulimit -v 600000")
        check(worked.get(("validate", 150000)), "validate works under ulimit -v 150000")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
