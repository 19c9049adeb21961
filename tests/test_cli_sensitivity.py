#!/usr/bin/env python3
"""chokepoint tests: `chokepoint sensitivity` (suite cli).

Usage: test_cli_sensitivity.py PATH/TO/chokepoint PATH/TO/configs/korea-rare-earths.yaml

A sensitivity run of two keys (a stockpile and a transition probability) is
checked against separate `run`s of the variant scenario files edited by hand
(by text, with the transition row rescaled here): the baseline mean loss and
every policy's mean benefit at each swing agree bit for bit (through `export`,
whose numbers round-trip), the paired standard error of each swing equals the
one computed here from the two variants' per-path losses, and the tornado
order, regret table and robustness follow from those numbers. The refusals
(unknown keys, entries and indices, values out of range, a transition row
that cannot be rescaled, a malformed `sensitivity:` section) carry the
scenario file's own messages. Output is the same for 1 and 2 threads.
"""
import csv
import io
import math
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

EXE, CONFIG = sys.argv[1], sys.argv[2]
N = "600"

K1 = "materials[NdPr].stockpile.days"
K2 = "suppliers[CN].transitions.licensing.restricted"
STOCK = "stockpile: {days: 90, target_days: 90, max_release: 0.5, trigger: 0.05, refill: 0.1}"
ROW = "licensing: [0.02, 0.945, 0.03, 0.005]"


def run(*args):
    p = subprocess.run([EXE, *args], capture_output=True, text=True, timeout=600)
    return p.returncode, p.stdout, p.stderr


def export(path, what):
    rc, out, err = run("export", path, what)
    check(rc == 0, f"export {path} {what}: {err}")
    return list(csv.DictReader(io.StringIO(out)))


def edited(text, old, new):
    assert text.count(old) == 1, old
    return text.replace(old, new)


def stock_variant(text, days):
    return edited(text, STOCK, STOCK.replace("days: 90,", f"days: {days},", 1))


def row_variant(text, v):
    """The CN licensing row with entry `restricted` = v, the others scaled by
    (1 - v) / S, S their sum in row order (the documented rule)."""
    e = [0.02, 0.945, 0.03, 0.005]
    s = 0.0
    for k in (0, 1, 3):
        s += e[k]
    new = [e[k] * (1.0 - v) / s if k != 2 else v for k in range(4)]
    return edited(text, ROW, "licensing: [" + ", ".join(repr(x) for x in new) + "]")


def variant_run(tmp, name, text):
    path = os.path.join(tmp, name + ".yaml")
    with open(path, "w") as f:
        f.write(text)
    h5 = os.path.join(tmp, name + ".h5")
    rc, out, err = run("run", path, "-n", N, "-q", "-o", h5)
    check(rc == 0, f"run {name}: {err}")
    loss = [r for r in export(h5, "summary") if r["metric"] == "loss_total"]
    base = [r for r in loss if r["policy"] == "baseline"][0]
    ben = {r["policy"]: float(r["benefit_mean"]) for r in export(h5, "benefit")}
    rc, out, err = run("export", h5, "paths", "--policy", "baseline")
    paths = [float(r["loss_total"]) for r in csv.DictReader(io.StringIO(out))]
    return float(base["mean"]), ben, paths


def paired_se(a, b):
    d = [y - x for x, y in zip(a, b)]
    m = sum(d) / len(d)
    return math.sqrt(sum((x - m) ** 2 for x in d) / (len(d) - 1) / len(d))


with open(CONFIG) as f:
    TEXT = f.read()

