#!/usr/bin/env python3
"""chokepoint tests: the command line of `chokepoint run` (suite cli).

Usage: test_cli_run.py PATH/TO/chokepoint

Exit statuses, messages for bad input, the policy table, and that stdout is a
function of the scenario, seed and path range only (not of threads or batch).
"""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402  (tests/checks.py)
from checks import check  # noqa: E402
checks.quiet = True  # only the FAIL lines, on stderr
checks.out = sys.stderr

EXE = sys.argv[1]


def run(*args, env=None):
    e = dict(os.environ)
    if env:
        e.update(env)
    p = subprocess.run([EXE, *args], capture_output=True, text=True, env=e, timeout=600)
    return p.returncode, p.stdout, p.stderr


def table_rows(stdout):
    """Policy name -> list of cells of the table rows (after the header line)."""
    lines = stdout.splitlines()
    hdr = [i for i, l in enumerate(lines) if l.split()[:1] == ["policy"]]
    if not hdr:
        return {}
    rows = {}
    for l in lines[hdr[0] + 1:]:
        if l.strip():
            rows[l.split()[0]] = l.split()[1:]
    return rows


# ---- top level -------------------------------------------------------------
rc, out, err = run("--help")
check(rc == 0 and "run" in out and "validate" in out, "chokepoint --help")
rc, out, err = run("--version")
check(rc == 0 and re.match(r"chokepoint \d+\.\d+\.\d+", out), "chokepoint --version: " + out)
rc, out, err = run("frobnicate")
check(rc == 2 and "unknown command" in err and "Usage" in err, "unknown command exit 2")
rc, out, err = run()
check(rc == 2 and "Usage" in err, "no command exit 2")

# ---- run --help lists every option with its default -------------------------
rc, out, err = run("run", "--help")
check(rc == 0, "run --help exit 0")
for opt in ["-n, --paths", "-s, --seed", "-j, --threads", "-p, --policy", "--antithetic",
            "-q, --quiet", "--first-path", "--batch", "-o, --output", "--force", "--compress",
            "-h, --help"]:
    check(opt in out, "run --help lists " + opt)
check(out.count("default") >= 9, "run --help states defaults")

# ---- bad numbers and options ------------------------------------------------
bad = [
    (["-n", "12abc"], "12abc"),
    (["-n", "-5"], "-5"),
    (["-n", "0"], "0"),
    (["--paths=99999999999999999999999"], "99999999999999999999999"),
    (["-n", ""], "''"),
    (["-n", " 12"], " 12"),
    (["-s", "-1"], "-1"),
    (["-s", "18446744073709551616"], "18446744073709551616"),
    (["-j", "two"], "two"),
    (["-j", "-1"], "-1"),
    (["--batch", "1.5"], "1.5"),
    (["--first-path", "+3"], "+3"),
    (["--compress", "10"], "10"),
]
for args, shown in bad:
    rc, out, err = run("run", *args, "-q")
    check(rc == 2, "run %s: exit %d, expected 2" % (args, rc))
    check(shown.strip("'") in err and "expects a whole number" in err,
          "run %s: message names the value: %r" % (args, err))
    check(out == "", "run %s: nothing on stdout" % (args,))
rc, out, err = run("run", "-n")
check(rc == 2 and "needs a value" in err, "missing value: %r" % err)
rc, out, err = run("run", "--bogus")
check(rc == 2 and "unknown option" in err and "--bogus" in err, "unknown option: %r" % err)
rc, out, err = run("run", "--quiet=1")
check(rc == 2 and "takes no value" in err, "flag with value: %r" % err)
rc, out, err = run("run", "--force", "-n", "10")
check(rc == 2 and "--output" in err, "--force without -o: %r" % err)
rc, out, err = run("run", "a.yaml", "b.yaml")
check(rc == 2 and "more than one" in err, "two files: %r" % err)
rc, out, err = run("run", "/nonexistent/scenario.yaml", "-q")
check(rc == 2 and "scenario.yaml" in err, "missing scenario file: rc %d %r" % (rc, err))
rc, out, err = run("run", "-n", "7", "--antithetic", "-q")
check(rc == 2 and "even" in err, "odd antithetic: rc %d %r" % (rc, err))

