#!/usr/bin/env python3
"""CLI tests of `chokepoint bench`: the JSON lines parse and agree with each
other and with the scenario (sizes read from `chokepoint validate`), the kernel
follows CKP_KERNEL, a bad scenario or bad options exit 2 with a clear message,
and no temporary file is left behind. Tiny runs (a few paths, one repeat, one
thread); no timings are asserted, only that rates are positive and
consistent. usage: test_cli_bench.py CHOKEPOINT_BINARY"""
import json
import math
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402  (tests/checks.py)
from checks import check  # noqa: E402

EXE = sys.argv[1]
ROOT = os.environ.get('CKP_SOURCE_ROOT', os.path.join(os.path.dirname(__file__), '..'))
TMP = tempfile.mkdtemp(prefix='ckp_test_bench_')


def src(rel):
    return os.path.join(ROOT, rel)


def run(*args, env=None, cmd='bench'):
    """Runs with TMPDIR set to a fresh directory; returns rc, out, err, and
    what was left in that directory."""
    tmpdir = tempfile.mkdtemp(dir=TMP)
    e = dict(os.environ)
    e.pop('CKP_KERNEL', None)
    e['TMPDIR'] = tmpdir
    e.update(env or {})
    p = subprocess.run([EXE, cmd, *args], capture_output=True, text=True, timeout=240, env=e)
    left = os.listdir(tmpdir)
    return p.returncode, p.stdout, p.stderr, left


def json_lines(out):
    return [json.loads(line) for line in out.splitlines() if line.startswith('{')]


def close(a, b, rel=1e-4):
    return abs(a - b) <= rel * max(abs(a), abs(b))


# --help: the options and the kernels this machine has
rc, out, err, _ = run('--help')
check(rc == 0 and out.startswith('Usage: chokepoint bench') and err == '', 'help')
for opt in ('--threads', '--paths', '--repeat', '--quick', '--json'):
    check(opt in out, f'help lists {opt}')
m = re.search(r'Kernels on this machine: ([a-z0-9_, ]+) \(', out)
KERNELS = [k.strip() for k in m.group(1).split(',')] if m else []
check('scalar' in KERNELS and 'reference' in KERNELS, f'kernel list {KERNELS}')
rc, out, _, _ = run(cmd='--help')
check(rc == 0 and re.search(r'^  bench +measure', out, re.M), 'bench in chokepoint --help')

SMALL = ['--paths', '40', '--repeat', '1', '--threads', '1']
CASES = {'no-stats': (0, 0), 'stats': (1, 0), 'stats+file': (1, 1)}


def sizes(*file):
    """S, M, I, T, policies as `chokepoint validate` states them."""
    rc, out, err, _ = run(*file, cmd='validate')
    m = re.search(r'sizes: (\d+) suppliers, \d+ regimes, (\d+) materials, \d+ routes, '
                  r'(\d+) industries, (\d+) months, (\d+) policies', out)
    check(rc == 0 and m, f'validate {file}: {err}')
    n = re.search(r'^scenario: (\S+) ', out, re.M)
    return tuple(int(x) for x in m.groups()), n.group(1)


def check_lines(lines, what, paths, want_sizes, name, kernel=None, threads=(1,)):
    check(len(lines) == 3 * len(threads), f'{what}: {len(lines)} JSON lines')
    by = {}
    for j in lines:
        tag = f"{what}/{j.get('case')}/{j.get('threads')}"
        by[(j['case'], j['threads'])] = j
        check(j.get('ok') is True, f'{tag}: not ok: {j.get("error")}')
        if not j.get('ok'):
            continue
        check(j['case'] in CASES, f'{tag}: case name')
        ms, h5 = CASES.get(j['case'], (None, None))
        check(j['month_stats'] == ms and j['h5'] == h5, f'{tag}: month_stats/h5 {j}')
        check((j['file_bytes'] > 0) == bool(h5), f'{tag}: file_bytes {j["file_bytes"]}')
        got = (j['S'], j['M'], j['I'], j['months'], j['policies'])
        check(got == want_sizes, f'{tag}: sizes {got} != {want_sizes}')
        check(j['scenario'] == name, f'{tag}: scenario {j["scenario"]} != {name}')
        check(j['paths'] == paths and j['path_months'] == paths * j['months'],
              f'{tag}: paths {j["paths"]}, path_months {j["path_months"]}')
        check(j['kernel'] in KERNELS, f'{tag}: kernel {j["kernel"]} not in {KERNELS}')
        if kernel:
            check(j['kernel'] == kernel, f'{tag}: kernel {j["kernel"]} != {kernel}')
        for k in ('seconds', 'paths_per_s', 'path_months_per_s', 'policy_path_months_per_s',
                  'floor_seconds', 'floor_path_months_per_s', 'cpu_seconds', 'total_seconds',
                  'run_over_floor', 'cpu_path_months_per_s'):
            check(isinstance(j[k], (int, float)) and j[k] > 0 and math.isfinite(j[k]),
                  f'{tag}: {k} = {j[k]}')
        check(j['peak_rss_kb'] > 0 and j['setup_seconds'] >= 0, f'{tag}: rss, setup')
        check(j['total_seconds'] >= j['seconds'], f'{tag}: total < steady')
        pm = j['path_months']
        check(close(j['paths_per_s'], paths / j['seconds']), f'{tag}: paths_per_s')
        check(close(j['path_months_per_s'], pm / j['seconds']), f'{tag}: path_months_per_s')
        check(close(j['policy_path_months_per_s'], j['policies'] * j['path_months_per_s']),
              f'{tag}: policy_path_months_per_s')
        check(close(j['floor_path_months_per_s'], pm / j['floor_seconds']), f'{tag}: floor rate')
        check(close(j['run_over_floor'], j['seconds'] / j['floor_seconds']), f'{tag}: x floor')
        check(close(j['ns_per_path_month'], 1e9 / j['path_months_per_s']), f'{tag}: ns')
    for t in threads:  # one floor per thread count, shown with every variant
        fl = {by[(c, t)]['floor_seconds'] for c in CASES if (c, t) in by and by[(c, t)]['ok']}
        check(len(fl) == 1, f'{what}: floors at {t} threads {fl}')
    return by


