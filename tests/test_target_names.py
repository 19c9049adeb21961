#!/usr/bin/python3
"""Awkward target names (issue 12, D13).

- A target that is a symbolic link to a missing file is refused before the
  run starts, by `run -o`, `merge -o` and `report -o` (before: the run went to
  the end and then found the name taken), and nothing is left beside it; with
  --force the link itself is replaced by the results, as a link to an
  existing file is.
- Targets of 231 to 255 bytes (NAME_MAX): the hidden files beside the target
  (.NAME.tmp-XXXXXX, .NAME.ckpt, .NAME.ckpt-records) would pass NAME_MAX, so
  their stem is cut and hashed. `run -o`, `export -o`, `report -o` and
  `summary -o` publish at such names; a `run -o` stopped by SIGTERM keeps its
  checkpoint under a name that fits and `--resume` finishes from it, equal to
  an uninterrupted run; two long names that differ only at the end get
  different checkpoints.
- Control characters (ESC, newline, others) in names are escaped when echoed
  to the terminal: a file name in an error message, and a policy name in
  `summary`'s table.

usage: test_target_names.py CHOKEPOINT
"""
import os
import signal
import subprocess
import sys
import tempfile
import time

import h5py

EXE = os.path.abspath(sys.argv[1])
SRC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import same_results  # noqa: E402
import checks  # noqa: E402  (tests/checks.py)
from checks import check  # noqa: E402


def run(*args, timeout=300):
    try:
        return subprocess.run([EXE, *args], capture_output=True, text=True, timeout=timeout,
                              errors="surrogateescape")
    except subprocess.TimeoutExpired:
        return subprocess.CompletedProcess(args, None, "", f"no answer within {timeout} s")


def hidden(d):
    return sorted(n for n in os.listdir(d) if n.startswith("."))


def dangling(d):
    link = os.path.join(d, "link.h5")
    os.symlink(os.path.join(d, "missing.h5"), link)
    good = os.path.join(d, "good.h5")
    r = run("run", "-n", "50", "-q", "-o", good)
    check(r.returncode == 0, "a good file")
    # -n 10^7 would take many minutes: a refusal that comes back at all came before the run
    for cmd in (["run", "-n", "10000000", "-q", "-o", link],
                ["merge", good, "-o", link], ["report", good, "-o", link]):
        r = run(*cmd, timeout=60)
        what = f"{cmd[0]} -o LINK-TO-MISSING"
        check(r.returncode == 1 and "symbolic link to a missing file" in r.stderr
              and "--force" in r.stderr, f"{what}: refused up front ({r.returncode}: "
                                         f"{r.stderr.strip()})")
        check(r.stdout == "", f"{what}: printed nothing on stdout")
        check(os.path.islink(link) and not os.path.exists(os.path.join(d, "missing.h5")),
              f"{what}: the link is as it was")
        check(hidden(d) == [], f"{what}: nothing beside it: {hidden(d)}")
    r = run("run", "-n", "50", "-q", "-o", link, "--force")
    check(r.returncode == 0 and not os.path.islink(link) and os.path.isfile(link)
          and not os.path.exists(os.path.join(d, "missing.h5")),
          "run -o LINK --force replaces the link itself")
    os.unlink(link)


def long_names(d):
    for n in (231, 244, 255):
        name = os.path.join(d, "r" * (n - 3) + ".h5")
        r = run("run", "-n", "100", "-q", "-o", name)
        check(r.returncode == 0, f"run -o a {n}-byte name ({r.returncode}: {r.stderr[-200:]})")
        r = run("summary", name)
        check(r.returncode == 0, f"summary of the {n}-byte name")
        for cmd, out in ((["export", name, "summary"], "e"), (["report", name], "h"),
                         (["summary", name, "--format", "csv"], "s")):
            target = os.path.join(d, out * n)
            r = run(*cmd, "-o", target)
            check(r.returncode == 0 and os.path.exists(target) and os.path.getsize(target) > 0,
                  f"{cmd[0]} -o a {n}-byte name ({r.returncode}: {r.stderr[-200:]})")
            if os.path.exists(target):
                os.unlink(target)
        check(hidden(d) == [], f"{n} bytes: nothing left beside the targets: {hidden(d)}")
        os.unlink(name)

    # SIGTERM then --resume at a 255-byte name; a second name differs only at its end
    base = "k" * 250
    a, b = os.path.join(d, base + "a.h5"), os.path.join(d, base + "b.h5")
    args = ["-n", "5000", "--batch", "100", "-q"]
    procs = []
    for t in (a, b):
        procs.append(subprocess.Popen([EXE, "run", *args, "-o", t], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.PIPE, text=True))
    t0 = time.time()
    while time.time() - t0 < 120 and len([n for n in hidden(d) if n.endswith(".ckpt")]) < 2:
        time.sleep(0.05)
    ckpts = [n for n in hidden(d) if n.endswith(".ckpt")]
    for p in procs:
        p.send_signal(signal.SIGTERM)
    for p in procs:
        p.communicate(timeout=120)
    check(len(ckpts) == 2 and all(len(n) <= 255 for n in ckpts),
          f"two checkpoints of names that fit: {[len(n) for n in ckpts]}")
    check(all(p.returncode == 143 for p in procs), f"stopped by SIGTERM: "
                                                   f"{[p.returncode for p in procs]}")
    kept = hidden(d)
    check(len([n for n in kept if ".ckpt" in n]) == 4 and not [n for n in kept if ".tmp-" in n],
          f"the checkpoints kept, no temporary file: {[n[-20:] for n in kept]}")
    for t in (a, b):
        r = run("run", *args, "-o", t, "--resume")
        check(r.returncode == 0,
              f"--resume at a 255-byte name ({r.returncode}: {r.stderr[-300:]})")
    check(hidden(d) == [], f"nothing left after the resumed runs: {hidden(d)}")
    ref = os.path.join(d, "ref.h5")
    run("run", *args, "-o", ref)
    for t in (a, b):
        diffs = same_results.differences(ref, t, {"created_utc", "command_line"})
        check(not diffs, f"the resumed file equals the uninterrupted run: {diffs[:3]}")


def control_chars(d):
    nasty = os.path.join(d, "no\x1b[31mpe\nfile\x07.h5")
    r = run("summary", nasty)
    err = r.stderr
    check(r.returncode == 2 and "\x1b" not in err and "\x07" not in err
          and len(err.strip().splitlines()) == 1 and "\\x1b[31m" in err and "\\n" in err,
          f"a missing file's name is escaped in the message: {err!r}")
    f = os.path.join(d, "pol.h5")
    r = run("run", "-n", "50", "-q", "-o", f)
    with h5py.File(f, "r+") as h:
        names = [x.decode() if isinstance(x, bytes) else x for x in h["policy"][()]]
        new = [names[0]] + ["evil\x1b]0;title\x07\nname" + n for n in names[1:]]
        for a, b in zip(names[1:], new[1:]):
            h.move("policies/" + a, "policies/" + b)
        # the dimension scale stays attached: write the names in place
        h["policy"][...] = new
    r = run("summary", f)
    out = r.stdout + r.stderr
    check(r.returncode == 0 and "\x1b" not in out and "\x07" not in out
          and out.count("evil\\x1b]0;title\\x07\\nname") == 2 * (len(names) - 1),
          f"summary's tables escape the policy names: {r.returncode} {out[:300]!r}")


def main():
    with tempfile.TemporaryDirectory() as d:
        dangling(d)
    with tempfile.TemporaryDirectory() as d:
        long_names(d)
    with tempfile.TemporaryDirectory() as d:
        control_chars(d)
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