# ---- unknown policy: exit 2 and the known names ------------------------------
rc, out, err = run("run", "-n", "10", "-p", "no_such_policy", "-q")
check(rc == 2 and "no_such_policy" in err and "baseline" in err, "unknown policy: %r" % err)
known = err.split(" has:")[-1].split() if " has:" in err else []
check(len(known) >= 1 and known[0] == "baseline", "known policies listed: %r" % known)

# ---- the table ---------------------------------------------------------------
rc, out1, err1 = run("run", "-n", "200", "-q", "-j", "1")
check(rc == 0, "run -n 200 -q: exit %d %s" % (rc, err1))
check(err1 == "", "-q prints nothing on stderr: %r" % err1)
rows = table_rows(out1)
check(sorted(rows) == sorted(known), "a row per policy: %r vs %r" % (sorted(rows), known))
check("paths" in out1 and "200 paths" in out1, "table header states the paths")
for name, cells in rows.items():
    nums = [float(c) for c in cells[:5]]
    check(nums[1] <= nums[2] <= nums[3] <= nums[4] + 1e-9,
          "%s: median <= p95 <= p99 <= CVaR99: %r" % (name, nums))
if "baseline" in rows:
    check(len(rows["baseline"]) == 5, "baseline row has no benefit columns: %r"
          % rows["baseline"])

rc, out2, _ = run("run", "-n", "200", "-q", "-j", "1")
check(rc == 0 and out2 == out1, "same seed twice: identical stdout")
rc, out3, _ = run("run", "-n", "200", "-q", "-j", "2", "--batch", "7")
check(rc == 0 and out3 == out1, "-j 1 vs -j 2 --batch 7: identical stdout")
rc, out4, _ = run("run", "-n", "200", "-q", "-s", "424242")
check(rc == 0 and out4 != out1, "another seed changes the table")
rc, out5, _ = run("run", "-n", "200", "-q", "--seed=424242", "-j2")
check(rc == 0 and out5 == out4, "--seed=S and -jN forms")

if len(known) >= 2:
    pick = known[-1]
    rc, out6, _ = run("run", "-n", "200", "-q", "-p", pick, "-p", pick)
    r6 = table_rows(out6)
    check(rc == 0 and sorted(r6) == sorted(["baseline", pick]),
          "-p %s gives baseline and %s: %r" % (pick, pick, sorted(r6)))
    if pick in r6 and pick in rows:
        check(r6[pick] == rows[pick], "a policy's row does not depend on the others run")

# ---- a scenario file and -o ---------------------------------------------------
src = os.environ.get("CKP_SOURCE_ROOT")
if src:
    minimal = os.path.join(src, "configs", "examples", "minimal.yaml")
    if os.path.exists(minimal):
        rc, out, err = run("run", minimal, "-n", "100", "-q")
        check(rc == 0 and list(table_rows(out)) == ["baseline"],
              "run minimal.yaml: rc %d %r %r" % (rc, out, err))

with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "r.h5")
    rc, out, err = run("run", "-n", "100", "-q", "-o", path)
    check(rc == 0 and os.path.exists(path), "run -o: rc %d %r" % (rc, err))
    if rc == 0:
        rc0, ref, _ = run("run", "-n", "100", "-q")
        check(table_rows(out) == table_rows(ref),
              "table from the file equals the table from memory:\n%s\n%s" % (out, ref))
        rc, _, err = run("run", "-n", "100", "-q", "-o", path)
        check(rc == 1 and path in err, "existing output refused: rc %d %r" % (rc, err))
        rc, _, err = run("run", "-n", "100", "-q", "-o", path, "--force", "--compress", "4")
        check(rc == 0, "--force replaces: rc %d %r" % (rc, err))

sys.exit(checks.finish())
