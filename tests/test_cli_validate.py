#!/usr/bin/env python3
"""CLI tests of `chokepoint validate`: exit status and messages on good and bad
scenarios. usage: test_cli_validate.py CHOKEPOINT_BINARY"""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402  (tests/checks.py)
from checks import check  # noqa: E402
checks.quiet = True  # only the FAIL lines, on stderr
checks.out = sys.stderr

EXE = sys.argv[1]
ROOT = os.environ.get('CKP_SOURCE_ROOT', os.path.join(os.path.dirname(__file__), '..'))


def run(*args):
    p = subprocess.run([EXE, 'validate', *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def src(rel):
    return os.path.join(ROOT, rel)


# --help
rc, out, err = run('--help')
check(rc == 0 and 'Usage: chokepoint validate' in out and '--policy' in out, 'help')

# the built-in default
rc, out, err = run()
check(rc == 0, f'default exit {rc}: {err}')
check('scenario: korea-rare-earths (<built-in>)' in out, 'default name and source')
check('scenario is valid' in out and err == '', 'default valid')
check('sizes: ' in out and 'policies (with the baseline)' in out, 'sizes line')

# minimal: sizes and the exposure table (CN carries all NdPr: 0.3 of autos' output)
rc, out, err = run(src('configs/examples/minimal.yaml'))
check(rc == 0, f'minimal exit {rc}: {err}')
check('sizes: 2 suppliers, 2 regimes, 1 materials, 2 routes, 1 industries, 12 months, '
      '1 policies' in out, 'minimal sizes:\n' + out)
check('run settings: paths 10000, seed 1, antithetic no, shortfall threshold 0.01, '
      'propagation static, rule independent' in out, 'minimal settings')
rows = {line.split()[0]: line.split()[1:] for line in out.splitlines()
        if line.startswith('  CN') or line.startswith('  AU')}
check(rows.get('CN') == ['0.3000'] and rows.get('AU') == ['0.0600'], f'minimal exposure {rows}')

# rich: policy differences and exposure of a chosen policy
rich = src('tests/scenarios/good/rich.yaml')
rc, out, err = run(rich)
check(rc == 0, f'rich exit {rc}: {err}')
check('  stockpile: double the NdPr stockpile (annual cost 2.5e+06 EUR)' in out, 'policy line')
check('    materials[NdPr].stockpile.days: 30.4375 -> 60.875' in out, 'policy diff')
check('    interdependency.io_table.kappa: 0.5 -> 0.25' in out, 'io_table diff')
rc, out, err = run('--policy', 'domestic', rich)
check(rc == 0 and 'exposure (domestic)' in out, 'exposure of a policy')
rc, out, err = run('--policy', 'nope', rich)
check(rc == 2 and "unknown policy 'nope'" in err, 'unknown policy')

# bad files: exit 2, the full message on stderr, nothing claimed valid
bad = {
    'share_sum.yaml': 'share_sum.yaml:22:7: materials[NdPr].routes: expected route shares '
                      'summing to 1 (within 1e-9)',
    'unknown_key.yaml': "unknown_key.yaml:29:17: materials[NdPr].stockpile.dayz: unknown key "
                        "'dayz' (did you mean 'days'?)",
    'policy_value.yaml': 'policy_value.yaml:50:29: policies[stockpile].changes.materials[NdPr]'
                         '.stockpile.days: expected a number >= 0, found -5',
    'malformed.yaml': 'malformed.yaml:7:10: regimes: malformed YAML',
    'duplicate_key.yaml': "duplicate_key.yaml:29:5: materials[NdPr].spare: duplicate key 'spare'",
    'invalid_utf8.yaml': 'invalid_utf8.yaml:32:30: expected UTF-8 text, found an invalid byte',
    'spectral_radius.yaml': 'spectral_radius.yaml:46:3: interdependency: expected an '
                            'interdependency matrix with spectral radius below 1',
    'csv_cell.yaml': "bad_cell.csv:3:5: interdependency.csv: expected a number, found 'zero'",
}
for name, msg in bad.items():
    rc, out, err = run(src('tests/scenarios/bad/' + name))
    check(rc == 2, f'{name}: exit {rc}')
    check(err.startswith('chokepoint validate: ') and msg in err, f'{name}: stderr {err!r}')
    check('scenario is valid' not in out, f'{name}: claims valid')

# size limits: a scenario error (exit 2), not an internal failure (exit 1)
import tempfile
with tempfile.TemporaryDirectory() as tmp:
    head = 'version: 1\nname: x\nimporter: KR\nhorizon_months: 1\nregimes: [a]\n'
    limits = {
        'suppliers.yaml': (head + 'suppliers:\n' + ''.join(f'- name: S{i}\n' for i in range(1001)),
                           'suppliers: refusing 1001 suppliers (limit 1000)'),
        'nesting.yaml': ('version: ' + '[' * 100 + ']' * 100 + '\n',
                         'refusing a document nested deeper than 64 levels'),
        'keys.yaml': ('version: 1\nm: {' + ', '.join(f'k{i}: 0' for i in range(20001)) + '}\n',
                      'refusing a mapping with more than 20000 keys'),
    }
    # a CSV over 256 MiB (sparse: nothing is written), refused from its size
    big = os.path.join(tmp, 'big.csv')
    with open(big, 'wb') as f:
        f.truncate(600 << 20)
    with open(src('tests/scenarios/bad/csv_cell.yaml')) as f:
        limits['big_csv.yaml'] = (f.read().replace('csv: bad_cell.csv', f'csv: {big}'),
                                  'interdependency.csv: refusing CSV file')
    for name, (text, msg) in limits.items():
        path = os.path.join(tmp, name)
        with open(path, 'w') as f:
            f.write(text)
        rc, out, err = run(path)
        check(rc == 2 and msg in err, f'{name}: exit {rc}: {err}')

# usage errors
rc, out, err = run('--bogus')
check(rc == 2 and "unknown option '--bogus'" in err, 'unknown option')
rc, out, err = run('a.yaml', 'b.yaml')
check(rc == 2 and 'at most one FILE' in err, 'two files')
rc, out, err = run(src('tests/scenarios/no-such-file.yaml'))
check(rc == 2 and 'cannot read the scenario' in err, f'missing file exit {rc}: {err}')
rc, out, err = run(src('tests'))
check(rc == 2 and 'Is a directory' in err, f'directory exit {rc}: {err}')
# A FIFO must be refused without opening it (opening would block until a writer).
import tempfile
with tempfile.TemporaryDirectory() as tmp:
    fifo = os.path.join(tmp, 'scenario.yaml')
    os.mkfifo(fifo)
    try:
        rc, out, err = run(fifo)
        check(rc == 2 and 'not a regular file' in err, f'fifo exit {rc}: {err}')
    except subprocess.TimeoutExpired:
        check(False, 'fifo: validate hung')

sys.exit(checks.finish())