# the built-in default scenario, JSON only
DEFAULT_SIZES, DEFAULT_NAME = sizes()
rc, out, err, left = run('--json', *SMALL)
check(rc == 0 and err == '', f'default --json exit {rc}: {err}')
check(all(line.startswith('{') for line in out.splitlines()), '--json prints only JSON')
check(left == [], f'default: left in TMPDIR: {left}')
check_lines(json_lines(out), 'default', 40, DEFAULT_SIZES, DEFAULT_NAME)

# the table, then the JSON lines; the kernel follows CKP_KERNEL
for kernel in ('scalar', 'reference'):
    rc, out, err, left = run(*SMALL, '--paths', '24', env={'CKP_KERNEL': kernel})
    check(rc == 0 and left == [], f'CKP_KERNEL={kernel}: exit {rc} {err}, left {left}')
    check(f'kernel {kernel} (on this machine: ' in out, f'CKP_KERNEL={kernel}: intro line')
    rows = [line for line in out.splitlines() if re.match(r'(no-stats|stats|stats\+file) ', line)]
    check(len(rows) == 3 and all(line.endswith(kernel) for line in rows),
          f'CKP_KERNEL={kernel}: table rows {rows}')
    check_lines(json_lines(out), f'CKP_KERNEL={kernel}', 24, DEFAULT_SIZES, DEFAULT_NAME, kernel)

# a scenario file: its sizes and name, and --quick (a tenth of the paths)
for rel in ('configs/examples/minimal.yaml', 'tests/scenarios/good/rich.yaml'):
    want, name = sizes(src(rel))
    rc, out, err, left = run(src(rel), '--json', '--quick', '--paths', '300', '--threads', '1')
    check(rc == 0 and left == [], f'{rel}: exit {rc} {err}, left {left}')
    check_lines(json_lines(out), rel, 30, want, name)

# bad input: exit 2, one clear message, nothing on stdout, nothing left behind
bad_file = src('tests/scenarios/bad/alias.yaml')
_, _, verr, _ = run(bad_file, cmd='validate')
loader_msg = verr.strip().split(': ', 1)[1]  # after "chokepoint validate: "
BAD = [
    ([bad_file], 'chokepoint bench: ' + loader_msg),
    ([os.path.join(TMP, 'no-such.yaml')], 'cannot read the scenario'),
    (['--paths', '0'], "option --paths expects a whole number from 2"),
    (['--paths', 'ten'], "got 'ten'"),
    (['--repeat', '0'], 'option --repeat expects a whole number from 1'),
    (['--threads', '0'], "option --threads expects thread counts"),
    (['--threads', '1,,2'], "got '1,,2'"),
    (['--threads', '2,'], "got '2,'"),
    (['--threads'], 'option --threads needs a value'),
    (['--bogus'], 'unknown option --bogus'),
    (['a.yaml', 'b.yaml'], 'more than one scenario file'),
]
for args, msg in BAD:
    rc, out, err, left = run(*args)
    check(rc == 2, f'{args}: exit {rc}')
    check(msg in err and err.startswith('chokepoint bench: '), f'{args}: message {err!r}')
    check(out == '' and left == [], f'{args}: stdout {out!r}, left {left}')
check(':20:14: suppliers[US].initial' in loader_msg, f'loader message {loader_msg}')
rc, out, err, left = run('--bogus')
check('Usage: chokepoint bench' in err, 'usage after an unknown option')
rc, out, err, left = run(*SMALL, env={'CKP_KERNEL': 'nonsense'})
check(rc == 2 and 'CKP_KERNEL=nonsense' in err and out == '' and left == [],
      f'CKP_KERNEL=nonsense: exit {rc} {err!r} {out!r} {left}')

# a stop signal while the results file is being written: the case ends, the
# temporary directory and the file in it are removed, exit 128 + SIGTERM
import signal
import time
sigdir = tempfile.mkdtemp(dir=TMP)
e = dict(os.environ, TMPDIR=sigdir)
e.pop('CKP_KERNEL', None)
p = subprocess.Popen([EXE, 'bench', '--paths', '4000', '--repeat', '1', '--threads', '1'],
                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=e)
seen = None
for _ in range(60000):  # wait (up to 10 minutes) for the file case to create its file
    inside = [os.path.join(sigdir, d, f) for d in os.listdir(sigdir)
              for f in os.listdir(os.path.join(sigdir, d))]
    if inside or p.poll() is not None:
        seen = inside
        break
    time.sleep(0.01)
p.send_signal(signal.SIGTERM)
out, err = p.communicate(timeout=120)
check(bool(seen), f'signal: no results file seen in {sigdir} (exit {p.returncode})')
check(p.returncode == 128 + signal.SIGTERM and 'stopped by SIGTERM' in err,
      f'signal: exit {p.returncode}, {err!r}')
check(os.listdir(sigdir) == [], f'signal: left behind {os.listdir(sigdir)}')
check('stats+file' not in out and not json_lines(out), f'signal: printed {out!r}')

for d in os.listdir(TMP):
    if os.path.isdir(os.path.join(TMP, d)):
        os.rmdir(os.path.join(TMP, d))
os.rmdir(TMP)
sys.exit(checks.finish())
