#!/usr/bin/env python3
"""Turn a text file into a C source defining a byte array and its length.

usage: embed.py INPUT OUTPUT SYMBOL
Defines `const char SYMBOL[]` (NUL-terminated) and `const unsigned long SYMBOL_len`.
"""
import sys


def main() -> int:
    src, dst, sym = sys.argv[1:4]
    data = open(src, 'rb').read()
    lines = [f'/* generated from {src.split("/")[-1]} by scripts/embed.py; do not edit */',
             f'extern const char {sym}[];',
             f'extern const unsigned long {sym}_len;',
             f'const char {sym}[] = {{']
    for i in range(0, len(data), 16):
        lines.append('  ' + ', '.join(str(b) for b in data[i:i + 16]) + ',')
    lines.append('  0};')
    lines.append(f'const unsigned long {sym}_len = {len(data)}UL;')
    open(dst, 'w').write('\n'.join(lines) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
