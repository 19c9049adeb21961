#!/usr/bin/python3
"""Independent reference implementation of the chokepoint model (MODEL.md 2-5).

Written from /work/shared/MODEL.md and docs/scenario-format.md only, with
NumPy/SciPy, to check the C engine from the outside: it reads a results file
of `chokepoint run -o FILE`, rebuilds every policy's parameters from the
stored YAML, regenerates chosen paths' uniforms with numpy's PCG64 and
re-simulates them month by month, then compares its per-path metrics with the
ones the engine stored.  Clarity beats speed here: loops follow the
numbered steps of MODEL.md section 3 one to one.

Usage: model_ref.py RESULTS.h5 [--paths N,N,...] [--source] [-v]
"""
import argparse
import copy
import math
import os
import re
import sys

import numpy as np
import yaml
from scipy.special import ndtr, ndtri

DAYS_PER_MONTH = 30.4375
METRICS = [  # record order of include/chokepoint/sim.h (ckp_metric_id)
    "loss_total", "loss", "inoperability_peak", "shortfall_peak", "shortfall_mean",
    "shortfall_months", "stockpile_min", "stockout_month", "price_peak", "price_mean",
    "extra_cost", "regime_months",
]
INTEGER_METRICS = {"shortfall_months", "stockout_month", "regime_months"}


# ---------------------------------------------------------------- YAML ------
class _Loader(yaml.SafeLoader):
    """SafeLoader with YAML 1.2 core-schema scalars.

    PyYAML follows YAML 1.1, where `1.0e11` and `1e-3` are strings (the
    exponent needs a sign and the mantissa a dot) and `NO`/`on` are booleans
    (Norway's country code!).  The scenario format writes plain numbers like
    `1.0e11`, so numbers and booleans are resolved as in YAML 1.2 instead."""


_Loader.yaml_implicit_resolvers = {
    k: [(tag, rx) for tag, rx in v if tag not in (
        "tag:yaml.org,2002:bool", "tag:yaml.org,2002:float", "tag:yaml.org,2002:int")]
    for k, v in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
    list("tTfF"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^(?:[-+]?[0-9]+|0x[0-9a-fA-F]+)$"),
    list("-+0123456789"))
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))


def _float_1_2(loader, node):
    return float(loader.construct_scalar(node))


def _int_1_2(loader, node):
    return int(loader.construct_scalar(node), 0)


_Loader.add_constructor("tag:yaml.org,2002:float", _float_1_2)
_Loader.add_constructor("tag:yaml.org,2002:int", _int_1_2)


def load_yaml(text):
    return yaml.load(text, Loader=_Loader)


# -------------------------------------------------------- deep merge --------
NAMED_LISTS = {"suppliers", "materials", "industries", "routes"}
EXCLUSIVE = [("matrix", "csv", "io_table"), ("z", "z_csv")]


def _entry_name(key, entry):
    if key == "routes" and "name" not in entry:
        return "-".join(str(c) for c in entry["path"])
    return entry["name"]


def deep_merge(base, changes, key=None):
    """docs/scenario-format.md: mappings merge key by key, named lists entry by
    entry (matched by name; routes without a name by their path joined with
    '-'; new routes appended), everything else replaces; giving one of
    matrix/csv/io_table (or z/z_csv) drops the base's other ones."""
    if isinstance(base, dict) and isinstance(changes, dict):
        out = dict(base)
        for group in EXCLUSIVE:
            if any(g in changes for g in group):
                for g in group:
                    if g not in changes:
                        out.pop(g, None)
        for k, v in changes.items():
            out[k] = deep_merge(out[k], v, k) if k in out else copy.deepcopy(v)
        return out
    if key in NAMED_LISTS and isinstance(base, list) and isinstance(changes, list):
        out = [copy.deepcopy(e) for e in base]
        index = {_entry_name(key, e): i for i, e in enumerate(out)}
        for e in changes:
            n = _entry_name(key, e)
            if n in index:
                out[index[n]] = deep_merge(out[index[n]], e, None)
            else:
                out.append(copy.deepcopy(e))
        return out
    return copy.deepcopy(changes)


