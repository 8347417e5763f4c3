#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The libraries' contracts, checked on what the linker sees.

    boundaries_test.py LIB.a...

daemon/meson.build splits the daemon into static libraries; each one's
`dependencies:` is its contract.  The event model, the rule language, the
engine and base must work without libsystemd, libbpf and libcurl (replay,
the unit tests and the fuzzers link them alone), and a header outside the
contract is not on their include path.  A prototype written by hand, or a
header reached by a relative path, still compiles, though: this test runs
nm on each library and fails when an object in it has an undefined symbol
of one of those libraries, naming the symbol, the object and the library.

Environment: NM (default nm).  No nm is a skip (77), a failure (1) under
TRACEED_TEST_STRICT=1.
"""
import os
import re
import shutil
import subprocess
import sys

# Prefixes of the symbols the checked libraries must not reach, and whose.
FORBIDDEN = [
    ('sd_', 'libsystemd'),
    ('libbpf_', 'libbpf'),
    ('bpf_', 'libbpf'),
    ('btf_', 'libbpf'),
    ('ring_buffer__', 'libbpf'),
    ('curl_', 'libcurl'),
]

# `nm -P -A`: "ARCHIVE[OBJECT]: SYMBOL TYPE ..." ("FILE: SYMBOL TYPE ..."
# for a plain object file).
LINE = re.compile(r'^(?:(?P<ar>[^\[]*)\[(?P<obj>[^\]]*)\]|(?P<file>[^:]*)): '
                  r'(?P<sym>\S+) (?P<type>\S)')


def skip(why):
    strict = os.environ.get('TRACEED_TEST_STRICT') == '1'
    print(f'boundaries: {"FAIL (TRACEED_TEST_STRICT=1)" if strict else "SKIP"}: {why}')
    sys.exit(1 if strict else 77)


def nm(tool, lib, *opts):
    """(object, symbol, type) for each symbol nm prints for @lib."""
    r = subprocess.run([tool, '-P', '-A', *opts, lib], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f'boundaries: {tool} {lib} failed ({r.returncode}): {r.stderr.strip()}')
    out = []
    for line in r.stdout.splitlines():
        m = LINE.match(line)
        if m:
            obj = m.group('obj') or m.group('file')
            out.append((os.path.basename(obj), m.group('sym'), m.group('type')))
    return out


def owner(sym):
    for prefix, whose in FORBIDDEN:
        if sym.startswith(prefix):
            return whose
    return None


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__.split('\n\n')[1].strip())
    tool = shutil.which(os.environ.get('NM', 'nm'))
    if not tool:
        skip(f'no {os.environ.get("NM", "nm")} (binutils) in PATH')
    bad = 0
    for lib in argv[1:]:
        name = os.path.basename(lib)
        if not os.path.isfile(lib):
            sys.exit(f'boundaries: {lib}: no such library (not built?)')
        defined = nm(tool, lib, '--defined-only')
        objects = {o for o, _, _ in defined}
        if not defined:
            # An empty list would pass vacuously (LTO objects that this nm
            # cannot read, say): that is not a check.
            sys.exit(f'boundaries: {name}: nm lists no defined symbol; cannot check it')
        undefined = nm(tool, lib, '--undefined-only')
        hits = sorted({(o, s) for o, s, _ in undefined if owner(s)})
        for obj, sym in hits:
            print(f'boundaries: FAIL: {name}: {obj}: undefined symbol {sym} ({owner(sym)}),'
                  f' outside the library\'s contract (daemon/meson.build)')
        bad += len(hits)
        print(f'boundaries: {name}: {len(objects)} objects, {len(undefined)} undefined'
              f' references, {len(hits)} forbidden')
    if bad:
        print(f'boundaries: {bad} forbidden reference(s): '
              + ', '.join(p + '*' for p, _ in FORBIDDEN))
        return 1
    print('boundaries: OK: no reference to ' + ', '.join(p + '*' for p, _ in FORBIDDEN))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
