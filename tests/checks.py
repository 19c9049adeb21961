"""Pass/fail bookkeeping shared by the Python test scripts.

A script calls check(cond, what) for each property it tests (one line "ok: ..."
or "FAIL: ..." each) and ends with sys.exit(status()) or sys.exit(finish()),
non-zero when any check failed. A script that makes many checks, or wants its
failures on stderr, sets the two options below once, before its first check:

    checks.quiet = True       # print only the FAIL lines, not the "ok: ..." ones
    checks.out = sys.stderr   # where check() and finish() print (None: stdout)
"""

failures = 0
quiet = False
out = None


def check(cond, what):
    """Record one check and print its line; returns cond as a bool."""
    global failures
    ok = bool(cond)
    if not ok:
        failures += 1
    if not ok or not quiet:
        print(f"{'ok' if ok else 'FAIL'}: {what}", file=out)
    return ok


def status():
    """The exit status of the script: 1 when a check failed, else 0."""
    return 1 if failures else 0


def finish():
    """Print the count of failed checks and return status()."""
    print(f"{failures} failure(s)", file=out)
    return status()