# ----------------------------------------------------- model resolution -----
def normalise(v):
    """Divide a probability vector by its sum added left to right (MODEL.md 2)."""
    total = 0.0
    for x in v:
        total += x
    return [x / total for x in v]


def _read_csv_matrix(path, names):
    rows = []
    with open(path) as f:
        for line in f:
            s = line.strip()
            if not s or s.startswith("#"):
                continue
            cells = [c.strip() for c in s.split(",")]
            try:
                rows.append([float(c) for c in cells])
            except ValueError:
                if rows:
                    raise
                assert cells == list(names), "CSV header must list the names in order"
    return np.array(rows, dtype=float)


def _matrix(spec, names, basedir, key="matrix", csvkey="csv"):
    if key in spec:
        return np.array(spec[key], dtype=float)
    return _read_csv_matrix(os.path.join(basedir, spec[csvkey]), names)


class Model:
    """The parameters of MODEL.md section 2 for one policy, as NumPy arrays."""

    def __init__(self, doc, basedir="."):
        self.T = int(doc["horizon_months"])
        self.importer = str(doc["importer"])
        self.threshold = float(doc.get("shortfall_threshold", 0.01))
        self.propagation = doc.get("propagation", "static")
        self.rule = doc.get("rule", "independent")
        self.regimes = [str(r) for r in doc["regimes"]]
        self.suppliers = [str(s["name"]) for s in doc["suppliers"]]
        self.materials = [str(m["name"]) for m in doc["materials"]]
        self.industries = [str(i["name"]) for i in doc["industries"]]
        K, S, M, I = len(self.regimes), len(self.suppliers), len(self.materials), len(self.industries)
        self.K, self.S, self.M, self.I = K, S, M, I
        rk = {r: k for k, r in enumerate(self.regimes)}
        sk = {s: k for k, s in enumerate(self.suppliers)}
        mk = {m: k for k, m in enumerate(self.materials)}

        # Suppliers: initial distribution, transition matrix, block distributions.
        self.initial = np.zeros((S, K))
        self.P = np.zeros((S, K, K))
        # block[s,k,m] = (min, mode, max); a fixed number f is (f, f, f).
        self.block = np.zeros((S, K, M, 3))
        self.is_importer = np.array([s == self.importer for s in self.suppliers])
        for s, sup in enumerate(doc["suppliers"]):
            init = sup.get("initial", self.regimes[0])
            if isinstance(init, dict):
                row = [float(init.get(r, 0.0)) for r in self.regimes]
            else:
                row = [1.0 if r == str(init) else 0.0 for r in self.regimes]
            self.initial[s] = normalise(row)
            trans = sup.get("transitions")
            for k, r in enumerate(self.regimes):
                if trans is None:  # absent: the supplier never changes regime
                    row = [1.0 if j == k else 0.0 for j in range(K)]
                else:
                    v = trans[r]
                    row = ([float(x) for x in v] if isinstance(v, list)
                           else [float(v.get(q, 0.0)) for q in self.regimes])
                self.P[s, k] = normalise(row)
            for r, per_mat in (sup.get("block") or {}).items():
                for mname, spec in (per_mat or {}).items():
                    cell = self.block[s, rk[str(r)], mk[str(mname)]]
                    if isinstance(spec, dict):
                        cell[:] = [spec["min"], spec["mode"], spec["max"]]
                    else:
                        cell[:] = float(spec)
        self.R = (np.eye(S) if "supplier_correlation" not in doc else
                  _matrix(doc["supplier_correlation"], self.suppliers, basedir))

        # Materials: routes, spare, ramp, stockpile, price.
        self.routes = []  # per material: list of (share, [supplier indices of exp(r)])
        self.spare = np.zeros((S, M))
        self.tau_up = np.zeros(M)
        self.tau_down = np.zeros(M)
        self.stock0 = np.zeros(M)
        self.target = np.zeros(M)
        self.max_release = np.ones(M)
        self.trigger = np.zeros(M)
        self.refill = np.zeros(M)
        self.p0 = np.zeros(M)
        self.volume = np.zeros(M)
        self.eta = np.zeros(M)
        self.cap = np.zeros(M)
        self.floor = np.zeros(M)
        self.phi = np.zeros(M)
        self.sigma = np.zeros(M)
        self.lam = np.zeros(M)
        self.muJ = np.zeros(M)
        self.sigmaJ = np.zeros(M)
        for m, mat in enumerate(doc["materials"]):
            shares = normalise([float(r["share"]) for r in mat["routes"]])
            routes = []
            for w, r in zip(shares, mat["routes"]):
                exp_r = []
                for c in r["path"]:
                    c = str(c)
                    if c != self.importer and sk[c] not in exp_r:
                        exp_r.append(sk[c])
                routes.append((w, exp_r))
            self.routes.append(routes)
            for c, v in (mat.get("spare") or {}).items():
                self.spare[sk[str(c)], m] = float(v)
            ramp = mat.get("ramp") or {}
            self.tau_up[m] = float(ramp.get("up_months", 0))
            self.tau_down[m] = float(ramp.get("down_months", 0))
            sp = mat.get("stockpile") or {}
            days = float(sp.get("days", 0))
            self.stock0[m] = days / DAYS_PER_MONTH
            self.target[m] = float(sp.get("target_days", days)) / DAYS_PER_MONTH
            self.max_release[m] = float(sp.get("max_release", 1))
            self.trigger[m] = float(sp.get("trigger", 0))
            self.refill[m] = float(sp.get("refill", 0))
            pr = mat["price"]
            self.p0[m] = float(pr["base"])
            self.volume[m] = float(pr["volume"])
            self.eta[m] = float(pr["elasticity"])
            self.cap[m] = float(pr["cap"])
            self.floor[m] = float(pr.get("floor", 0))
            self.phi[m] = float(pr.get("phi", 0))
            self.sigma[m] = float(pr.get("sigma", 0))
            self.lam[m] = float(pr.get("jump_prob", 0))
            self.muJ[m] = float(pr.get("jump_mean", 0))
            self.sigmaJ[m] = float(pr.get("jump_sd", 0))
        self.Rp = (np.eye(M) if "price_correlation" not in doc else
                   _matrix(doc["price_correlation"], self.materials, basedir))

        # Industries.
        self.C = np.zeros((M, I))
        self.X = np.zeros(I)
        self.Kres = np.ones(I)
        for i, ind in enumerate(doc["industries"]):
            self.X[i] = float(ind["output"])
            self.Kres[i] = float(ind.get("resilience", 1.0))
            for mname, v in (ind.get("criticality") or {}).items():
                self.C[mk[str(mname)], i] = float(v)

        # A*: direct, or from an input-output table: A*[i,j] = kappa Z[j,i] / x[i].
        spec = doc.get("interdependency")
        if spec is None:
            self.A = np.zeros((I, I))
        elif "io_table" in spec:
            io = spec["io_table"]
            Z = _matrix(io, self.industries, basedir, "z", "z_csv")
            x = np.array(io["x"], dtype=float)
            kappa = float(io.get("kappa", 1.0))
            self.A = np.array([[kappa * Z[j, i] / x[i] for j in range(I)] for i in range(I)])
        else:
            self.A = _matrix(spec, self.industries, basedir)

        # Derived: Cholesky factors, (I - A*)^-1.
        self.R_identity = bool(np.array_equal(self.R, np.eye(S)))
        self.Lc = np.linalg.cholesky(self.R)
        self.Lp = np.linalg.cholesky(self.Rp)
        radius = max(abs(np.linalg.eigvals(self.A))) if I else 0.0
        assert radius < 1.0, "spectral radius of A* must be below 1"
        self.leontief = np.linalg.inv(np.eye(I) - self.A)

    @property
    def D(self):
        """Uniforms per period (MODEL.md 4)."""
        return self.S + self.S * self.M + 3 * self.M

    def n_uniforms(self):
        return self.S + self.T * self.D