with tempfile.TemporaryDirectory() as tmp:
    scen = os.path.join(tmp, "s.yaml")
    with open(scen, "w") as f:
        f.write(TEXT)
    sens_h5 = os.path.join(tmp, "sens.h5")
    rc, out1, err = run("sensitivity", scen, "-n", N, "-j", "1", "-q", "-o", sens_h5,
                        "--vary", f"{K1}=0,180", "--vary", f"{K2}=0.01,0.12")
    check(rc == 0, "sensitivity of two keys: " + err)
    for title in ("Tornado", "Mean benefit of each policy", "Regret", "Robustness"):
        check(title in out1, f"the {title} table is printed")
    rc, out2, err = run("sensitivity", scen, "-n", N, "-j", "2", "-q",
                        "--vary", f"{K1}=0,180", "--vary", f"{K2}=0.01,0.12")
    check(rc == 0 and out1 == out2, "the same tables for 1 and 2 threads")

    tor = export(sens_h5, "sensitivity")
    reg = export(sens_h5, "regret")
    rob = export(sens_h5, "robustness")
    variants = {
        (K1, "low"): stock_variant(TEXT, 0), (K1, "high"): stock_variant(TEXT, 180),
        (K2, "low"): row_variant(TEXT, 0.01), (K2, "high"): row_variant(TEXT, 0.12)}
    got = {}
    for i, ((key, side), text) in enumerate(variants.items()):
        got[key, side] = variant_run(tmp, f"v{i}", text)
    base_mean, base_ben, _ = variant_run(tmp, "base", TEXT)

    # the tornado: means bit for bit, the paired se of each swing
    check(len(tor) == 4, f"4 tornado rows, got {len(tor)}")
    for r in tor:
        mean, _, _ = got[r["key"], r["swing"]]
        check(float(r["loss_mean"]) == mean,
              f"{r['key']} {r['swing']}: loss_mean {r['loss_mean']} == run's {mean!r}")
        lo, hi = got[r["key"], "low"], got[r["key"], "high"]
        check(float(r["loss_swing"]) == hi[0] - lo[0], f"{r['key']}: loss_swing")
        se = paired_se(lo[2], hi[2])
        check(abs(float(r["loss_swing_se"]) - se) <= 1e-9 * se,
              f"{r['key']}: paired se {r['loss_swing_se']} vs {se!r}")
    sw = [abs(float(r["loss_swing"])) for r in tor[::2]]
    check(sw == sorted(sw, reverse=True), "tornado sorted by the size of the swing")
    check(tor[0]["key"] == K2, "the transition key swings the loss most")

    # benefits, regret, ranks: from the variant runs' benefits
    pols = list(base_ben)
    for r in reg:
        b = got[r["key"], r["swing"]][1]
        check(float(r["benefit_mean"]) == b[r["policy"]],
              f"{r['key']} {r['swing']} {r['policy']}: benefit bit for bit")
        best = max(b.values())
        check(float(r["shortfall"]) == best - b[r["policy"]], f"shortfall of {r['policy']}")
        order = sorted(pols, key=lambda p: (-b[p], pols.index(p)))
        check(int(r["rank"]) == order.index(r["policy"]) + 1, f"rank of {r['policy']}")
    for r in tor:
        b = got[r["key"], r["swing"]][1]
        check(r["best"] == max(pols, key=lambda p: (b[p], -pols.index(p))), "best policy")
    for r in rob:
        p = r["policy"]
        vals = [got[k][1][p] for k in variants]
        check(float(r["base_benefit"]) == base_ben[p], f"{p}: unswung benefit")
        check(float(r["benefit_worst"]) == min(vals) and float(r["benefit_best"]) == max(vals),
              f"{p}: worst and best over the swings")
        shorts = [max(got[k][1].values()) - got[k][1][p] for k in variants]
        check(float(r["max_shortfall"]) == max(shorts), f"{p}: maximum regret")
    moves = any(int(r["rank"]) != int(r["base_rank"]) for r in reg)
    check(("changes at some swing" in out1) == moves, "the ranking-changes line")

    # the group opens in xarray with labelled coordinates, holding the exported numbers
    import xarray as xr
    with xr.open_dataset(sens_h5, engine="h5netcdf", group="sensitivity") as ds:
        for r in tor:
            v = ds.loss_mean.sel(key=r["key"], swing=r["swing"]).item()
            check(v == float(r["loss_mean"]), f"xarray loss_mean {r['key']} {r['swing']}")
        for r in reg:
            v = ds.shortfall.sel(key=r["key"], swing=r["swing"], policy=r["policy"]).item()
            check(v == float(r["shortfall"]), f"xarray shortfall {r['policy']}")
        check(list(ds.policy.values) == pols and ds.attrs["nkeys"] == 2, "xarray coordinates")

    # the sensitivity: section gives the same tables as --vary
    sec = os.path.join(tmp, "sec.yaml")
    with open(sec, "w") as f:
        f.write(TEXT + f"\nsensitivity:\n  - {{key: '{K1}', low: 0, high: 180}}\n"
                f"  - {{key: '{K2}', low: 0.01, high: 0.12}}\n")
    rc, out3, err = run("sensitivity", sec, "-n", N, "-q")
    check(rc == 0 and out3.split("\n", 1)[1] == out1.split("\n", 1)[1],
          "the sensitivity: section gives the tables of --vary: " + err)
    rc, out, err = run("validate", sec)
    check(rc == 0 and "sensitivity: 2 keys to swing" in out,
          "validate accepts and checks a sensitivity: section: " + err)

    # refusals: the scenario file's messages
    def refused(vary, *pattern, file=scen):
        rc, out, err = run("sensitivity", file, "-n", "10", "-q", "--vary", vary)
        check(rc == 2 and all(re.search(p, err) for p in pattern) and "Traceback" not in err,
              f"--vary {vary} refused with {pattern}: rc {rc}: {err}")
        return err

    def file_message(text):
        bad = os.path.join(tmp, "bad.yaml")
        with open(bad, "w") as f:
            f.write(text)
        rc, out, err = run("validate", bad)
        check(rc == 2, "the edited file is refused")
        return err.strip().split("bad.yaml", 1)[1]

    err = refused(f"{K1}=-5,90", "expected a number >= 0, found -5")
    check(err.strip().endswith(file_message(stock_variant(TEXT, -5))),
          "the out-of-range value has the message of a file with that value: " + err)
    err = refused("materials[NdPr].stockpile.dayz=0,9", r"unknown key 'dayz' \(did you mean 'days'\?\)")
    msg = file_message(edited(TEXT, STOCK, STOCK.replace("days: 90,", "dayz: 90,", 1)))
    strip = lambda m: re.sub(r"^.*?:\d+:\d+: ", "", m.strip().split(": ", 1)[1])
    check(strip(err) == re.sub(r"^:\d+:\d+: ", "", msg),
          "an unknown key has the message of a file with that key: " + err + " vs " + msg)
    refused("materials[NdPX].stockpile.days=0,9", r"unknown material 'NdPX'", "did you mean 'NdPr'")
    refused("materials[NdPr].routes[99].share=0,1", r"routes: index \[99\] out of range")
    refused("materials[NdPr].price.elasticity=0,1", r"price.elasticity: expected a number > 0")
    refused(f"{K2}=0.1,1.5", r"licensing.restricted: expected a number in \[0, 1\], found 1.5")
    refused("suppliers[CN].transitions.licensing.restrictd=0,1", "unknown regime 'restrictd'")
    refused("seed=1,2", "run setting")
    refused("materials[NdPr]=1,2", "expected a single value")
    refused("materials[NdPr].stockpile.days", "expected KEY=LOW,HIGH")
    zero = os.path.join(tmp, "zero.yaml")
    with open(zero, "w") as f:
        f.write(edited(TEXT, "open: [0.94, 0.05, 0.008, 0.002]", "open: [1, 0, 0, 0]"))
    refused("suppliers[CN].transitions.open.open=0.5,0.9",
            r"zero.yaml:\d+:\d+: suppliers\[CN\].transitions.open.open: cannot keep the "
            r"transition row summing to 1", file=zero)
    rc, _, err = run("sensitivity", zero, "-n", "10", "-q", "--vary",
                     "suppliers[CN].transitions.open.licensing=0.1,0.2")
    check(rc == 0, "the other entry 1 of the row is rescaled: " + err)
    rc, _, err = run("sensitivity", zero, "-n", "10", "-q", "--vary",
                     "suppliers[CN].transitions.open.open=1,1")
    check(rc == 0, "v = 1 in a row whose others are 0 needs no rescaling: " + err)

    def section_refused(entry, pattern):
        p = os.path.join(tmp, "secbad.yaml")
        with open(p, "w") as f:
            f.write(TEXT + "\nsensitivity:\n  - " + entry + "\n")
        rc, out, err = run("validate", p)
        check(rc == 2 and re.search(pattern, err), f"section {entry}: {err}")

    section_refused(f"{{key: '{K1}', low: 0}}", r"sensitivity\[0\].*: missing key 'high'")
    section_refused(f"{{key: '{K1}', low: 0, high: 1, hgh: 2}}", r"unknown key 'hgh'")
    section_refused(f"{{key: '{K1}', low: x, high: 1}}", r"sensitivity\[0\].low: expected")
    p = os.path.join(tmp, "seckey.yaml")
    with open(p, "w") as f:
        f.write(TEXT + "\nsensitivity:\n  - {key: 'materials[NdPr].stockpile.days', "
                "low: -1, high: 1}\n")
    line = TEXT.count("\n") + 3
    for cmd in (["sensitivity", p, "-n", "10", "-q"], ["validate", p]):
        rc, out, err = run(*cmd)
        check(rc == 2 and f"seckey.yaml:{line}:" in err and "expected a number >= 0" in err,
              f"{cmd[0]}: a bad value of the section is refused at its own line: " + err)

    # the output file: no overwrite, nothing written on bad input
    rc, _, err = run("sensitivity", scen, "-n", "10", "-q", "-o", sens_h5, "--vary", f"{K1}=0,9")
    check(rc != 0 and "--force" in err, "an existing output is refused without --force")
    none = os.path.join(tmp, "none.h5")
    run("sensitivity", scen, "-n", "10", "-q", "-o", none, "--vary", f"{K1}=-1,9")
    check(not os.path.exists(none), "nothing written for a refused key")
    check([f for f in os.listdir(tmp) if ".tmp-" in f] == [], "no temporary file left")

    # a stop signal: nothing at the target, no temporary file, exit 128 + SIGINT
    import signal
    import time
    sig = os.path.join(tmp, "sig.h5")
    p = subprocess.Popen([EXE, "sensitivity", scen, "-n", "4000000", "-q", "-o", sig,
                          "--vary", f"{K1}=0,9"], stderr=subprocess.PIPE, text=True)
    while not [f for f in os.listdir(tmp) if f.startswith(".sig.h5.tmp-")] and p.poll() is None:
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    err = p.communicate(timeout=600)[1]
    check(p.returncode == 128 + signal.SIGINT and "nothing was written" in err,
          f"SIGINT stops the run: rc {p.returncode}: {err}")
    check(not os.path.exists(sig) and not [f for f in os.listdir(tmp) if ".tmp-" in f],
          "after SIGINT neither the target nor a temporary file")

sys.exit(checks.finish())
