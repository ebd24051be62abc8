#!/usr/bin/env python3
"""Function lengths over src/ (issue 14's measure): lines from a function's signature to its closing brace,
outside test modules (text from a file's first `#[cfg(test)]` line on) and `tests.rs` files. A brace matcher
on rustfmt-formatted code, not a parser.

    python3 scripts/fn_lengths.py [N]    # count, median, p99, then the N longest (default 10)
"""
import os
import re
import statistics
import sys

FN = re.compile(r'^(\s*)(pub(\([^)]*\))?\s+)?(const\s+)?(async\s+)?(unsafe\s+)?fn\s+(\w+)')


def lengths(root='src'):
    out = []
    for base, _, files in os.walk(root):
        for name in files:
            if not name.endswith('.rs') or name == 'tests.rs':
                continue
            path = os.path.join(base, name)
            lines = open(path, encoding='utf-8').read().split('\n')
            cut = next((i for i, l in enumerate(lines) if l.strip() == '#[cfg(test)]'), len(lines))
            out.extend(functions(lines, cut, path))
    return out


def functions(lines, cut, path):
    i = 0
    while i < cut:
        m = FN.match(lines[i])
        if not m or lines[i].rstrip().endswith(';'):
            i += 1
            continue
        indent, name = m.group(1), m.group(7)
        j = i
        while j < len(lines) and not lines[j].rstrip().endswith('{'):
            j += 1
        k = j + 1
        while k < len(lines) and lines[k].rstrip() != indent + '}':
            k += 1
        yield (k - i + 1, path, i + 1, name)
        i = k + 1


def main():
    rows = sorted(lengths(), reverse=True)
    n = [r[0] for r in rows]
    short = sum(1 for x in n if x <= 10)
    print(f'functions {len(n)} median {statistics.median(n)} p99 {sorted(n)[int(len(n) * 0.99)]}'
          f' (10 lines or fewer: {short}, longer: {len(n) - short})')
    for r in rows[:int(sys.argv[1]) if len(sys.argv) > 1 else 10]:
        print(f'{r[0]:5d}  {r[1]}:{r[2]}  {r[3]}')


if __name__ == '__main__':
    main()
