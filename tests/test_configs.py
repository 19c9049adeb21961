"""The shipped scenarios in configs/ load, run and behave as their documentation says.

usage: test_configs.py CHOKEPOINT

For each shipped scenario this runs the engine on a fixed seed and checks what docs/scenarios.md
claims of it: the baseline loses output in most paths, every policy has a mean benefit more than
four standard errors above zero, and a policy that only enlarges stockpiles never raises any
material's shortfall on any path (a larger stock releases at least as much every month, so the
shortfall is pathwise no larger) and lowers the mean shortfall of the materials it stocks. It also
checks that the built-in default is exactly configs/korea-rare-earths.yaml and that China is the
dominant regime-holder the Korean scenario describes (mostly in `licensing`).
"""
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402  (tests/checks.py)
from checks import check  # noqa: E402
checks.quiet = True  # only the FAIL lines

PATHS = 1000
ROOT = os.environ.get('CKP_SOURCE_ROOT', os.path.join(os.path.dirname(__file__), '..'))


def names(ds):
    return [v.decode() if isinstance(v, bytes) else str(v) for v in ds[:]]


def run(exe, args):
    return subprocess.run([exe, 'run'] + args, capture_output=True, text=True, timeout=240)


def check_scenario(exe, path, stock_policies, tmp):
    out = os.path.join(tmp, os.path.basename(path) + '.h5')
    r = run(exe, [path, '-n', str(PATHS), '-q', '-j', '2', '-o', out, '--force'])
    check(r.returncode == 0, f'{path}: run exits 0 (got {r.returncode}: {r.stderr.strip()})')
    if r.returncode != 0:
        return None
    f = h5py.File(out, 'r')
    pol = f['policies']
    base = pol['baseline']
    loss = base['loss_total'][:]
    check(len(loss) == PATHS, f'{path}: {PATHS} baseline records')
    check(np.mean(loss > 0) > 0.5, f'{path}: the baseline loses output in most paths '
          f'(P(loss > 0) = {np.mean(loss > 0):.3f})')
    others = [p for p in pol.keys() if p != 'baseline']
    check(len(others) >= 3, f'{path}: at least three policies (found {others})')
    for p in others:
        c = pol[p]['comparison']
        mean, se = float(c['benefit_mean'][()]), float(c['benefit_se'][()])
        check(mean > 4 * se and se > 0, f'{path}: policy {p} has a positive mean benefit '
              f'({mean:.4g} +/- {se:.3g})')
    mats = names(base['material'])
    xb = base['shortfall_mean'][:]
    for p, stocked in stock_policies.items():
        check(p in pol, f'{path}: policy {p} exists')
        if p not in pol:
            continue
        xp = pol[p]['shortfall_mean'][:]
        worse = np.max(xp - xb)
        check(worse <= 1e-12, f'{path}: {p} never raises a shortfall (max increase {worse:.3g})')
        for m in stocked:
            j = mats.index(m)
            check(xp[:, j].mean() < xb[:, j].mean(),
                  f'{path}: {p} lowers the mean shortfall of {m} '
                  f'({xb[:, j].mean():.4f} -> {xp[:, j].mean():.4f})')
    return f


def main():
    exe = sys.argv[1]
    korea = os.path.join(ROOT, 'configs', 'korea-rare-earths.yaml')
    japan = os.path.join(ROOT, 'configs', 'japan-2010.yaml')
    with tempfile.TemporaryDirectory() as tmp:
        f = check_scenario(exe, korea, {'stockpile_100d': ['NdPr', 'DyTb', 'NdFeB', 'CeLa', 'YScGd']},
                           tmp)
        if f is not None:
            base = f['policies']['baseline']
            sup = names(base['supplier'])
            reg = names(base['regime'])
            months = base['regime_months'][:].mean(axis=0)  # supplier x regime
            cn = sup.index('CN')
            check(reg[int(np.argmax(months[cn]))] == 'licensing',
                  f'korea: China spends most months in licensing ({months[cn].round(1).tolist()})')
            check(months[sup.index('KR')][reg.index('open')] == 60.0,
                  'korea: domestic supply is always open')
        check_scenario(exe, japan, {'jogmec_stockpile': ['NdPr', 'Dy']}, tmp)

        # The default compiled into the binary is the shipped Korean file.
        a = run(exe, ['-n', '50', '-q', '-j', '1'])
        b = run(exe, [korea, '-n', '50', '-q', '-j', '1'])
        check(a.returncode == 0 and b.returncode == 0 and a.stdout == b.stdout and a.stdout,
              'the built-in default gives the same table as configs/korea-rare-earths.yaml')

    return checks.finish()


if __name__ == '__main__':
    sys.exit(main())
