#!/usr/bin/env python3
"""Live test of traceed --service's systemd protocol (sd_notify).

The test plays systemd: it binds a datagram socket, passes it as
NOTIFY_SOCKET with WATCHDOG_USEC=1000000, starts traceed --service and
asserts that
  - READY=1 arrives, and only after traceed attached its programs and
    loaded the rules (its "ready" line is already on stderr by then);
  - STATUS= reports the rules enabled;
  - WATCHDOG=1 pings keep arriving (at least 3 in 3 s, half the interval);
  - SIGTERM brings STOPPING=1 and a clean exit.

Needs root and BPF: exits 77 without (1 under TRACEED_TEST_STRICT=1).
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from testlib import fail, skip  # noqa: E402  (tests/testlib.py: 77, or 1 under TRACEED_TEST_STRICT=1)


def main():
    traceed = os.environ.get('TRACEED')
    rules = os.environ.get('RULES_DIR')
    if not traceed or not rules:
        fail('TRACEED and RULES_DIR must be set (run through meson test)')
    if os.geteuid() != 0:
        skip('needs root for BPF')
    d = tempfile.mkdtemp(prefix='traceed-notify-')
    path = os.path.join(d, 'notify')
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.bind(path)
    sock.settimeout(0.2)
    env = dict(os.environ, NOTIFY_SOCKET=path, WATCHDOG_USEC='1000000')
    env.pop('WATCHDOG_PID', None)
    errlog = os.path.join(d, 'stderr')
    with open(errlog, 'w') as err:
        p = subprocess.Popen([traceed, '--service', '--rules', rules], env=env,
                             stdout=subprocess.DEVNULL, stderr=err)
    messages = []

    def receive(until, pred):
        while time.time() < until:
            try:
                messages.append((time.time(), sock.recv(4096).decode()))
            except socket.timeout:
                pass
            if pred():
                return True
            if p.poll() is not None:
                return pred()
        return pred()

    def has(prefix):
        return [m for _, m in messages for line in m.split('\n') if line.startswith(prefix)]

    try:
        if not receive(time.time() + 60, lambda: has('READY=1')):
            with open(errlog) as f:
                text = f.read()
            if p.poll() is not None and ('CAP_BPF' in text or 'loading the BPF programs failed' in text):
                skip('BPF unavailable: ' + text)
            fail('no READY=1 within 60 s; messages %r; stderr:\n%s' % (messages, text))
        with open(errlog) as f:
            text = f.read()
        if 'traceed: ready' not in text:
            fail('READY=1 came before traceed attached its programs; stderr:\n' + text)
        ready_msg = [m for _, m in messages if 'READY=1' in m][0]
        if 'rules enabled' not in ready_msg:
            fail('READY=1 without STATUS= rules: %r' % ready_msg)
        t0 = time.time()
        receive(t0 + 3, lambda: False)
        pings = [t for t, m in messages if 'WATCHDOG=1' in m and t >= t0]
        if len(pings) < 3:
            fail('%d watchdog pings in 3 s with WATCHDOG_USEC=1s: %r' % (len(pings), messages))
        # the periodic update, not the STATUS= that came with READY=1
        if not [m for t, m in messages if t >= t0 and 'events/s' in m]:
            fail('no periodic STATUS= update in 3 s: %r' % messages)
        p.send_signal(signal.SIGTERM)
        if not receive(time.time() + 20, lambda: has('STOPPING=1')):
            fail('no STOPPING=1 after SIGTERM: %r' % messages)
        if p.wait(20) != 0:
            fail('traceed exited %d after SIGTERM' % p.returncode)
    finally:
        if p.poll() is None:
            p.kill()
        sock.close()
        for name in os.listdir(d):
            os.unlink(os.path.join(d, name))
        os.rmdir(d)
    print('PASS: READY=1 after attach, STATUS=, watchdog pings, STOPPING=1')


if __name__ == '__main__':
    main()
