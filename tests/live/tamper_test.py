#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Tamper alarms, live: traceed must notice being blinded or attacked.

    TRACEED=build/daemon/traceed RULES_DIR=rules tests/live/tamper_test.py CASE
    tests/live/tamper_test.py --list

Cases:
  selection  another process zeroes traceed's `wanted` selection map with
             bpftool (as root would to blind it): a critical TRD-2101
             detection within 10 s, and detection goes on (traceed writes
             its selection back)
  quiet      nothing happens for 8 s: no TRD-2101 (the heartbeat and the
             read-back pass on a healthy daemon)

Exit status: 0 pass, 1 fail, 77 skip (not root, no BPF, no bpftool; with
TRACEED_TEST_STRICT=1 a failure).  python3 standard library only.
"""

import json
import os
import shutil
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import rules_test as live  # noqa: E402  (Traceed, prerequisites)
sys.path.insert(0, os.path.dirname(HERE))
import testlib  # noqa: E402
from testlib import Failure, check  # noqa: E402

CASES = ['selection', 'quiet']
ALARM = 'TRD-2101'
TE_SELFCHECK_INTERVAL = 2  # s, daemon/service/selfcheck.h


def wanted_map_id(pid):
    """The id of the `wanted` map that traceed @pid holds: the map ids of its
    descriptors (/proc/PID/fdinfo, map_id:), named by bpftool."""
    ids = set()
    fdinfo = '/proc/%d/fdinfo' % pid
    for fd in os.listdir(fdinfo):
        try:
            with open(os.path.join(fdinfo, fd)) as f:
                for line in f:
                    if line.startswith('map_id:'):
                        ids.add(int(line.split()[1]))
        except OSError:
            continue
    out = subprocess.run(['bpftool', '-j', 'map', 'show'], capture_output=True, text=True,
                         timeout=30, check=True).stdout
    for m in json.loads(out):
        if m.get('name') == 'wanted' and m.get('id') in ids:
            return m['id']
    raise Failure('no map named wanted among the maps of traceed (pid %d): %s'
                  % (pid, sorted(ids)))


def zero_map(map_id, entries):
    for k in range(entries):
        key = [str(b) for b in k.to_bytes(4, 'little')]
        subprocess.run(['bpftool', 'map', 'update', 'id', str(map_id), 'key'] + key +
                       ['value', '0', '0', '0', '0'], check=True, timeout=30,
                       stdout=subprocess.DEVNULL)


def alarms(t):
    return [d for d in t.detections() if d.get('rule_id') == ALARM]


def case_selection(t):
    map_id = wanted_map_id(t.proc.pid)
    zero_map(map_id, 128)
    start = time.monotonic()
    hits = t.wait_for(lambda d: d.get('rule_id') == ALARM, 'a %s detection' % ALARM, 10)
    took = time.monotonic() - start
    d = hits[0]
    check(d['severity'] == 'critical', 'severity %r, want critical' % d['severity'])
    check('selection' in d['output'] or 'heartbeat' in d['output'],
          'the alarm does not say what failed: %r' % d['output'])
    print('PASS: selection zeroed, %s after %.1f s: %s' % (ALARM, took, d['output']))
    # traceed wrote its selection back: detection goes on (TRC-102 on a
    # PTRACE_TRACEME by a process that is no debugger)
    time.sleep(TE_SELFCHECK_INTERVAL + 1)
    subprocess.run([sys.executable, '-c', 'import ctypes; ctypes.CDLL(None).ptrace(0, 0, 0, 0)'],
                   check=True, timeout=30)
    t.wait_for(lambda x: x.get('rule_id') == 'TRC-102', 'TRC-102 after the selection was restored', 15)
    print('PASS: detection goes on after the restore')


def case_quiet(t):
    time.sleep(8)
    got = alarms(t)
    check(not got, 'a healthy traceed raised %s: %s' % (ALARM, got[:1]))
    print('PASS: no self-check alarm in 8 s')


def main(argv):
    if len(argv) > 1 and argv[1] == '--list':
        print('\n'.join(CASES))
        return 0
    if len(argv) != 2 or argv[1] not in CASES:
        print(__doc__)
        return 2
    testlib.exit_on_sigterm()
    t = None
    try:
        live.TRACEED = live.env_path('TRACEED')
        live.RULES_DIR = live.env_path('RULES_DIR')
        live.check_prerequisites()
        if argv[1] == 'selection' and not shutil.which('bpftool'):
            raise live.Skip('bpftool is not installed')
        t = live.Traceed().start()
        globals()['case_' + argv[1]](t)
        t.stop()
        t = None
        return 0
    except live.Skip as e:
        return testlib.skip_status(e)
    except Failure as e:
        print('FAIL: %s' % e)
        if t:
            print('\n'.join(t.err[-20:]))
        return 1
    finally:
        if t:
            t.kill()


if __name__ == '__main__':
    sys.exit(main(sys.argv))
