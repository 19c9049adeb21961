#!/usr/bin/env python3
"""Interop test: chokepoint's PCG64 against numpy's PCG64.

Runs tests/rng_driver for a few seeds and paths, then rebuilds the same
generators in numpy (state set directly, path p = base.jumped(p)) and compares
raw outputs and uniforms bit for bit. SplitMix64 seeding is checked against a
pure-Python SplitMix64. Exit 77 (skip) when numpy is missing.

Usage: test_rng_numpy.py PATH_TO_rng_driver
"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402  (tests/checks.py)
from checks import check  # noqa: E402
checks.quiet = True  # only the FAIL lines

try:
    import numpy as np
except ImportError:
    print("numpy not available: skipping")
    sys.exit(77)

MASK64 = (1 << 64) - 1
MASK128 = (1 << 128) - 1
MULT = 0x2360ED051FC65DA44385DF649FCCF645


def splitmix64(x):
    """Generator of SplitMix64 outputs from state x (pure Python)."""
    while True:
        x = (x + 0x9E3779B97F4A7C15) & MASK64
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
        yield z ^ (z >> 31)


def pcg_seed(initstate, initseq):
    """Standard set-sequence seeding, in Python integers."""
    inc = ((initseq << 1) | 1) & MASK128
    state = 0
    state = (state * MULT + inc) & MASK128
    state = (state + initstate) & MASK128
    state = (state * MULT + inc) & MASK128
    return state, inc


def numpy_gen(state, inc):
    bg = np.random.PCG64()
    bg.state = {"bit_generator": "PCG64", "state": {"state": state, "inc": inc},
                "has_uint32": 0, "uinteger": 0}
    return bg


def run(driver, seed, n, paths):
    out = subprocess.run([driver, str(seed), str(n)] + [str(p) for p in paths],
                         check=True, capture_output=True, text=True).stdout
    lines = [ln.split() for ln in out.splitlines()]
    sm = next(ln for ln in lines if ln[0] == "splitmix")
    base = next(ln for ln in lines if ln[0] == "base")

    words = [int(w, 16) for w in sm[1:]]
    sm_py = splitmix64(seed)
    want_words = [next(sm_py) for _ in range(4)]
    check(words == want_words, f"seed {seed}: splitmix {words} != {want_words}")

    initstate = (want_words[0] << 64) | want_words[1]
    initseq = (want_words[2] << 64) | want_words[3]
    want_state, want_inc = pcg_seed(initstate, initseq)
    b_state, b_inc = int(base[1], 16), int(base[2], 16)
    check((b_state, b_inc) == (want_state, want_inc), f"seed {seed}: base state")

    base_np = numpy_gen(b_state, b_inc)
    npaths = 0
    for ln in lines:
        if ln[0] == "path":
            p = int(ln[1])
            jumped = base_np.jumped(p)
            st = jumped.state["state"]
            check(int(ln[2], 16) == st["state"] and int(ln[3], 16) == st["inc"],
                  f"seed {seed} path {p}: state differs from numpy jumped({p})")
            raw = [int(v) for v in jumped.random_raw(n)]
            got = [int(v, 16) for v in ln[4:]]
            check(got == raw, f"seed {seed} path {p}: raw outputs differ from numpy")
            unif = [((r >> 12) + 0.5) * 2.0 ** -52 for r in raw]
            ulin = next(u for u in lines if u[0] == "unif" and u[1] == ln[1])
            check([float.fromhex(v) for v in ulin[2:]] == unif,
                  f"seed {seed} path {p}: uniforms differ")
            npaths += 1
    check(npaths == len(paths), f"seed {seed}: driver printed {npaths} paths")
    # numpy's jumped() is advance(p * J mod 2^128): check the stride directly too.
    j = 0x9E3779B97F4A7C15F39CC0605CEDC835
    adv = numpy_gen(b_state, b_inc)
    adv.advance((j * 3) & MASK128)
    check(adv.state["state"]["state"] == base_np.jumped(3).state["state"]["state"],
          "jumped(3) != advance(3 J)")


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    driver = sys.argv[1]
    run(driver, 0, 16, [0, 1, 2, 3])
    run(driver, 42, 8, [0, 7, 1000, 123456789])
    run(driver, 2**64 - 1, 8, [2**63 + 5, 2**64 - 1])
    run(driver, 20240601, 1000, [0, 1])
    # Bad input is refused with a clear error, not a crash.
    bad = subprocess.run([driver, "x", "3", "0"], capture_output=True, text=True)
    check(bad.returncode == 2 and "usage" in bad.stderr, "driver accepted a bad seed")
    return checks.finish()


if __name__ == "__main__":
    sys.exit(main())
