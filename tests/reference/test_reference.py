#!/usr/bin/python3
"""Interop test: the engine against the independent NumPy model (model_ref.py).

Runs the built `chokepoint` binary (argv[1]) on (a) the built-in default
scenario, (b) configs/japan-2010.yaml, (c) tests/reference/reference.yaml,
which exercises what the shipped scenarios do not, and (d) that scenario with
--antithetic and a non-zero first path; each with 200 paths.  For every
policy, 20 paths (the first 19 and the worst baseline path) are re-simulated
by model_ref.py from the results file alone (resolved scenario, generator
state) and every per-path metric must match: relative 1e-9 (absolute 1e-9
near 0), integer-valued metrics exactly.

It then compares the per-month statistics (exact means, histograms, fan-chart
bands; MODEL.md 5) of every path of a 40-path run of (c), and all paths of a
few random small scenarios (random_scenario.py) that reach the edges of
MODEL.md's parameter ranges.

It also checks that the reference's own reading of the scenario source (CSV
correlation, io_table, unexpanded policy changes) gives the parameters the
engine wrote back, that scenario (c) reaches the branches it is meant to
exercise, and that the comparison is sensitive (a perturbed parameter must
produce mismatches).
"""
import os
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import model_ref as ref  # noqa: E402
import random_scenario  # noqa: E402
import yaml  # noqa: E402

ROOT = os.environ.get("CKP_SOURCE_ROOT", os.path.dirname(os.path.dirname(HERE)))
FAILURES = []
RANDOM_SEEDS = range(1, 9)


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILURES.append(what)


def run(binary, tmp, name, args):
    out = os.path.join(tmp, name + ".h5")
    cmd = [binary, "run", *args, "-q", "--compress", "0", "-o", out]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr}")
    return ref.Results(out)


def compare_case(label, res, policies, first_path=0, events=None):
    names = [n for n, _ in policies]
    check(sorted(names) == sorted(res.policy_names),
          f"{label}: policies {names} match the file")
    check(res.first_path == first_path and res.paths == 200,
          f"{label}: path range {res.first_path}+{res.paths}")
    paths = ref.default_paths(res)
    bad, checked = ref.compare(res, policies, paths, events=events)
    for line in bad[:20]:
        print("     " + line)
    check(not bad and checked > 0,
          f"{label}: {checked} values on {len(paths)} paths x {len(policies)} policies, "
          f"{len(bad)} mismatches")
    return bad


def same_models(label, a, b):
    """The parameters model_ref derives from two texts of the same scenario."""
    ok = [n for n, _ in a] == [n for n, _ in b]
    for (name, ma), (_, mb) in zip(a, b):
        for key, va in vars(ma).items():
            vb = getattr(mb, key)
            if isinstance(va, np.ndarray):
                same = va.shape == vb.shape and np.allclose(va, vb, rtol=1e-14, atol=0)
            else:
                same = va == vb
            if not same:
                print(f"     {name}.{key}: {va!r} vs {vb!r}")
                ok = False
    check(ok, f"{label}: source and resolved YAML give the same parameters")


def main():
    binary = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="ckp-ref-") as tmp:
        # (a) built-in default scenario.
        res = run(binary, tmp, "default", ["-n", "200"])
        compare_case("default", res, ref.resolve_policies(ref.load_yaml(res.resolved)))

        # (b) configs/japan-2010.yaml.
        res = run(binary, tmp, "japan", [os.path.join(ROOT, "configs", "japan-2010.yaml"),
                                         "-n", "200"])
        compare_case("japan-2010", res, ref.resolve_policies(ref.load_yaml(res.resolved)))

        # (c) the reference scenario.
        scen = os.path.join(HERE, "reference.yaml")
        res = run(binary, tmp, "reference", [scen, "-n", "200"])
        pols = ref.resolve_policies(ref.load_yaml(res.resolved))
        same_models("reference", pols,
                    ref.resolve_policies(ref.load_yaml(res.source), HERE))
        check({(md.rule, md.propagation) for _, md in pols} ==
              {("bottleneck", "dynamic"), ("linear", "static"),
               ("independent", "dynamic")}, "reference: every rule and propagation")
        events = {}
        compare_case("reference", res, pols, events=events)
        print("     branches reached: " + ", ".join(f"{k} {v}" for k, v in sorted(events.items())))
        for need in ["copula", "no_copula", "regime_change", "triangular", "reroute",
                     "multi_country_route_blocked", "below_trigger", "release_capped",
                     "refill", "jump", "price_capped", "total_shortfall", "floor_binding",
                     "stockout"]:
            check(events.get(need, 0) > 0, f"reference: reaches '{need}'")

        # The comparison can fail: a perturbed parameter must be noticed.
        for name, md in pols:
            if name == "independent_alliance":
                md.floor[:] = 0.0
            if name == "dynamic_matrix":
                md.Kres[2] *= 0.99
        bad, _ = ref.compare(res, pols, ref.default_paths(res)[:5])
        check(any("independent_alliance extra_cost" in b for b in bad) and
              any("dynamic_matrix loss" in b for b in bad),
              f"reference: perturbed floor / resilience give mismatches ({len(bad)})")

        # (d) antithetic, with a non-zero (even) first path.
        res = run(binary, tmp, "antithetic", [scen, "-n", "200", "--antithetic",
                                              "--first-path", "1000"])
        check(res.antithetic, "antithetic: flag stored")
        compare_case("antithetic", res, ref.resolve_policies(ref.load_yaml(res.resolved)),
                     first_path=1000)

        # (e) per-month statistics, every path of a short run of (c).
        res = run(binary, tmp, "months", [scen, "-n", "40"])
        bad, checked = ref.compare_months(res.path,
                                          ref.resolve_policies(ref.load_yaml(res.resolved)))
        for line in bad[:20]:
            print("     " + line)
        check(not bad and checked > 0,
              f"months: {checked} month values (means, histograms, bands), {len(bad)} mismatches")

        # (f) random small scenarios, every path; antithetic for every third.
        # The last one has 70 industries: the engine batches static propagation
        # for I >= 64 (docs/model.md).
        for seed, industries in [(s, None) for s in RANDOM_SEEDS] + [(0, 70)]:
            f = os.path.join(tmp, "random-%d.yaml" % seed)
            with open(f, "w") as out:
                yaml.safe_dump(random_scenario.generate(seed, industries), out,
                               sort_keys=False)
            res = run(binary, tmp, "random-%d" % seed,
                      [f] + (["--antithetic"] if seed % 3 == 0 else []))
            pols = ref.resolve_policies(ref.load_yaml(res.resolved))
            same_models("random-%d" % seed, pols, ref.resolve_policies(ref.load_yaml(res.source)))
            bad, checked = ref.compare(res, pols, list(range(res.paths)))
            for line in bad[:10]:
                print("     " + line)
            check(not bad and checked > 0, f"random-{seed}: {checked} values on {res.paths} "
                  f"paths x {len(pols)} policies, {len(bad)} mismatches")

    if FAILURES:
        print(f"{len(FAILURES)} check(s) failed")
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
