"""Pass/fail bookkeeping shared by the Python test scripts.

A script calls check(cond, what) for each property it tests (one line "ok: ..."
or "FAIL: ..." each) and ends with sys.exit(status()), non-zero when any check
failed. Older scripts still carry their own copy of this; new ones import it.
"""

failures = 0


def check(cond, what):
    """Record one check and print its line; returns cond as a bool."""
    global failures
    print(("ok: " if cond else "FAIL: ") + what)
    if not cond:
        failures += 1
    return bool(cond)


def status():
    """The exit status of the script: 1 when a check failed, else 0."""
    return 1 if failures else 0


def finish():
    """Print the count of failed checks and return status()."""
    print(f"{failures} failure(s)")
    return status()
