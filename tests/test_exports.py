#!/usr/bin/env python3
"""The shared library exports exactly the public API.

The library is built with hidden visibility and marks its public declarations
with CKP_API (include/chokepoint/api.h). This test reads the dynamic symbol
table of the built library with `nm -D --defined-only` and checks both ways:
every exported code or data symbol (types T, D, B, R) is a name declared with
CKP_API in include/chokepoint/*.h, and every name so declared is exported. It
also checks that every extern object of a public header carries CKP_API, since
one without it is declared public yet hidden from the shared library.

usage: test_exports.py LIBCHOKEPOINT_SO
Exits 77 (meson's skip) when nm is not installed."""
import glob
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import checks  # noqa: E402  (tests/checks.py)
from checks import check  # noqa: E402
checks.quiet = True  # only the FAIL lines, on stderr
checks.out = sys.stderr

ROOT = os.environ.get('CKP_SOURCE_ROOT', os.path.join(os.path.dirname(__file__), '..'))
EXPORT_TYPES = set('TDBR')
# Symbols the linker defines in every shared object, not part of any API.
LINKER_SYMBOLS = {'_init', '_fini', '_edata', '_end', '__bss_start'}
# Symbols a sanitizer build adds (AddressSanitizer's ODR indicators of the
# exported globals, for one), not part of any API either.
SANITIZER_PREFIXES = ('__odr_asan', '__asan_', '__ubsan_', '__sanitizer_', '__sancov_')
IDENT = r'[A-Za-z_][A-Za-z0-9_]*'


def header_text(path):
    """The header without comments, string literals and preprocessor lines."""
    with open(path, encoding='utf-8') as f:
        s = f.read()
    s = re.sub(r'/\*.*?\*/', ' ', s, flags=re.S)
    s = re.sub(r'//[^\n]*', ' ', s)
    s = re.sub(r'"(\\.|[^"\\])*"', '""', s)
    # Preprocessor lines, with their continuations (api.h defines CKP_API).
    s = re.sub(r'^[ \t]*#(?:[^\n]*\\\n)*[^\n]*', ' ', s, flags=re.M)
    return s


def strip_attributes(decl):
    """Remove __attribute__((...)) groups, which may hold parentheses."""
    while True:
        m = re.search(r'__attribute__\s*\(', decl)
        if not m:
            return decl
        depth, i = 0, m.end() - 1
        while i < len(decl):
            depth += {'(': 1, ')': -1}.get(decl[i], 0)
            i += 1
            if depth == 0:
                break
        decl = decl[:m.start()] + ' ' + decl[i:]


def declared_name(decl):
    """The name a declaration declares: the identifier before the parameter
    list of a function, or before the array bound or end of an object."""
    decl = strip_attributes(decl)
    m = re.search(r'(' + IDENT + r')\s*[(\[;=]', decl + ';')
    return m.group(1) if m else None


def public_declarations():
    """(names declared with CKP_API, names of extern objects without it), each
    a dict name -> header."""
    marked, unmarked = {}, {}
    for path in sorted(glob.glob(os.path.join(ROOT, 'include', 'chokepoint', '*.h'))):
        rel = os.path.relpath(path, ROOT)
        # Declarations (and the heads of definitions) split at ; { and }.
        for chunk in re.split(r'[;{}]', header_text(path)):
            name = declared_name(chunk)
            if not name:
                continue
            if re.search(r'\bCKP_API\b', chunk):
                marked[name] = rel
            elif re.search(r'\bextern\b', chunk) and not re.search(r'\bextern\s*""', chunk):
                unmarked[name] = rel
    return marked, unmarked


def exported_symbols(nm, lib):
    p = subprocess.run([nm, '-D', '--defined-only', lib], capture_output=True, text=True,
                       timeout=60)
    if p.returncode != 0:
        sys.exit(f'{nm} -D --defined-only {lib} failed: {p.stderr.strip()}')
    names = set()
    for line in p.stdout.splitlines():
        fields = line.split()
        if len(fields) >= 2 and fields[-2] in EXPORT_TYPES:
            name = fields[-1].split('@')[0]
            if name not in LINKER_SYMBOLS and not name.startswith(SANITIZER_PREFIXES):
                names.add(name)
    return names


def main():
    if len(sys.argv) != 2:
        sys.exit('usage: test_exports.py LIBCHOKEPOINT_SO')
    nm = shutil.which('nm')
    if not nm:
        print('nm not found: skipped')
        return 77
    marked, unmarked = public_declarations()
    exported = exported_symbols(nm, sys.argv[1])
    if not check(marked, 'CKP_API declarations found in include/chokepoint/*.h'):
        return 1

    extra = sorted(exported - marked.keys())
    check(not extra, 'every exported symbol declared with CKP_API in include/chokepoint/; '
          'exported but not declared: ' + ', '.join(extra))
    missing = sorted(marked.keys() - exported)
    check(not missing, 'every name declared with CKP_API exported; declared but not exported: '
          + ', '.join(f'{n} ({marked[n]})' for n in missing))
    check(not unmarked, 'every extern declaration of a public header with CKP_API; without it '
          '(hidden from the shared library): '
          + ', '.join(f'{n} ({unmarked[n]})' for n in sorted(unmarked)))
    print(f'{len(exported)} exported symbols, {len(marked)} CKP_API declarations')
    return checks.status()


if __name__ == '__main__':
    sys.exit(main())
