#!/usr/bin/python3
"""Every path kernel against the reference kernel, bit for bit, on random
scenarios (tests/reference/random_scenario.py: every rule, both propagations,
zero-probability rows, zero stock, caps below 1 that every price hits,
correlations, price floors, policies that share stages with the baseline and
policies that do not), on the shipped configurations, and on scenarios with
70 industries, where static propagation goes through one dgemm per path.
Each is run with and without antithetic pairing by tests/kernel_check.c.

usage: test_kernels.py KERNEL_CHECK
"""
import os
import subprocess
import sys
import tempfile

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "reference"))
import random_scenario  # noqa: E402

ROOT = os.environ.get("CKP_SOURCE_ROOT", os.path.dirname(HERE))


def main():
    driver = sys.argv[1]
    with tempfile.TemporaryDirectory() as tmp:
        files = []
        for seed in range(60):
            doc = random_scenario.generate(1000 + seed)
            # Every fifth: no stock at all and a cap that every shortfall hits.
            if seed % 5 == 4:
                for m in doc["materials"]:
                    m["stockpile"]["days"] = 0
                    m["price"]["cap"] = 1.0
            files.append(doc)
        for seed in range(3):
            files.append(random_scenario.generate(2000 + seed, industries=70))
        paths = []
        for i, doc in enumerate(files):
            p = os.path.join(tmp, "k%03d.yaml" % i)
            with open(p, "w") as f:
                yaml.safe_dump(doc, f, sort_keys=False)
            paths.append(p)
        paths += [os.path.join(ROOT, "configs", n)
                  for n in ("korea-rare-earths.yaml", "japan-2010.yaml")]
        r = subprocess.run([driver, "24"] + paths, capture_output=True, text=True)
        sys.stdout.write(r.stdout)
        sys.stderr.write(r.stderr)
        if r.returncode != 0:
            print("FAIL: kernels differ (above)")
            return 1
        if "0 differences" not in r.stdout or "on %d scenarios" % len(paths) not in r.stdout:
            print("FAIL: the driver did not check every scenario")
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
