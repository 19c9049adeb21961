#!/usr/bin/python3
"""Random small scenarios for the reference comparison (test_reference.py).

generate(seed) returns a scenario document (a dict for YAML) drawn with
Python's `random.Random(seed)`, so a seed always gives the same scenario.
Sizes are small (1-5 suppliers, 1-4 regimes and materials, 1-5 industries,
1-30 months) and parameters are drawn from value sets that include the edges
of MODEL.md section 2: zero probabilities, fixed and degenerate block
fractions (0, 1, min = mode, mode = max), routes through the importer or
repeating a country, immediate ramps (tau = 0), phi = -1 and 1, caps below 1,
jump probability 1, triggers and refills above a month of demand, a direct or
io_table A*, correlation matrices, and a policy that changes the rule, the
propagation, a stockpile and a price floor.

Run as a script, it prints one scenario: random_scenario.py SEED
"""
import random
import sys

import numpy as np


def _corr(n, rng):
    a = np.array([[rng.gauss(0, 1) for _ in range(n)] for _ in range(n + 2)])
    c = a.T @ a
    d = np.sqrt(np.diag(c))
    c = c / np.outer(d, d)
    c = np.round(c, 3)  # symmetric, and still positive definite at this size
    np.fill_diagonal(c, 1.0)
    return [[float(x) for x in row] for row in c]


def _probs(rng, k):
    v = [rng.choice([0.0, 0.0, rng.random()]) for _ in range(k)]
    if sum(v) == 0:
        v[rng.randrange(k)] = 1.0
    total = sum(v)
    return [x / total for x in v]


def _block(rng):
    if rng.random() < 0.3:
        return rng.choice([0.0, 1.0, round(rng.random(), 3)])
    lo, mode, hi = sorted(round(rng.random(), 3) for _ in range(3))
    if rng.random() < 0.2:
        lo = mode
    if rng.random() < 0.2:
        hi = mode
    return {"min": lo, "mode": mode, "max": hi}


def generate(seed, industries=None):
    """The scenario of `seed`; `industries` overrides the number of industries
    (e.g. >= 64, where the engine batches static propagation differently)."""
    rng = random.Random(seed)
    S, K, M, I = rng.randint(1, 5), rng.randint(1, 4), rng.randint(1, 4), rng.randint(1, 5)
    I = industries or I
    importer = "IM"
    countries = ["S%d" % s for s in range(S)] + ([importer] if rng.random() < 0.5 else [])
    regimes = ["r%d" % k for k in range(K)]
    mats = ["m%d" % m for m in range(M)]
    doc = {
        "version": 1, "name": "random-%d" % seed, "importer": importer,
        "horizon_months": rng.randint(1, 30), "paths": 20, "seed": seed,
        "shortfall_threshold": rng.choice([0.0, 0.01, 0.2]),
        "propagation": "static" if industries else rng.choice(["static", "dynamic"]),
        "rule": rng.choice(["independent", "bottleneck", "linear"]),
        "regimes": regimes,
    }
    suppliers = []
    for c in countries:
        e = {"name": c}
        if rng.random() < 0.8:
            e["initial"] = dict(zip(regimes, _probs(rng, K)))
        if rng.random() < 0.8:
            e["transitions"] = {r: _probs(rng, K) for r in regimes}
        if c != importer:
            e["block"] = {r: {m: _block(rng) for m in mats if rng.random() < 0.7}
                          for r in regimes if rng.random() < 0.8}
        suppliers.append(e)
    doc["suppliers"] = suppliers
    if rng.random() < 0.5:
        doc["supplier_correlation"] = {"matrix": _corr(len(countries), rng)}
    materials = []
    for m in mats:
        n_routes = rng.randint(1, 4)
        shares = _probs(rng, n_routes)
        routes, seen = [], set()
        for r in range(n_routes):
            path = [rng.choice(countries + [importer]) for _ in range(rng.randint(1, 3))]
            name = "-".join(path)
            if name in seen:
                name += "x%d" % r
            seen.add(name)
            routes.append({"path": path, "share": shares[r], "name": name})
        materials.append({
            "name": m, "routes": routes,
            "spare": {c: round(rng.random() * 0.3, 3) for c in countries if rng.random() < 0.5},
            "ramp": {"up_months": rng.choice([0, 0.5, 3, 12]),
                     "down_months": rng.choice([0, 1, 6])},
            "stockpile": {"days": rng.choice([0, 10, 60]), "target_days": rng.choice([0, 30, 90]),
                          "max_release": rng.choice([0, 0.2, 1, 2]),
                          "trigger": rng.choice([0, 0.05, 0.5]),
                          "refill": rng.choice([0, 0.1, 1.5])},
            "price": {"base": rng.uniform(1, 100), "volume": rng.uniform(0, 1e4),
                      "elasticity": rng.choice([0.05, 0.3, 2.0]),
                      "cap": rng.choice([0.5, 1.0, 5.0, 100.0]),
                      "floor": rng.choice([0, 0.5, 2]), "phi": rng.choice([-1, 0, 0.9, 1]),
                      "sigma": rng.choice([0, 0.1, 0.5]), "jump_prob": rng.choice([0, 0.3, 1]),
                      "jump_mean": rng.uniform(-0.5, 0.5), "jump_sd": rng.choice([0, 0.2])},
        })
    doc["materials"] = materials
    if rng.random() < 0.5:
        doc["price_correlation"] = {"matrix": _corr(M, rng)}
    doc["industries"] = [
        {"name": "i%d" % i, "output": rng.uniform(0, 1e9),
         "criticality": {m: round(rng.random(), 3) for m in mats
                         if rng.random() < (0.7 if not industries else 0.2)},
         "resilience": rng.choice([1.0, 0.5, 0.05])} for i in range(I)]
    c = rng.random()
    if c < 0.4:
        a = np.array([[rng.random() for _ in range(I)] for _ in range(I)])
        a *= rng.uniform(0.1, 0.95) / max(abs(np.linalg.eigvals(a)))
        doc["interdependency"] = {"matrix": [[float(x) for x in row] for row in a]}
    elif c < 0.7:
        z = [[rng.uniform(0, 10) for _ in range(I)] for _ in range(I)]
        x = [sum(z[j][i] for j in range(I)) + rng.uniform(1, 20) for i in range(I)]
        doc["interdependency"] = {"io_table": {"z": z, "x": x, "kappa": rng.random()}}
    if rng.random() < 0.7:
        # p1 changes the price noise of one material, p2 (same noise as the
        # baseline) follows it: the engine reuses policy-independent work
        # between consecutive policies only when the inputs are identical.
        doc["policies"] = [
            {"name": "p1", "changes": {
                "rule": rng.choice(["independent", "bottleneck", "linear"]),
                "propagation": "static" if industries else rng.choice(["static", "dynamic"]),
                "materials": [{"name": mats[0], "stockpile": {"days": 45},
                               "price": {"floor": 1.5, "phi": 0.5, "sigma": 0.3,
                                         "jump_prob": 0.5}}]}},
            {"name": "p2", "changes": {
                "materials": [{"name": mats[-1], "spare": {countries[0]: 0.4}}]}}]
    return doc


if __name__ == "__main__":
    import yaml
    yaml.safe_dump(generate(int(sys.argv[1])), sys.stdout, sort_keys=False)
