#!/usr/bin/env python3
"""Journal output test: a standalone systemd-journald, never the host's.

    journal_test.py CASE        CASE: detection flood lost reload catalog

Each case runs in its own private mount namespace (unshare --mount
--propagation private) with fresh tmpfs mounts over /run and /var/log, so
the journald started here owns /run/systemd/journal/socket and writes
/run/log/journal inside the namespace only; the host's journal and its
sockets are hidden, not touched.  journald's own log goes to our stderr
(SYSTEMD_LOG_TARGET=console) rather than to the host's /dev/kmsg.
JOURNAL_HELPER (journal_helper.c) then writes entries through
daemon/outputs/journal.c and reads them back with sd_journal matches.

The catalog case compiles units/traceed.catalog into a private catalog
database (journalctl --root), bind-mounts it over /var/lib/systemd/catalog
in the namespace and checks that `journalctl -x` explains a detection with
its fields substituted.

Exit status: 0 pass, 1 fail, 77 skip (not root, no systemd-journald, no
unshare); TRACEED_TEST_STRICT=1 turns skips into failures.
Environment: JOURNAL_HELPER, RULES (tests/journal/rules.yaml), CATALOG.
"""
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from testlib import fail, skip  # noqa: E402  (tests/testlib.py: 77, or 1 under TRACEED_TEST_STRICT=1)
JOURNALD = '/lib/systemd/systemd-journald'
CASES = ['detection', 'flood', 'lost', 'reload', 'catalog']
IDS = {
    'detection': '02684fb27ab246cc93ac342c45c7a9f6',
    'events lost': '8e1eafb055bc4996acab6f8cb23ed809',
    'rules reloaded': 'ebae09ad5f4e4f06be3d540ac121fbc4',
    'reload failed': 'bd466e914e064a98ab63957725dbb8c2',
}


def run(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def start_journald():
    """Private tmpfs mounts, then journald; returns its process."""
    run(['mount', '-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', '/run'])
    run(['mount', '-t', 'tmpfs', '-o', 'mode=0755', 'tmpfs', '/var/log'])
    env = dict(os.environ, SYSTEMD_LOG_TARGET='console', SYSTEMD_LOG_LEVEL='info')
    jd = subprocess.Popen([JOURNALD], env=env, stdin=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not os.path.exists('/run/systemd/journal/socket'):
        if jd.poll() is not None:
            fail('systemd-journald exited with %d' % jd.returncode)
        if time.monotonic() > deadline:
            jd.kill()
            fail('systemd-journald did not create /run/systemd/journal/socket')
        time.sleep(0.05)
    return jd


def stop_journald(jd):
    jd.send_signal(signal.SIGTERM)
    try:
        jd.wait(timeout=10)
    except subprocess.TimeoutExpired:
        jd.kill()
        jd.wait()


def catalog_case(helper, rules, catalog):
    """Compile the catalog privately and check `journalctl -x` uses it."""
    with tempfile.TemporaryDirectory() as root:
        cdir = os.path.join(root, 'usr/lib/systemd/catalog')
        os.makedirs(cdir)
        shutil.copy(catalog, os.path.join(cdir, 'traceed.catalog'))
        run(['journalctl', '--root=' + root, '--update-catalog'])
        listed = run(['journalctl', '--root=' + root, '--list-catalog'],
                     capture_output=True, text=True).stdout
        for kind, mid in IDS.items():
            if mid not in listed:
                fail('catalog has no entry for %s (%s):\n%s' % (kind, mid, listed))
        if not os.path.isdir('/var/lib/systemd/catalog'):
            skip('no /var/lib/systemd/catalog to mount the private database over')
        run(['mount', '--bind', os.path.join(root, 'var/lib/systemd/catalog'),
             '/var/lib/systemd/catalog'])
        jd = start_journald()
        try:
            r = subprocess.run([helper, rules, 'detection'])
            if r.returncode != 0:
                fail('journal_helper detection exited with %d' % r.returncode)
            out = run(['journalctl', '-x', '--no-pager', '-o', 'short',
                       'TRACEED_RULE_ID=TEST-1'], capture_output=True, text=True).stdout
        finally:
            stop_journald(jd)
        for want in ['Subject: traceed detection: TEST-1 Test anti-debugging',
                     'The runtime-security rule TEST-1 ("Test anti-debugging",',
                     'severity high, MITRE ATT&CK T1622',
                     'container 0123456789ab)',
                     'Documentation: man:traceed(8)']:
            if want not in out:
                fail('journalctl -x lacks %r:\n%s' % (want, out))
    print('PASS: catalog')


def inner(case):
    helper = os.environ['JOURNAL_HELPER']
    rules = os.environ['RULES']
    if case == 'catalog':
        catalog_case(helper, rules, os.environ['CATALOG'])
        return
    jd = start_journald()
    try:
        r = subprocess.run([helper, rules, case])
    finally:
        stop_journald(jd)
    if r.returncode != 0:
        fail('journal_helper %s exited with %d' % (case, r.returncode))
    print('PASS: ' + case)


def main():
    if len(sys.argv) == 2 and sys.argv[1] == '--list':
        print('\n'.join(CASES))
        return
    if len(sys.argv) == 3 and sys.argv[1] == '--inner':
        inner(sys.argv[2])
        return
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print('usage: journal_test.py ' + '|'.join(CASES), file=sys.stderr)
        sys.exit(2)
    if os.geteuid() != 0:
        skip('needs root (a private mount namespace and journald)')
    if not os.access(JOURNALD, os.X_OK):
        skip(JOURNALD + ' not installed (Debian package systemd)')
    if not shutil.which('unshare'):
        skip('unshare not installed (util-linux)')
    probe = subprocess.run(['unshare', '--mount', '--propagation', 'private', 'true'],
                           capture_output=True, text=True)
    if probe.returncode != 0:
        skip('cannot create a mount namespace: ' + probe.stderr.strip())
    r = subprocess.run(['unshare', '--mount', '--propagation', 'private', '--',
                        sys.executable, os.path.abspath(__file__), '--inner', sys.argv[1]])
    sys.exit(r.returncode)


if __name__ == '__main__':
    main()
