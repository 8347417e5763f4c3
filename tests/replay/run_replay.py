#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Golden replay tests of the default rules: no root, no BPF.

    TRACEED=build/daemon/traceed tests/replay/run_replay.py RULE-ID   # one case
    tests/replay/run_replay.py --all                                  # every case
    tests/replay/run_replay.py --coverage     # every rule in rules/ has a case
    tests/replay/run_replay.py --list

A case is tests/replay/cases/<RULE-ID>/: fire.jsonl and miss.jsonl (event
lines as `traceed --foreground --output json` prints them, recorded with
record.py) and expect.json.  For each, `traceed --replay FILE --rules
RULES_DIR --output json` must exit 0 and print only detection objects;
then, strictly:

  - fire.jsonl raises RULE-ID, about one of the key events of expect.json
    (same eventName, timestamp and hostProcessId), with the rule's
    rule_name, severity, priority, mitre, and the expected output_fields;
    every detection carries the full detection key set;
  - miss.jsonl raises no RULE-ID detection.

Environment: TRACEED (default build/daemon/traceed), RULES_DIR (default
rules/ of the source tree).  Exit 0 pass, 1 fail, 77 skip (traceed has no
--replay yet; TRACEED_TEST_STRICT=1 makes that a failure).

python3 standard library only.
"""

import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CASES_DIR = os.path.join(HERE, 'cases')
sys.path.insert(0, os.path.dirname(HERE))
from testlib import Failure, Skip, check, skip_status  # noqa: E402,F401  (tests/testlib.py)

DETECTION_KEYS = ('time', 'rule_id', 'rule_name', 'severity', 'priority', 'mitre', 'tags',
                  'output', 'output_fields', 'suppressed', 'hostname', 'event')
PRIORITY = {'critical': 'Critical', 'high': 'Error', 'medium': 'Warning', 'low': 'Notice',
            'info': 'Informational'}
TIME_RE = re.compile(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$')


def traceed():
    return os.path.abspath(os.environ.get('TRACEED') or os.path.join(ROOT, 'build', 'daemon', 'traceed'))


def rules_dir():
    return os.path.abspath(os.environ.get('RULES_DIR') or os.path.join(ROOT, 'rules'))


def replay(path):
    argv = [traceed(), '--replay', path, '--rules', rules_dir(), '--output', 'json']
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    err = p.stderr.decode('utf-8', 'replace')
    if p.returncode != 0 and re.search(r'(unrecognized|unknown|invalid) option', err):
        raise Skip('traceed has no --replay yet: %s' % err.strip()[:300])
    check(p.returncode == 0, '%s exited %d; stderr:\n%s' % (' '.join(argv), p.returncode, err))
    dets = []
    for n, line in enumerate(p.stdout.decode('utf-8').splitlines(), 1):
        try:
            d = json.loads(line)
        except ValueError as e:
            raise Failure('%s: stdout line %d is not JSON (%s): %r' % (path, n, e, line[:300]))
        check(isinstance(d, dict), '%s: stdout line %d is not an object' % (path, n))
        missing = [k for k in DETECTION_KEYS if k not in d]
        check(not missing, '%s: detection line %d lacks %s: %s' % (path, n, missing, line[:300]))
        dets.append(d)
    return dets


def check_fire(case, exp, dets):
    mine = [d for d in dets if d['rule_id'] == case]
    check(mine, 'fire.jsonl raised no %s detection (got: %s)' % (case, sorted({d['rule_id'] for d in dets})))
    keys = {(k['eventName'], k['timestamp'], k['hostProcessId']) for k in exp['key_events']}
    about = [d for d in mine if isinstance(d['event'], dict) and
             (d['event'].get('eventName'), d['event'].get('timestamp'), d['event'].get('hostProcessId')) in keys]
    check(about, '%s detections are not about the key events %s: they are about %s' % (
        case, sorted(keys), [(d['event'].get('eventName'), d['event'].get('timestamp')) for d in mine]))
    for d in mine:
        check(d['rule_name'] == exp['rule_name'], 'rule_name %r, expected %r' % (d['rule_name'], exp['rule_name']))
        check(d['severity'] == exp['severity'], 'severity %r, expected %r' % (d['severity'], exp['severity']))
        check(d['priority'] == PRIORITY[exp['severity']],
              'priority %r, expected %r' % (d['priority'], PRIORITY[exp['severity']]))
        m = exp.get('mitre') or {}
        check(isinstance(d['mitre'], dict) and d['mitre'].get('technique') == m.get('technique')
              and d['mitre'].get('tactic') == m.get('tactic'),
              'mitre %r, expected %r' % (d['mitre'], m))
        check(isinstance(d['output'], str) and d['output'] and '%' not in d['output'],
              'output not rendered: %r' % d['output'])
        check(TIME_RE.match(str(d['time'])), 'time %r is not RFC 3339 UTC with ns' % d['time'])
        check(isinstance(d['output_fields'], dict) and d['output_fields'],
              'output_fields empty: %r' % d['output_fields'])
    for field, want in exp.get('output_fields', {}).items():
        got = [d['output_fields'].get(field) for d in about]
        check(any(str(g) == str(want) for g in got),
              'output_fields[%r] of the %s detection: expected %r, got %r' % (field, case, want, got))
    return len(mine)


def run_case(case):
    d = os.path.join(CASES_DIR, case)
    check(os.path.isdir(d), 'no case directory %s' % d)
    with open(os.path.join(d, 'expect.json')) as f:
        exp = json.load(f)
    check(exp['rule_id'] == case, 'expect.json is for %s' % exp['rule_id'])
    check(exp['key_events'], 'expect.json has no key events (re-record the case)')
    n = check_fire(case, exp, replay(os.path.join(d, 'fire.jsonl')))
    miss = [x for x in replay(os.path.join(d, 'miss.jsonl')) if x['rule_id'] == case]
    check(not miss, 'miss.jsonl raised %s: %s' % (case, json.dumps(miss[0])[:600] if miss else ''))
    print('PASS: %s (%d detections on fire.jsonl, none on miss.jsonl)' % (case, n))


def rule_ids():
    ids = []
    for f in sorted(os.listdir(rules_dir())):
        if f.endswith(('.yaml', '.yml')):
            with open(os.path.join(rules_dir(), f)) as fh:
                ids += re.findall(r'^\s+id:\s*(\S+)\s*$', fh.read(), re.M)
    return ids


def coverage():
    ids = rule_ids()
    check(ids, 'no rule ids found in %s' % rules_dir())
    missing = [i for i in ids if not os.path.isfile(os.path.join(CASES_DIR, i, 'fire.jsonl'))
               or not os.path.isfile(os.path.join(CASES_DIR, i, 'miss.jsonl'))]
    check(not missing, 'rules without a replay case (fire.jsonl + miss.jsonl): %s' % missing)
    print('PASS: all %d rules have a replay case' % len(ids))


def main(argv):
    if len(argv) != 2 or argv[1] in ('-h', '--help'):
        print(__doc__)
        return 0 if len(argv) == 2 else 2
    cases = sorted(os.listdir(CASES_DIR))
    if argv[1] == '--list':
        print('\n'.join(cases))
        return 0
    try:
        if argv[1] == '--coverage':
            coverage()
        elif argv[1] == '--all':
            failed = []
            for c in cases:
                try:
                    run_case(c)
                except Failure as e:
                    print('FAIL: %s: %s' % (c, e))
                    failed.append(c)
            if failed:
                print('failed: %s' % ' '.join(failed))
                return 1
        else:
            run_case(argv[1])
    except Skip as e:
        return skip_status(e)
    except Failure as e:
        print('FAIL: %s' % e)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