def resolve_policies(doc, basedir="."):
    """[(name, Model)] for the baseline and every policy, baseline first."""
    base = {k: v for k, v in doc.items() if k != "policies"}
    out = [("baseline", Model(base, basedir))]
    for pol in doc.get("policies") or []:
        merged = deep_merge(base, pol.get("changes") or {})
        out.append((str(pol["name"]), Model(merged, basedir)))
    return out


# ------------------------------------------------------------ uniforms ------
def path_uniforms(state, inc, p, n, antithetic):
    """The n uniforms of global path p (MODEL.md 4)."""
    src = p - 1 if (antithetic and p % 2 == 1) else p
    bg = np.random.PCG64()
    st = bg.state
    st["state"] = {"state": int(state), "inc": int(inc)}
    bg.state = st
    raw = bg.jumped(src).random_raw(n)
    u = ((raw >> np.uint64(12)).astype(np.float64) + 0.5) * 2.0 ** -52
    return 1.0 - u if src != p else u


# -------------------------------------------------------- distributions -----
def pick(u, probs):
    """Smallest k with u <= sum_{j<=k} probs[j] (sums left to right); if
    rounding leaves none, the last k with positive probability."""
    acc = 0.0
    for k, pk in enumerate(probs):
        acc += pk
        if u <= acc:
            return k
    return max(k for k, pk in enumerate(probs) if pk > 0)


