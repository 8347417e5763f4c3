#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Floods must not blind traceed, nor mislead it, live.

    TRACEED=build/daemon/traceed TRIGGER_DIR=build/tests/live/triggers \\
        RULES_DIR=rules tests/live/flood_test.py CASE
    tests/live/flood_test.py --list

Four unprivileged processes (trg_flood, as uid 65534) open a ~4 KB path
that does not exist, as fast as they can, for a few seconds: anyone can do
that.

detection  traceed in detection mode with the default rules (`--foreground
           --rules RULES_DIR --output json`, the default 8 MiB ring buffer);
           no default rule can match a failed open.  Once a second two
           canaries are fired, each of which a default rule detects:
             - trg_traceme: ptrace(PTRACE_TRACEME)           -> TRC-102
             - python3 reading /etc/shadow                   -> TRD-2001
           Passes when traceed's summary says 0 events lost and every canary
           has its detection (rule and pid).  Before the kernel side dropped
           the failed calls no rule needs, the flood filled the ring buffer:
           hundreds of thousands of records lost, canaries among them.
order      traceed prints openat (`--events openat`: the failed opens are
           printed, so the flood does fill the main ring and records are
           lost there); meanwhile cat is run 300 times on a file of ours.
           Every printed open of that file must name cat as the executable:
           the exec that made the process cat travels on the other ring
           ("events_rare"), and user space must still see it before the
           opens of the new image (without the merge of the two rings,
           most come out with no executable or the forking shell's).

Exit status: 0 pass, 1 fail, 77 skip (not root, no BPF, no setpriv; with
TRACEED_TEST_STRICT=1 a failure).  python3 standard library only.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import rules_test as live  # noqa: E402  (Traceed, prerequisites)
sys.path.insert(0, os.path.dirname(HERE))
import testlib  # noqa: E402
from testlib import Failure, check  # noqa: E402

FLOOD_PROCS = 4
FLOOD_SECS = 6
ORDER_FLOOD_SECS = 4
EXECS = 300
DETECTION_WAIT = 10.0
SUMMARY_RE = re.compile(r'traceed: (\d+) events seen, (\d+) lost')
PY = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable


def trigger(name):
    path = os.path.join(live.env_path('TRIGGER_DIR'), name)
    check(os.access(path, os.X_OK), 'trigger %s is not built' % path)
    return path


def canary_ptrace():
    p = subprocess.run([trigger('trg_traceme')], capture_output=True, text=True, timeout=30,
                       cwd='/')
    check(p.returncode == 0, 'trg_traceme failed: %s' % p.stderr.strip())
    m = re.search(r'^pid=(\d+)$', p.stdout, re.M)
    check(m, 'trg_traceme printed no pid: %r' % p.stdout)
    return int(m.group(1))


def canary_shadow():
    p = subprocess.Popen([PY, '-c', "open('/etc/shadow').close()"], cwd='/',
                         stdin=subprocess.DEVNULL)
    check(p.wait(timeout=30) == 0, 'python3 could not read /etc/shadow')
    return p.pid


def detected(t, rule, pid):
    return any(d.get('rule_id') == rule and d.get('event', {}).get('hostProcessId') == pid
               for d in t.detections())


class Flood:
    """trg_flood as uid 65534, from a copy it can run whatever the build
    directory's modes."""

    def __init__(self, secs):
        self.secs = secs
        setpriv = shutil.which('setpriv')
        if not setpriv:
            raise live.Skip('setpriv is not installed (util-linux)')
        self.tmp = tempfile.mkdtemp(prefix='traceed-flood-')
        os.chmod(self.tmp, 0o755)
        self.bin = os.path.join(self.tmp, 'trg_flood')
        shutil.copy(trigger('trg_flood'), self.bin)
        self.argv = [setpriv, '--reuid=65534', '--regid=65534', '--clear-groups', self.bin,
                     str(FLOOD_PROCS), str(secs)]
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, cwd='/')

    def wait(self):
        """The number of failed opens made."""
        out, err = self.proc.communicate(timeout=self.secs + 30)
        check(self.proc.returncode == 0,
              'trg_flood failed (%d): %s' % (self.proc.returncode, err.strip()))
        m = re.search(r'^opens=(\d+)$', out, re.M)
        check(m and int(m.group(1)) > 0, 'trg_flood made no opens: %r' % out)
        return int(m.group(1))

    def cleanup(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)


