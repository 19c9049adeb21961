#!/usr/bin/python3
"""The memory estimate before a run (issue 12, item 5) and the horizon bound
of D6: a scenario whose per-path scratch (months x suppliers x materials)
would need tens of GB per thread is refused by the loader (exit 2); a run
whose estimate passes the memory available or --max-memory is refused
before it allocates, with the estimate and the options that lower it
(exit 1, "out of memory"), and runs once those options bring it under.

usage: test_memory_estimate.py CHOKEPOINT
"""
import os
import re
import resource
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402  (tests/checks.py)
from checks import check  # noqa: E402


def scenario(path, S, M, T):
    """S suppliers, M materials, 4 regimes, T months; every material from S0."""
    lines = ["version: 1", "name: wide", "importer: S0", f"horizon_months: {T}",
             "regimes: [r0, r1, r2, r3]", "suppliers:"]
    lines += [f"  - name: S{i}" for i in range(S)]
    lines.append("materials:")
    for m in range(M):
        lines.append(f"  - name: M{m}\n    routes: [{{path: [S0], share: 1}}]\n"
                     "    price: {base: 1, volume: 1, elasticity: 0.3, cap: 2}")
    lines.append("industries:\n  - name: all\n    output: 1.0e9\n    criticality: {M0: 0.5}")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def run(exe, *args, timeout=120):
    return subprocess.run([exe, *args], capture_output=True, text=True, timeout=timeout)


def mem_available():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    return None


def main():
    exe = sys.argv[1]
    with tempfile.TemporaryDirectory() as d:
        # D6: validated before, then 19+ GB per thread in `run`
        d6 = os.path.join(d, "d6.yaml")
        scenario(d6, 1000, 1000, 1200)
        r = run(exe, "validate", d6)
        check(r.returncode == 2 and "path cells" in r.stderr and "horizon_months" in r.stderr,
              f"1000 x 1000 x 1200 refused by validate ({r.returncode}: {r.stderr.strip()})")
        r = run(exe, "run", d6, "-n", "2", "-q")
        check(r.returncode == 2, "and by run, before it allocates")

        # Within the limits: 1000 suppliers x 50 materials x 200 months, about
        # 320 MB of scratch per thread.
        wide = os.path.join(d, "wide.yaml")
        scenario(wide, 1000, 50, 200)
        r = run(exe, "validate", wide)
        check(r.returncode == 0, f"1000 x 50 x 200 validates ({r.stderr.strip()})")
        r = run(exe, "run", wide, "-n", "2", "-q", "-j", "2", "--max-memory", "500M")
        m = re.search(r"needs about ([0-9.]+) MiB \(2 threads x ([0-9.]+) MiB of scratch", r.stderr)
        check(r.returncode == 1 and "out of memory" in r.stderr and m and "-j" in r.stderr
              and "500.0 MiB limit of --max-memory" in r.stderr,
              f"2 threads over --max-memory 500M: refused with the estimate ({r.stderr.strip()})")
        per_thread = float(m.group(2)) if m else 0
        check(250 < per_thread < 450, f"the scratch estimate per thread is {per_thread} MiB")

        # One thread fits; the estimate is not below what the run really uses.
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        r = run(exe, "run", wide, "-n", "2", "-q", "-j", "1", "--max-memory", "500M")
        peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
        check(r.returncode == 0, f"1 thread under --max-memory 500M runs ({r.stderr.strip()})")
        r1 = run(exe, "run", wide, "-n", "2", "-q", "-j", "1", "--max-memory", "1M")
        m1 = re.search(r"needs about ([0-9.]+) MiB", r1.stderr)
        est = float(m1.group(1)) * 2**20 if m1 else 0
        check(r1.returncode == 1 and est > 0, f"1 thread over 1M: refused ({r1.stderr.strip()})")
        if peak > before * 1024:
            check(est >= peak * 0.9 - 64 * 2**20,
                  f"the estimate {est / 2**20:.0f} MiB covers the run's peak RSS "
                  f"{peak / 2**20:.0f} MiB (less the program's own ~64 MiB)")

        # Without --max-memory, the memory available is the limit: enough
        # threads that the scratch alone passes twice MemAvailable.
        avail = mem_available()
        if avail and per_thread > 0:
            threads = int(2 * avail / (per_thread * 2**20)) + 2
            if threads <= 4096:
                r = run(exe, "run", wide, "-n", "2", "-q", "-j", str(threads))
                check(r.returncode == 1 and "available (MemAvailable)" in r.stderr,
                      f"{threads} threads: refused against MemAvailable ({r.stderr.strip()[:160]})")
        r = run(exe, "run", "-n", "10", "-q", "--max-memory", "lots")
        check(r.returncode == 2, "a bad --max-memory is a usage error")
        r = run(exe, "run", "-n", "10", "-q", "--max-memory", "none")
        check(r.returncode == 0, "--max-memory none skips the check")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