def triangular_inv(u, a, c, b):
    """Inverse CDF of the triangular distribution (min a, mode c, max b)."""
    if b <= a:  # degenerate: a fixed number
        return a
    if u * (b - a) < (c - a):  # u < (c - a) / (b - a), left part
        return a + math.sqrt(u * (b - a) * (c - a))
    return b - math.sqrt((1.0 - u) * (b - a) * (b - c))


def decay(tau):
    """exp(-1/tau) with tau = 0 meaning immediate (exp(-1/0) = 0)."""
    return 0.0 if tau == 0 else math.exp(-1.0 / tau)


# ------------------------------------------------------------- one path -----
def simulate(md, u, events=None, obs=None):
    """One path of one policy from its uniforms; returns {metric: ndarray}.

    `obs`, if a dict, receives the per-month observables of MODEL.md 5 as
    (T, n) arrays: shortfall x, inoperability q, price pi, stock_days L.

    `events`, if a dict, counts how often the model's branches were taken, so
    that a test can check that its scenario reaches them."""
    ev = events if events is not None else {}

    def note(name, n=1):
        ev[name] = ev.get(name, 0) + int(n)

    S, M, I, K, T = md.S, md.M, md.I, md.K, md.T
    # Initial regimes (before period 1, independent, no copula).
    regime = [pick(u[s], md.initial[s]) for s in range(S)]
    pos = S
    b = np.zeros((S, M))
    G = np.zeros(M)
    L = md.stock0.copy()
    y = np.zeros(M)
    q = np.zeros(I)

    loss = np.zeros(I)
    inop_peak = np.zeros(I)
    x_peak = np.zeros(M)
    x_sum = np.zeros(M)
    months = {"shortfall": [], "inoperability": [], "price": [], "stock_days": []}
    x_months = np.zeros(M)
    stock_min = np.full(M, np.inf)
    stockout = np.full(M, -1.0)
    pi_peak = np.full(M, -np.inf)
    pi_sum = np.zeros(M)
    cost = np.zeros(M)
    regime_months = np.zeros((S, K))

    for t in range(1, T + 1):
        ur = u[pos:pos + S]; pos += S
        usev = u[pos:pos + S * M].reshape(S, M); pos += S * M
        ueps = u[pos:pos + M]; pos += M
        ujump = u[pos:pos + M]; pos += M
        usize = u[pos:pos + M]; pos += M

        # 1. Regimes.
        v = ur if md.R_identity else ndtr(md.Lc @ ndtri(ur))
        new = [pick(v[s], md.P[s, regime[s]]) for s in range(S)]
        note("copula" if not md.R_identity else "no_copula")
        note("regime_change", sum(n != o for n, o in zip(new, regime)))
        # 2. Block fractions (the importer never blocks).
        for s in range(S):
            if t == 1 or new[s] != regime[s]:
                for m in range(M):
                    a, c, bb = md.block[s, new[s], m]
                    if bb > a and not md.is_importer[s]:
                        note("triangular")
                    b[s, m] = 0.0 if md.is_importer[s] else triangular_inv(usev[s, m], a, c, bb)
        regime = new
        for s in range(S):
            regime_months[s, regime[s]] += 1

        gap = np.zeros(M)
        reroute = np.zeros(M)
        need = np.zeros(M)
        release = np.zeros(M)
        x = np.zeros(M)
        for m in range(M):
            # 3. Surviving supply.
            g = 0.0
            for w, exp_r in md.routes[m]:
                prod = 1.0
                for c in exp_r:
                    prod *= 1.0 - b[c, m]
                g += w * (1.0 - prod)
            gap[m] = g
            # 4. Gap and reroute.
            if g > 0:
                G[m] = G[m] + (1.0 - G[m]) * (1.0 - decay(md.tau_up[m]))
            else:
                G[m] = G[m] * decay(md.tau_down[m])
            avail = 0.0
            for c in range(S):
                avail += md.spare[c, m] * (1.0 - b[c, m])
            reroute[m] = min(g, G[m] * avail)
            note("reroute", reroute[m] > 0)
            note("multi_country_route_blocked",
                 any(len(r) > 1 and any(b[c, m] > 0 for c in r) for _, r in md.routes[m]))
            # 5. Stockpile.
            need[m] = g - reroute[m]
            release[m] = (min(need[m], L[m], md.max_release[m])
                          if need[m] >= md.trigger[m] else 0.0)
            note("below_trigger", 0 < need[m] < md.trigger[m])
            note("release_capped", release[m] > 0 and release[m] == md.max_release[m])
            L[m] = L[m] - release[m]
            if g == 0 and L[m] < md.target[m]:
                L[m] = min(md.target[m], L[m] + md.refill[m])
                note("refill")
            # 6. Shortfall.
            x[m] = min(1.0, max(0.0, need[m] - release[m]))
        a_sup = 1.0 - gap
        s_sup = 1.0 - x

        # 7. Price.
        e = md.Lp @ ndtri(ueps)
        J = np.where(ujump < md.lam, md.muJ + md.sigmaJ * ndtri(usize), 0.0)
        y = md.phi * y + md.sigma * e + J
        pi = np.minimum(md.cap, np.exp(y) * np.maximum(s_sup, 1e-6) ** (-1.0 / md.eta))
        note("jump", np.sum(ujump < md.lam))
        note("price_capped", np.sum(pi == md.cap))
        note("total_shortfall", np.sum(x == 1.0))
        note("floor_binding", np.sum((pi < md.floor) & (reroute > 0)))

        # 8. Direct inoperability.
        if md.rule == "independent":
            q0 = 1.0 - np.prod(1.0 - md.C * x[:, None], axis=0)
        elif md.rule == "bottleneck":
            q0 = np.max(md.C * x[:, None], axis=0)
        elif md.rule == "linear":
            q0 = np.minimum(1.0, np.sum(md.C * x[:, None], axis=0))
        else:
            raise ValueError("unknown rule " + md.rule)
        # 9. Propagation.
        if md.propagation == "static":
            q = np.clip(md.leontief @ q0, 0.0, 1.0)
        elif md.propagation == "dynamic":
            q = np.clip(q + md.Kres * (md.A @ q + q0 - q), 0.0, 1.0)
        else:
            raise ValueError("unknown propagation " + md.propagation)
        # 10. Accounting.
        loss += q * md.X / 12.0
        cost += md.p0 * md.volume * ((pi - 1.0) * a_sup
                                     + (np.maximum(pi, md.floor) - 1.0) * reroute)

        # Section 5 metrics.
        inop_peak = np.maximum(inop_peak, q)
        x_peak = np.maximum(x_peak, x)
        x_sum += x
        x_months += x > md.threshold
        stock_min = np.minimum(stock_min, L * DAYS_PER_MONTH)
        for m in range(M):
            # "L = 0 after release": the stock checked after the release, before
            # any refill (a refill needs gap = 0, hence need = 0, so it cannot
            # mask a stock-out month).
            if stockout[m] < 0 and need[m] > 0 and L[m] == 0:
                stockout[m] = t
                note("stockout")
        pi_peak = np.maximum(pi_peak, pi)
        pi_sum += pi
        months["shortfall"].append(x.copy())
        months["inoperability"].append(q.copy())
        months["price"].append(pi.copy())
        months["stock_days"].append(L * DAYS_PER_MONTH)

    if obs is not None:
        obs.update({k: np.array(v) for k, v in months.items()})
    return {
        "loss_total": np.array(loss.sum()),
        "loss": loss,
        "inoperability_peak": inop_peak,
        "shortfall_peak": x_peak,
        "shortfall_mean": x_sum / T,
        "shortfall_months": x_months,
        "stockpile_min": stock_min,
        "stockout_month": stockout,
        "price_peak": pi_peak,
        "price_mean": pi_sum / T,
        "extra_cost": cost,
        "regime_months": regime_months,
    }


