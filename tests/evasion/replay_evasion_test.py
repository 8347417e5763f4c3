#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Replay evasion test: every disguised process in the golden cases is caught.

    TRACEED=build/daemon/traceed RULES_DIR=rules tests/evasion/replay_evasion_test.py

The golden replay cases (tests/replay/cases/<RULE-ID>/) list in expect.json,
besides the key events, "evasion_key_events": events in fire.jsonl of
processes that pose as a program the rule exempts -- by name (a symlink
called dpkg to bash), by path (/usr/bin/gdb with "verified": false: a
look-alike), by ancestry (a maintainer script's shell below a verified
dpkg), by environment (LD_LIBRARY_PATH=/libfakeroot).  run_replay.py is
satisfied when one key event of fire.jsonl is detected; this test requires
a detection of the case's rule about each of these events, so that no
disguise slips through unnoticed.  make_replay_evasions.py adds them to
the cases record.py records.  No root, no BPF.

Exit status: 0 pass, 1 fail, 77 skip (traceed has no --replay; a failure
with TRACEED_TEST_STRICT=1).  python3 standard library only.
"""

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CASES_DIR = os.path.join(ROOT, 'tests', 'replay', 'cases')
sys.path.insert(0, os.path.dirname(HERE))
from testlib import Failure, Skip, check, guarded  # noqa: E402  (tests/testlib.py)


def replay(traceed, rules, path):
    argv = [traceed, '--replay', path, '--rules', rules, '--output', 'json']
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    if p.returncode != 0 and 'replay' in p.stderr and 'option' in p.stderr:
        raise Skip('traceed has no --replay: %s' % p.stderr.strip()[:300])
    check(p.returncode == 0, '%s exited %d: %s' % (' '.join(argv), p.returncode, p.stderr[-1000:]))
    dets = []
    for line in p.stdout.splitlines():
        d = json.loads(line)
        if isinstance(d, dict) and isinstance(d.get('event'), dict):
            dets.append(d)
    return dets


def main():
    traceed = os.path.abspath(os.environ.get('TRACEED') or os.path.join(ROOT, 'build', 'daemon', 'traceed'))
    rules = os.path.abspath(os.environ.get('RULES_DIR') or os.path.join(ROOT, 'rules'))
    failed, total, cases = [], 0, 0
    for case in sorted(os.listdir(CASES_DIR)):
        try:
            with open(os.path.join(CASES_DIR, case, 'expect.json')) as f:
                exp = json.load(f)
        except (OSError, ValueError):
            continue
        keys = exp.get('evasion_key_events') or []
        if not keys:
            continue
        cases += 1
        total += len(keys)
        dets = replay(traceed, rules, os.path.join(CASES_DIR, case, 'fire.jsonl'))
        seen = {(d['event'].get('eventName'), d['event'].get('timestamp'), d['event'].get('hostProcessId'))
                for d in dets if d.get('rule_id') == case}
        missed = [k for k in keys if (k['eventName'], k['timestamp'], k['hostProcessId']) not in seen]
        for k in missed:
            failed.append('%s: no detection about %s of pid %d at %d'
                          % (case, k['eventName'], k['hostProcessId'], k['timestamp']))
        print('%s %s: %d of %d disguised processes detected'
              % ('ok  ' if not missed else 'FAIL', case, len(keys) - len(missed), len(keys)))
    check(cases, 'no case in %s lists evasion_key_events' % CASES_DIR)
    if failed:
        raise Failure('%d of %d disguised processes escaped:\n    %s' % (len(failed), total, '\n    '.join(failed)))
    print('PASS: all %d disguised processes of %d cases detected' % (total, cases))


if __name__ == '__main__':
    sys.exit(guarded(main))
