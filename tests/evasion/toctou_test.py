#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Time-of-check/time-of-use of path arguments: a flipped buffer must not
make an unlink of one file pass for an unlink of another.

    TRACEED=build/daemon/traceed RT_TRIGGER=build/tests/live/rule_triggers/rt_trigger \\
        RULES_DIR=rules tests/evasion/toctou_test.py

Starts `traceed --foreground --rules RULES_DIR --events unlink,unlinkat
--output json` (the default rules, and every unlink event printed), then
`rt_trigger toctou-unlink N` in a fresh directory: a second thread flips
the path buffer between "secret" and "benign" while the main thread
recreates both files and unlinks the buffer, until N unlinks removed
"secret".  The trigger prints which file each of its unlinks removed (it
looks which one is gone), in order; every one of them succeeds.  The
successful unlink events of the trigger's thread, in timestamp order, are
matched one to one with that list, and every unlink that removed "secret"
must be reported either with the real path (DIR/secret) or with
path_changed set (the buffer was rewritten during the call; the path is
then the string read at syscall entry).  TRD-2010 must fire.

Before the syscall-entry reads (docs/kernel.md, "Paths"), the path was
read from the buffer at syscall exit only, and a large share of the
"secret" unlinks came out as ".../benign", with nothing to say so.

Exit status: 0 pass, 1 fail, 77 skip (not root or no BPF; a failure with
TRACEED_TEST_STRICT=1).  python3 standard library only.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'live'))
import rules_test as live  # noqa: E402  (prerequisites, reporting)
sys.path.insert(0, os.path.dirname(HERE))
import testlib  # noqa: E402  (tests/testlib.py)
from testlib import Failure, check  # noqa: E402

SECRET_UNLINKS = 1000   # successful unlinks of "secret" the trigger makes
WAIT = 20.0             # for traceed to print every event of the trigger
UNLINK = ('unlink', 'unlinkat')


def arg(ev, name):
    for a in ev.get('args', ()):
        if a['name'] == name:
            return a['value']
    return None


class EventTraceed(live.Traceed):
    """traceed with the default rules that also prints the unlink events."""

    def __init__(self):
        testlib.Daemon.__init__(self, [live.TRACEED, '--foreground', '--rules', live.RULES_DIR,
                                       '--events', ','.join(UNLINK), '--output', 'json'])

    def objects(self):
        return self.detections()   # every JSON object on stdout, events too

    def stop(self):
        self.interrupt(live.EXIT_TIMEOUT)
        return self.objects()


def run_trigger(rt, d):
    env = {k: v for k, v in os.environ.items() if k not in live.LD_VARS}
    p = subprocess.run([rt, 'toctou-unlink', str(SECRET_UNLINKS)], cwd=d, env=env,
                       stdin=subprocess.DEVNULL, capture_output=True, timeout=120)
    out, err = p.stdout.decode('utf-8', 'replace'), p.stderr.decode('utf-8', 'replace')
    live.TRIGGERS.append(('toctou-unlink %d' % SECRET_UNLINKS, 0, p.returncode, out[:2000], err))
    check(p.returncode == 0, 'rt_trigger toctou-unlink failed (%d): %s' % (p.returncode, err))
    kv = dict(l.split('=', 1) for l in out.splitlines() if '=' in l)
    seq = kv.get('seq', '')
    check(int(kv.get('secret', 0)) >= SECRET_UNLINKS and seq.count('s') >= SECRET_UNLINKS,
          'the trigger made %s successful unlinks of "secret", not %d' % (kv.get('secret'), SECRET_UNLINKS))
    return int(kv['tid']), seq


def unlinks_of(objs, tid):
    evs = [o for o in objs if 'rule_id' not in o and o.get('eventName') in UNLINK
           and o.get('hostThreadId') == tid and o.get('returnValue') == 0]
    return sorted(evs, key=lambda e: e['timestamp'])


def body():
    live.TRACEED = live.env_path('TRACEED')
    live.RULES_DIR = live.env_path('RULES_DIR', os.path.join(os.path.dirname(os.path.dirname(HERE)), 'rules'))
    rt = live.env_path('RT_TRIGGER')
    live.check_prerequisites()
    check(os.access(rt, os.X_OK), 'trigger %s is not built' % rt)
    d = os.path.realpath(tempfile.mkdtemp(prefix='traceed-toctou-', dir='/run'))
    DIRS.append(d)
    secret, benign = os.path.join(d, 'secret'), os.path.join(d, 'benign')

    t = EventTraceed().start()
    tid, seq = run_trigger(rt, d)
    # every call of the loop succeeded, then the cleanup removes the file left
    deadline = time.monotonic() + WAIT
    while len(unlinks_of(t.objects(), tid)) < len(seq) and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(0.5)
    objs = t.stop()
    evs = unlinks_of(objs, tid)
    check(len(evs) >= len(seq),
          'traceed printed %d successful unlinks of thread %d, the trigger made %d (lost records?)'
          % (len(evs), tid, len(seq)))

    real = flagged = missed = flagged_total = 0
    wrong = []
    for i, removed in enumerate(seq):
        e = evs[i]
        path, changed = arg(e, 'pathname'), arg(e, 'path_changed') is True
        flagged_total += changed
        check(path in (secret, benign), 'unlink %d reported as %r, not a name of %s' % (i, path, d))
        if removed != 's':
            continue
        if path == secret:
            real += 1
        elif changed:
            flagged += 1
        else:
            missed += 1
            if len(wrong) < 5:
                wrong.append((i, e['timestamp'], path))
    n = seq.count('s')
    print('%d unlinks, %d of them removed "secret": %d reported as %s, %d as %s with path_changed, '
          '%d as "benign" with nothing to say so; path_changed on %d unlinks in all'
          % (len(seq), n, real, secret, flagged, benign, missed, flagged_total))
    check(missed == 0, '%d of %d unlinks of %s were reported as %s without path_changed '
          '(first: %r)' % (missed, n, secret, benign, wrong))
    dets = [o for o in objs if o.get('rule_id') == 'TRD-2010']
    check(dets and any(x['event'].get('hostThreadId') == tid for x in dets),
          'no TRD-2010 detection about thread %d (%d path_changed events)' % (tid, flagged_total))


DIRS = []


def main(argv):
    if len(argv) > 1 and argv[1] in ('-h', '--help'):
        print(__doc__)
        return 0
    testlib.exit_on_sigterm()

    def cleanup():
        live.kill_running()
        for d in DIRS:
            shutil.rmtree(d, ignore_errors=True)

    status = testlib.guarded(body, live.report_failure, cleanup)
    if status:
        return status
    print('PASS: toctou')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