# --------------------------------------------------------- results file -----
class Results:
    def __init__(self, path):
        import h5py
        self.path = path
        with h5py.File(path, "r") as f:
            a = f.attrs
            self.state = (int(a["state_hi"]) << 64) | int(a["state_lo"])
            self.inc = (int(a["inc_hi"]) << 64) | int(a["inc_lo"])
            self.antithetic = bool(int(a["antithetic"]))
            self.first_path = int(a["first_path"])
            self.paths = int(a["paths"])
            self.resolved = a["scenario_resolved"]
            self.source = a["scenario_source"]
            self.policy_names = list(f["policies"].keys())
            self.stored = {}
            for name in self.policy_names:
                g = f["policies"][name]
                self.stored[name] = {
                    "path": np.asarray(g["path"][:], dtype=np.int64),
                    **{k: np.asarray(g[k][:], dtype=float) for k in METRICS}}


def close(ref, got, integer):
    if integer:
        return ref == got
    return abs(ref - got) <= max(1e-9 * max(abs(ref), abs(got)), 1e-9)


def compare(results, policies, paths, verbose=False, events=None):
    """Simulate `paths` (global indices) of every policy; return a list of
    mismatch descriptions and the number of values compared.  `events`: see
    simulate()."""
    bad = []
    checked = 0
    n = policies[0][1].n_uniforms()
    for p in paths:
        u = path_uniforms(results.state, results.inc, p, n, results.antithetic)
        for name, md in policies:
            st = results.stored[name]
            row = int(np.nonzero(st["path"] == p)[0][0])
            ref = simulate(md, u, events)
            for metric in METRICS:
                r = np.asarray(ref[metric], dtype=float).ravel()
                g = np.asarray(st[metric][row], dtype=float).ravel()
                assert r.shape == g.shape, (metric, r.shape, g.shape)
                for j, (rv, gv) in enumerate(zip(r, g)):
                    checked += 1
                    if not close(rv, gv, metric in INTEGER_METRICS):
                        bad.append(f"path {p} policy {name} {metric}[{j}]: "
                                   f"reference {rv!r} engine {gv!r}")
        if verbose:
            print(f"path {p}: {len(bad)} mismatches so far", file=sys.stderr)
    return bad, checked