def summary(t):
    """(seen, lost, the line) from traceed's summary on stderr."""
    lines = [l for l in t.err if SUMMARY_RE.search(l)]
    check(len(lines) == 1, 'no single summary line on stderr: %s' % t.err[-5:])
    m = SUMMARY_RE.search(lines[0])
    return int(m.group(1)), int(m.group(2)), lines[0].strip()


def case_detection(flood):
    t = live.Traceed().start()
    RUNNING.append(t)
    flood.start()
    canaries = []  # (rule, pid)
    deadline = time.monotonic() + FLOOD_SECS - 0.5
    time.sleep(0.5)
    while time.monotonic() < deadline:
        canaries.append(('TRC-102', canary_ptrace()))
        canaries.append(('TRD-2001', canary_shadow()))
        time.sleep(1)
    opens = flood.wait()

    until = time.monotonic() + DETECTION_WAIT
    while time.monotonic() < until and not all(detected(t, r, p) for r, p in canaries):
        time.sleep(0.2)
    missing = [(r, p) for r, p in canaries if not detected(t, r, p)]
    t.stop()
    RUNNING.remove(t)
    seen, lost, line = summary(t)
    print('flood: %d failed opens by %d processes in %d s; %s' % (opens, FLOOD_PROCS,
                                                                  FLOOD_SECS, line))
    check(lost == 0, '%d events lost under the flood: %s' % (lost, line))
    check(not missing, '%d of %d canaries not detected: %s' % (len(missing), len(canaries),
                                                               missing))
    print('PASS: 0 lost, %d canaries detected' % len(canaries))


class EventTraceed(testlib.Daemon):
    """traceed --foreground --output json --events openat (event mode)."""

    def __init__(self):
        super().__init__([live.TRACEED, '--foreground', '--output', 'json', '--events',
                          'openat'])

    def start(self):
        self.spawn()
        self.wait_ready_or_raise(live.READY_TIMEOUT)
        return self

    def stop(self):
        self.interrupt(live.EXIT_TIMEOUT)


def case_order(flood):
    cat = os.path.realpath(shutil.which('cat') or '/bin/cat')
    marker = os.path.join(flood.tmp, 'marker')
    with open(marker, 'w') as f:
        f.write('x\n')
    t = EventTraceed().start()
    RUNNING.append(t)
    flood.start()
    time.sleep(1)
    pids = set()
    for _ in range(EXECS):
        p = subprocess.Popen([cat, marker], stdout=subprocess.DEVNULL, cwd='/')
        p.wait(timeout=30)
        pids.add(p.pid)
    opens = flood.wait()
    time.sleep(1)
    t.stop()
    RUNNING.remove(t)
    seen, lost, line = summary(t)
    print('flood: %d failed opens printed or lost; %s' % (opens, line))
    exes = {}
    for raw in t.out:
        try:
            ev = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(ev, dict) or ev.get('eventName') != 'openat' or \
                ev.get('hostProcessId') not in pids:
            continue
        path = [a.get('value') for a in ev.get('args', []) if a.get('name') == 'pathname']
        if path == [marker]:
            exe = (ev.get('executable') or {}).get('path')
            exes[exe] = exes.get(exe, 0) + 1
    got = sum(exes.values())
    check(lost > 0, 'the flood lost nothing on the main ring: not a test of the merge (%s)' % line)
    check(got > 0, 'none of the %d opens of %s was printed' % (EXECS, marker))
    wrong = {e: n for e, n in exes.items() if e != cat}
    check(not wrong, '%d of %d opens of %s by a fresh cat name another executable: %s'
          % (sum(wrong.values()), got, marker, wrong))
    print('PASS: %d of %d opens printed under the flood, all by %s' % (got, EXECS, cat))


CASES = ['detection', 'order']
RUNNING = []


def run(case):
    live.TRACEED = live.env_path('TRACEED')
    live.RULES_DIR = live.env_path('RULES_DIR')
    live.check_prerequisites()
    flood = Flood(FLOOD_SECS if case == 'detection' else ORDER_FLOOD_SECS)
    try:
        globals()['case_' + case](flood)
        return 0
    finally:
        for t in RUNNING:
            print('\n'.join(t.err[-20:]))
            t.kill()
        flood.cleanup()


def main(argv):
    if len(argv) > 1 and argv[1] == '--list':
        print('\n'.join(CASES))
        return 0
    if len(argv) != 2 or argv[1] not in CASES:
        print(__doc__)
        return 2
    testlib.exit_on_sigterm()
    try:
        return run(argv[1])
    except live.Skip as e:
        return testlib.skip_status(e)
    except Failure as e:
        print('FAIL: %s' % e)
        return 1


if __name__ == '__main__':
    sys.exit(main(sys.argv))
