#!/usr/bin/env python3
"""End to end: traceed --service writes a detection to the journal.

In a private mount namespace (tmpfs over /run and /var/log, so the host's
journal is never touched) a standalone systemd-journald runs; traceed
--service runs with the tree's rules; a trigger calls
ptrace(PTRACE_TRACEME); the journal must then hold one entry with
TRACEED_RULE_ID=TRC-102, the detection MESSAGE_ID, PRIORITY from the
severity and the trigger's pid, comm and exe.  A reload (SIGHUP) must leave
a "rules reloaded" entry.

Case "state": traceed --service --config FILE, the file naming the rules and
a state directory whose rule-state disables TRC-102: an mprotect W+X
trigger must give its TRC-104 entry while the PTRACE_TRACEME trigger run
before it gives no TRC-102 entry.

Needs root and BPF: exits 77 without (1 under TRACEED_TEST_STRICT=1).
"""
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from testlib import fail, skip  # noqa: E402  (tests/testlib.py: 77, or 1 under TRACEED_TEST_STRICT=1)
JOURNALD = '/lib/systemd/systemd-journald'
ID_DETECTION = '02684fb27ab246cc93ac342c45c7a9f6'
ID_RELOADED = 'ebae09ad5f4e4f06be3d540ac121fbc4'


def journal(match):
    r = subprocess.run(['journalctl', '-D', '/run/log/journal', '-o', 'json', '--no-pager', match],
                       capture_output=True, text=True)
    return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]


def wait_for(what, pred, timeout=15):
    end = time.time() + timeout
    while time.time() < end:
        got = pred()
        if got:
            return got
        time.sleep(0.2)
    fail('timed out waiting for ' + what)


def inner(case):
    traceed, rules, trigger = os.environ['TRACEED'], os.environ['RULES_DIR'], os.environ['TRIGGER']
    for target in ('/run', '/var/log'):
        subprocess.run(['mount', '-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', target], check=True)
    jd = subprocess.Popen([JOURNALD], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                          env=dict(os.environ, SYSTEMD_LOG_TARGET='console'))
    wait_for('journald', lambda: os.path.exists('/run/systemd/journal/socket'))
    errlog = '/run/traceed.stderr'
    argv = [traceed, '--service', '--rules', rules]
    if case == 'state':
        os.makedirs('/run/traceed-state')
        with open('/run/traceed-state/rule-state', 'w') as f:
            f.write('# written by the test\ndisabled TRC-102\n')
        with open('/run/traceed.yaml', 'w') as f:
            f.write('rule_paths: [%s]\nstate_dir: /run/traceed-state\n' % rules)
        argv = [traceed, '--service', '--config', '/run/traceed.yaml']
    with open(errlog, 'w') as err:
        t = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=err)
    try:
        def ready():
            with open(errlog) as f:
                text = f.read()
            if t.poll() is not None:
                if 'CAP_BPF' in text or 'loading the BPF programs failed' in text:
                    skip('BPF unavailable: ' + text)
                fail('traceed exited:\n' + text)
            return 'traceed: ready' in text
        wait_for('traceed to attach', ready, 60)
        if case == 'state':
            state_case(trigger)
            return
        trig = subprocess.run([trigger], capture_output=True, text=True, check=True)
        pid = trig.stdout.split('pid=')[1].split()[0]
        entries = wait_for('the TRC-102 journal entry',
                           lambda: [e for e in journal('TRACEED_RULE_ID=TRC-102')
                                    if e.get('TRACEED_PID') == pid])
        e = entries[0]
        expect = {'MESSAGE_ID': ID_DETECTION, 'TRACEED_SEVERITY': 'low', 'PRIORITY': '5',
                  'TRACEED_COMM': 'trg_traceme', 'TRACEED_EXE': os.path.realpath(trigger),
                  'TRACEED_MITRE': 'T1622', 'SYSLOG_IDENTIFIER': 'traceed'}
        for k, v in expect.items():
            if e.get(k) != v:
                fail('%s: expected %r, got %r (entry %r)' % (k, v, e.get(k), e))
        if not e.get('MESSAGE', '').startswith('TRC-102 '):
            fail('MESSAGE %r' % e.get('MESSAGE'))
        event = json.loads(e['TRACEED_EVENT'])
        if event['eventName'] != 'ptrace' or str(event['hostProcessId']) != pid:
            fail('TRACEED_EVENT %r' % event)
        t.send_signal(signal.SIGHUP)
        wait_for('the "rules reloaded" entry', lambda: journal('MESSAGE_ID=' + ID_RELOADED))
    finally:
        if t.poll() is None:
            t.send_signal(signal.SIGTERM)
            try:
                t.wait(20)
            except subprocess.TimeoutExpired:
                t.kill()
        jd.send_signal(signal.SIGTERM)
        jd.wait(10)
    print('PASS: detection and reload entries in the journal')


def state_case(trigger):
    traceme = subprocess.run([trigger], capture_output=True, text=True, check=True)
    traceme_pid = traceme.stdout.split('pid=')[1].split()[0]
    mprotect = os.path.join(os.path.dirname(trigger), 'trg_mprotect')
    mp = subprocess.run([mprotect], capture_output=True, text=True, check=True)
    mp_pid = mp.stdout.split('pid=')[1].split()[0]
    wait_for('the TRC-104 entry of the W+X trigger',
             lambda: [e for e in journal('TRACEED_RULE_ID=TRC-104') if e.get('TRACEED_PID') == mp_pid])
    hits = [e for e in journal('TRACEED_RULE_ID=TRC-102') if e.get('TRACEED_PID') == traceme_pid]
    if hits:
        fail('TRC-102 is disabled in the rule state but fired: %r' % hits[0].get('MESSAGE'))
    print('PASS: the rule state disabled TRC-102; TRC-104 still fires')


def main():
    if len(sys.argv) == 3 and sys.argv[1] == '--inner':
        inner(sys.argv[2])
        return
    case = sys.argv[1] if len(sys.argv) == 2 else 'detection'
    if case not in ('detection', 'state'):
        fail('usage: service_test.py [detection|state]')
    for var in ('TRACEED', 'RULES_DIR', 'TRIGGER'):
        if not os.environ.get(var):
            fail(var + ' must be set (run through meson test)')
    if os.geteuid() != 0:
        skip('needs root (BPF, a mount namespace, journald)')
    if not os.access(JOURNALD, os.X_OK):
        skip(JOURNALD + ' not installed (Debian package systemd)')
    r = subprocess.run(['unshare', '--mount', '--propagation', 'private', '--',
                        sys.executable, os.path.abspath(__file__), '--inner', case])
    sys.exit(r.returncode)


if __name__ == '__main__':
    main()