QUANTILES = [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999]
OBSERVABLES = ["shortfall", "inoperability", "price", "stock_days"]


def bin_uppers(md, obs):
    """Upper edges of the 102 histogram bins of MODEL.md 5, per column:
    x and q: {0}, 100 equal bins over (0, 1], one unused (inf);
    pi: below 0.1, 100 log-spaced bins over [0.1, cap], above cap;
    L (days): {0}, 100 equal bins over (0, max(stock0, target)], one unused."""
    k = np.arange(1, 101)
    if obs in ("shortfall", "inoperability"):
        n = md.M if obs == "shortfall" else md.I
        row = np.concatenate([[0.0], k / 100.0, [np.inf]])
        return np.tile(row, (n, 1))
    out = np.zeros((md.M, 102))
    for m in range(md.M):
        if obs == "price":
            inner = 0.1 * (md.cap[m] / 0.1) ** (k / 100.0)
            inner[-1] = md.cap[m]          # a capped price falls in the last inner bin
            out[m] = np.concatenate([[0.1], inner, [np.inf]])
        else:
            top = max(md.stock0[m], md.target[m]) * DAYS_PER_MONTH
            inner = top * k / 100.0
            inner[-1] = top
            out[m] = np.concatenate([[0.0], inner, [np.inf]])
    return out


