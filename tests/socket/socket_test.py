#!/usr/bin/env python3
"""End to end: detections on the event socket (daemon/outputs/event_socket.c).

traceed --service is started the way traceed.socket starts it, through
`systemd-socket-activate -l DIR/events.sock --fdname=events` (socket
activation: the listening fd arrives as fd 3 with LISTEN_FDS/LISTEN_PID,
named "events"), with a configuration file that turns the journal output off
and the event socket on.  systemd-socket-activate execs traceed (same pid)
on the first connection, so client 1 connects before the daemon runs and is
picked up from the listen backlog; client 2 connects once "traceed: ready"
is on stderr.  The PTRACE_TRACEME trigger then fires TRC-102, and each
client must read one JSON line with rule_id "TRC-102" whose "event" is the
trigger's ptrace event (hostProcessId = its pid, processName = its comm).

Runs in a private mount namespace with a tmpfs over /run, so nothing the
daemon does (a journal entry, a socket under /run/traceed) reaches the host.
NOTIFY_SOCKET is unset: readiness is the stderr line.

Needs root, BPF and systemd-socket-activate (package systemd): exits 77
without (1 under TRACEED_TEST_STRICT=1).
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402  (tests/testlib.py)
from testlib import Failure, Skip, check  # noqa: E402

RULE = 'TRC-102'
COMM = 'trg_traceme'
LINE_TIMEOUT = 15
READY_TIMEOUT = 60


class Client:
    """A reader of the event socket: whole lines, with a deadline."""

    def __init__(self, name, path):
        self.name = name
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(path)
        self.buf = b''
        self.lines = []      # every line received, decoded
        self.eof = False

    def wait_for(self, pred, timeout):
        """The first line (parsed JSON) for which pred() holds, or None."""
        end = time.time() + timeout
        seen = 0
        while True:
            while seen < len(self.lines):
                line = self.lines[seen]
                seen += 1
                try:
                    obj = json.loads(line)
                except ValueError:
                    raise Failure('%s: not a JSON line: %r' % (self.name, line[:200]))
                if pred(obj):
                    return obj
            left = end - time.time()
            if left <= 0 or self.eof:
                return None
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                return None
            if not data:
                self.eof = True
                continue
            self.buf += data
            *full, self.buf = self.buf.split(b'\n')
            self.lines += [l.decode('utf-8', 'replace') for l in full]

    def close(self):
        self.sock.close()


def stderr_text(d):
    with d.cond:
        return '\n'.join(d.err)


def start_daemon(traceed, sock, config):
    # No systemd manager here: readiness comes from stderr, and READY=1 must
    # not go to whatever NOTIFY_SOCKET the test runner inherited.
    for var in ('NOTIFY_SOCKET', 'LISTEN_FDS', 'LISTEN_PID', 'LISTEN_FDNAMES', 'WATCHDOG_USEC'):
        os.environ.pop(var, None)
    d = testlib.Daemon(['systemd-socket-activate', '-l', sock, '--fdname=events', '--',
                        traceed, '--service', '--config', config])
    d.spawn()
    end = time.time() + 10
    while not os.path.exists(sock):
        if d.proc.poll() is not None or time.time() > end:
            raise Failure('systemd-socket-activate did not create %s:\n%s' % (sock, stderr_text(d)))
        time.sleep(0.05)
    return d


def check_detection(client, pid):
    def wanted(obj):
        # Other processes on the host may fire rules meanwhile: only the
        # trigger's detection counts.
        if not isinstance(obj, dict) or obj.get('rule_id') != RULE:
            return False
        ev = obj.get('event')
        return isinstance(ev, dict) and str(ev.get('hostProcessId')) == pid

    got = client.wait_for(wanted, LINE_TIMEOUT)
    if got is None:
        raise Failure('%s received no %s line for pid %s within %d s (%d lines received%s); '
                      'is the event socket wired into the daemon?'
                      % (client.name, RULE, pid, LINE_TIMEOUT, len(client.lines),
                         ', then end of file' if client.eof else ''))
    ev = got['event']
    check(ev.get('processName') == COMM,
          '%s: event.processName %r, expected %r (line %r)' % (client.name, ev.get('processName'),
                                                              COMM, got))
    check(ev.get('eventName') == 'ptrace',
          '%s: event.eventName %r, expected ptrace' % (client.name, ev.get('eventName')))
    print('%s: %s for pid %s (%s)' % (client.name, RULE, pid, ev.get('processName')))


def inner():
    traceed, rules, trigger = os.environ['TRACEED'], os.environ['RULES_DIR'], os.environ['TRIGGER']
    subprocess.run(['mount', '-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', '/run'], check=True)
    tmp = tempfile.mkdtemp(prefix='traceed-socket-test.')
    sock = os.path.join(tmp, 'events.sock')
    config = os.path.join(tmp, 'traceed.yaml')
    with open(config, 'w') as f:
        f.write('# written by tests/socket/socket_test.py\n'
                'rule_paths: [%s]\n'
                'state_dir: %s\n'
                'outputs:\n'
                '  journal: false\n'
                '  event_socket: true\n' % (json.dumps(rules), json.dumps(tmp)))
    d = None
    clients = []

    def body():
        nonlocal d
        d = start_daemon(traceed, sock, config)
        # The first connection makes systemd-socket-activate exec traceed.
        clients.append(Client('client 1', sock))
        if not d.wait_ready(READY_TIMEOUT):
            text = stderr_text(d)
            if d.proc.poll() is not None and ('CAP_BPF' in text
                                              or 'loading the BPF programs failed' in text):
                raise Skip('BPF unavailable: ' + text)
            raise Failure('traceed did not print "%s" within %d s (exit status %r):\n%s'
                          % (testlib.READY_LINE, READY_TIMEOUT, d.proc.poll(), text))
        clients.append(Client('client 2', sock))
        # Give the loop a moment to accept both (the daemon logs each
        # connect); not a failure by itself: the lines below decide.
        end = time.time() + 5
        while time.time() < end and stderr_text(d).count('event socket: client') < 2:
            time.sleep(0.05)

        trig = subprocess.run([trigger], capture_output=True, text=True)
        if trig.returncode != 0 or 'pid=' not in trig.stdout:
            raise Failure('trigger %s failed (%d): %s%s' % (trigger, trig.returncode, trig.stdout,
                                                            trig.stderr))
        pid = trig.stdout.split('pid=')[1].split()[0]
        for c in clients:
            check_detection(c, pid)
        print('PASS: both clients of the event socket received the %s detection' % RULE)

    def on_failure(msg):
        print('FAIL: %s' % msg)
        if d:
            print('--- traceed stderr ---\n%s' % stderr_text(d))

    def cleanup():
        for c in clients:
            c.close()
        if d and d.proc and d.proc.poll() is None:
            d.proc.send_signal(signal.SIGTERM)
            try:
                d.proc.wait(20)
            except subprocess.TimeoutExpired:
                d.kill()
        shutil.rmtree(tmp, ignore_errors=True)

    return testlib.guarded(body, on_failure, cleanup)


def main():
    testlib.exit_on_sigterm()
    if sys.argv[1:] == ['--inner']:
        sys.exit(inner())
    for var in ('TRACEED', 'RULES_DIR', 'TRIGGER'):
        if not os.environ.get(var):
            testlib.fail(var + ' must be set (run through meson test)')
    if os.geteuid() != 0:
        testlib.skip('needs root (BPF, a private mount namespace)')
    if not shutil.which('systemd-socket-activate'):
        testlib.skip('systemd-socket-activate not installed (Debian package systemd)')
    for var in ('TRACEED', 'TRIGGER'):
        if not os.access(os.environ[var], os.X_OK):
            testlib.fail('%s=%s is not an executable (build it first)' % (var, os.environ[var]))
    r = subprocess.run(['unshare', '--mount', '--propagation', 'private', '--',
                        sys.executable, os.path.abspath(__file__), '--inner'])
    sys.exit(r.returncode)


if __name__ == '__main__':
    main()
