#!/usr/bin/env python3
"""Live test of rule reload (SIGHUP) in traceed --foreground.

1. traceed runs with a private copy of a one-rule file (ptrace TRACEME).
2. The file is broken (a syntax error) and traceed gets SIGHUP: it must say
   the reload failed, keep running the old rule, and still detect a trigger.
3. The file gets a second rule on an event the first did not need (kill(2)
   with SIGURG, which traceed was not tracing) and SIGHUP: it must report
   the reload and detect both, so the kernel side followed the new rules.

Needs root and BPF: exits 77 without (1 under TRACEED_TEST_STRICT=1).
Run by meson (suite live) with TRACEED and TRIGGER_DIR set.
"""
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from testlib import fail, skip  # noqa: E402  (tests/testlib.py: 77, or 1 under TRACEED_TEST_STRICT=1)

RULE_TRACEME = '''
- rule: Test anti-debugging
  id: TEST-1
  condition: evt.name = ptrace and evt.arg.request = PTRACE_TRACEME and proc.name = trg_traceme
  output: "%proc.name called ptrace(%evt.arg.request)"
  severity: low
'''

RULE_KILL = '''
- rule: Test SIGURG to self
  id: TEST-2
  condition: evt.name = kill and evt.arg.sig = SIGURG and proc.pid = %d
  output: "%%proc.name sent %%evt.arg.sig to %%evt.arg.pid"
  severity: info
'''


class Daemon:
    def __init__(self, traceed, rules):
        self.p = subprocess.Popen([traceed, '--foreground', '--rules', rules, '--output', 'json',
                                   '--dedup-window', '0'],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        os.set_blocking(self.p.stdout.fileno(), False)
        os.set_blocking(self.p.stderr.fileno(), False)
        self.out, self.err = '', ''

    def pump(self):
        for name in ('out', 'err'):
            f = getattr(self.p, 'stdout' if name == 'out' else 'stderr')
            try:
                data = f.read()
            except (BlockingIOError, TypeError):
                data = None
            if data:
                setattr(self, name, getattr(self, name) + data)

    def wait_err(self, text, timeout=30):
        end = time.time() + timeout
        while time.time() < end:
            self.pump()
            if text in self.err:
                return True
            if self.p.poll() is not None:
                self.pump()
                return text in self.err
            time.sleep(0.05)
        return False

    def detections(self):
        self.pump()
        return [json.loads(l) for l in self.out.splitlines() if l.strip()]

    def wait_rule(self, rule_id, count, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            if sum(1 for d in self.detections() if d['rule_id'] == rule_id) >= count:
                return True
            time.sleep(0.1)
        return False

    def stop(self):
        if self.p.poll() is None:
            self.p.send_signal(signal.SIGINT)
            try:
                self.p.wait(20)
            except subprocess.TimeoutExpired:
                self.p.kill()
        self.pump()


def main():
    traceed = os.environ.get('TRACEED')
    triggers = os.environ.get('TRIGGER_DIR')
    if not traceed or not triggers:
        fail('TRACEED and TRIGGER_DIR must be set (run through meson test)')
    if os.geteuid() != 0:
        skip('needs root for BPF')
    traceme = os.path.join(triggers, 'trg_traceme')
    d = tempfile.mkdtemp(prefix='traceed-reload-')
    rules = os.path.join(d, 'rules.yaml')
    with open(rules, 'w') as f:
        f.write(RULE_TRACEME)

    t = Daemon(traceed, rules)
    try:
        if not t.wait_err('traceed: ready'):
            if 'CAP_BPF' in t.err or 'loading the BPF programs failed' in t.err:
                skip('BPF unavailable: ' + t.err.strip())
            fail('traceed did not get ready:\n' + t.err)
        subprocess.run([traceme], stdout=subprocess.DEVNULL, check=True)
        if not t.wait_rule('TEST-1', 1):
            fail('TEST-1 did not fire before the reload:\n' + t.out + t.err)

        # A broken file: the reload fails and the old rule keeps working.
        with open(rules, 'w') as f:
            f.write(RULE_TRACEME + '\n- rule: [unclosed\n')
        t.p.send_signal(signal.SIGHUP)
        if not t.wait_err('reload failed, still running the previous 1 rules'):
            fail('no "reload failed" report:\n' + t.err)
        if 'rules.yaml:' not in t.err:
            fail('the reload error does not name the file:\n' + t.err)
        subprocess.run([traceme], stdout=subprocess.DEVNULL, check=True)
        if not t.wait_rule('TEST-1', 2):
            fail('TEST-1 stopped firing after a failed reload:\n' + t.err)

        # A good file with a rule on an event not traced so far.
        with open(rules, 'w') as f:
            f.write(RULE_TRACEME + RULE_KILL % os.getpid())
        t.p.send_signal(signal.SIGHUP)
        if not t.wait_err('reloaded: 2 of 2 rules enabled'):
            fail('no "reloaded" report:\n' + t.err)
        time.sleep(0.5)
        os.kill(os.getpid(), signal.SIGURG)  # ignored by default
        subprocess.run([traceme], stdout=subprocess.DEVNULL, check=True)
        if not t.wait_rule('TEST-2', 1):
            fail('TEST-2 (kill, a newly needed event) did not fire after the reload:\n' + t.err)
        if not t.wait_rule('TEST-1', 3):
            fail('TEST-1 did not fire after the good reload:\n' + t.err)
        det = [x for x in t.detections() if x['rule_id'] == 'TEST-2'][0]
        if det['output_fields'].get('evt.arg.sig') != 'SIGURG':
            fail('TEST-2 output_fields: %r' % det['output_fields'])
    finally:
        t.stop()
        for name in os.listdir(d):
            os.unlink(os.path.join(d, name))
        os.rmdir(d)
    print('PASS: reload keeps the old rules on error and follows new ones')


if __name__ == '__main__':
    main()