def bin_index(obs, upper, v):
    """Right-closed bin of value v (upper: that column's 102 edges)."""
    if obs == "price":
        if v < upper[0]:
            return 0
        return int(np.searchsorted(upper[1:101], v, side="left")) + 1  # [0.1, e1] is bin 1
    if v == 0:
        return 0
    return int(np.searchsorted(upper[1:101], v, side="left")) + 1


def compare_months(path, policies, events=None):
    """Simulate every path of a results file and compare its month/ groups:
    exact means (relative 1e-9), histogram counts and fan-chart bands.
    Returns (mismatch descriptions, values compared)."""
    import h5py
    res = Results(path)
    md0 = policies[0][1]
    n_u = md0.n_uniforms()
    paths = [res.first_path + i for i in range(res.paths)]
    us = [path_uniforms(res.state, res.inc, p, n_u, res.antithetic) for p in paths]
    bad, checked = [], 0
    with h5py.File(path, "r") as f:
        for name, md in policies:
            traces = []
            for u in us:
                o = {}
                simulate(md, u, events, o)
                traces.append(o)
            g = f["policies"][name]["month"]
            for obs in OBSERVABLES:
                vals = np.array([t[obs] for t in traces])        # (paths, T, n)
                upper = bin_uppers(md, obs)
                hist = np.zeros((md.T, vals.shape[2], 102), dtype=np.uint64)
                for pi_, t_, c_ in np.ndindex(vals.shape):
                    hist[t_, c_, bin_index(obs, upper[c_], vals[pi_, t_, c_])] += 1
                band = np.zeros((md.T, vals.shape[2], len(QUANTILES)))
                for t_, c_ in np.ndindex(hist.shape[:2]):
                    cum = np.cumsum(hist[t_, c_])
                    for qi, pq in enumerate(QUANTILES):
                        band[t_, c_, qi] = upper[c_][int(np.argmax(cum >= pq * len(paths)))]
                mean = vals.sum(axis=0) / len(paths)
                for label, mine, theirs, exact in [
                        ("hist_upper", upper, g[obs + "_hist_upper"][:], False),
                        ("mean", mean, g[obs + "_mean"][:], False),
                        ("hist", hist, g[obs + "_hist"][:], True),
                        ("band", band, g[obs + "_band"][:], False)]:
                    assert mine.shape == theirs.shape, (obs, label, mine.shape, theirs.shape)
                    for idx in np.ndindex(mine.shape):
                        checked += 1
                        a, b = mine[idx], theirs[idx]
                        ok = (a == b) if (exact or np.isinf(a) or np.isinf(b)) else close(a, b, False)
                        if not ok:
                            bad.append(f"policy {name} month/{obs}_{label}{list(idx)}: "
                                       f"reference {a!r} engine {b!r}")
    return bad, checked


def default_paths(results, count=20):
    """The first count-1 paths and the worst baseline path."""
    st = results.stored["baseline"]
    worst = int(st["path"][int(np.argmax(st["loss_total"]))])
    first = [int(p) for p in st["path"][:count - 1]]
    return first + ([worst] if worst not in first else [])


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("results")
    ap.add_argument("--paths", help="comma-separated global path indices")
    ap.add_argument("--source", metavar="DIR", help="resolve from scenario_source "
                    "(relative CSV paths against DIR) instead of scenario_resolved")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    res = Results(args.results)
    text, basedir = (res.source, args.source) if args.source else (res.resolved, ".")
    policies = resolve_policies(load_yaml(text), basedir)
    names = [n for n, _ in policies]
    if names != res.policy_names and sorted(names) != sorted(res.policy_names):
        print(f"policy names differ: {names} vs {res.policy_names}")
        return 1
    paths = ([int(p) for p in args.paths.split(",")] if args.paths
             else default_paths(res))
    bad, checked = compare(res, policies, paths, args.verbose)
    for line in bad[:50]:
        print(line)
    print(f"{checked} values compared on {len(paths)} paths x {len(policies)} policies, "
          f"{len(bad)} mismatches")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
