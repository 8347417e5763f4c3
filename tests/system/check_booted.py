#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Checks of an installed traceed on a booted systemd machine.

Runs *inside* the system under test, as root, with traceed installed from
its .deb and the machine booted by systemd:

- tests/system/system_test.py copies it into a systemd-nspawn container it
  booted and runs it there (through nsenter);
- debian/tests/system (autopkgtest, isolation-machine) runs it directly on
  the testbed.

    check_booted.py [--upgrade-deb DEB] [--receiver receiver.py]
                    [--installed-after-boot] [--only NAME,...] [--list]

Every check prints one line, "PASS: name" or "FAIL: name -- why", and the
run ends with "check_booted: N passed, N failed".  Exit 0 when all passed,
1 otherwise.  The checks, in order (later ones rely on the state earlier
ones leave):

  boot-active       traceed.service (and traceed.socket) are active after boot
                    although nobody started them, enabled, and ready before
                    sysinit.target (the unit's early-boot ordering)
  kernel-events     the service sees tracefs and can trace ptrace (events
                    unavailable on this kernel are listed, not failed)
  start             systemctl start traceed (already running: a no-op) works
  reload            systemctl reload traceed works: same process, LastReload
                    moves on, still active
  rules-list        tracectl rules list lists the default rules (TRC-102 ...)
  rules-toggle      tracectl rules disable TRC-102 / enable round-trip
  rules-restart     a rule disabled with tracectl stays disabled across
                    systemctl restart traceed
  detect-journal    a PTRACE_TRACEME in a python3 process gives a journal entry
                    of traceed.service with TRACEED_RULE_ID=TRC-102 and its pid
  detect-tracectl   ... and tracectl detections --rule TRC-102 lists it
  webhook           a falcosidekick-compatible receiver (tests/webhook/
                    receiver.py) on 127.0.0.1 gets the payload after
                    outputs.webhooks is set in /etc/traceed/traceed.yaml and
                    systemctl reload traceed
  security          systemd-analyze security traceed.service: exposure <= 3.0
  bus-activation    with traceed.service stopped, tracectl status starts it
                    through D-Bus activation (SystemdService=)
  upgrade           dpkg -i of a higher version: TRC-102 disabled before stays
                    disabled, the administrator's traceed.yaml is kept, the
                    service was restarted and runs the new binary

--upgrade-deb: the higher-version package to install.  Without it (the
autopkgtest), one is made from the installed package with dpkg-repack and a
version with "+systest1" appended.  --receiver: path of receiver.py (default:
next to this file, then ../webhook/receiver.py).
"""
import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

UNIT = 'traceed.service'
CONF = '/etc/traceed/traceed.yaml'
RULE = 'TRC-102'
# A few default rules (rules/*.yaml; tests/meson.build has them all).
DEFAULT_RULES = ['TRC-101', 'TRC-102', 'TRC-103', 'TRC-1010', 'TRD-2001']
TRACEME = 'import ctypes; ctypes.CDLL(None).ptrace(0, 0, 0, 0)'

results = []
ENV = dict(os.environ, LC_ALL='C.UTF-8', SYSTEMD_PAGER='', SYSTEMD_COLORS='0',
           PATH='/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin')


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def run(*argv, ok=True, timeout=60, **kw):
    """Run argv; with ok=True a non-zero exit is a Failure naming the output."""
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=ENV,
                           stdin=subprocess.DEVNULL, **kw)
    except subprocess.TimeoutExpired:
        raise Failure('%s: timed out after %ds' % (' '.join(argv), timeout))
    if ok and p.returncode != 0:
        raise Failure('%s: exit %d: %s' % (' '.join(argv), p.returncode,
                                           (p.stdout + p.stderr).strip()[-1500:]))
    return p


def wait_for(what, pred, timeout=20.0, step=0.2):
    end = time.time() + timeout
    while True:
        got = pred()
        if got:
            return got
        if time.time() > end:
            raise Failure('timed out (%ds) waiting for %s' % (timeout, what))
        time.sleep(step)


def prop(name, unit=UNIT):
    return run('systemctl', 'show', '-P', name, unit).stdout.strip()


def active(unit=UNIT):
    return run('systemctl', 'is-active', unit, ok=False).stdout.strip()


def tracectl_json(*args):
    return json.loads(run('tracectl', '--json', *args).stdout)


def rule_enabled(rule_id):
    return tracectl_json('rules', 'show', rule_id)['enabled']


def unit_diag():
    """systemctl status and the last journal lines of the unit, for a failure."""
    st = run('systemctl', 'status', '--no-pager', '-l', UNIT, ok=False)
    j = run('journalctl', '-u', UNIT, '-b', '--no-pager', '-n', '25', ok=False)
    return '\n--- systemctl status %s\n%s\n--- journalctl -u %s (last 25)\n%s' % (
        UNIT, st.stdout.strip(), UNIT, j.stdout.strip())


def trigger():
    """PTRACE_TRACEME in a fresh python3 whose command line carries a unique
    tag; the tag.  (Detections carry the host pid, TRACEED_PID, which is not
    the pid seen inside a container, so the command line identifies it.)"""
    tag = 'systest-%d-%d' % (os.getpid(), time.monotonic_ns())
    run('python3', '-c', TRACEME, tag)
    return tag


def triggered(found, what, tries=3, timeout=10):
    """trigger() until found(tag) returns something (at most @tries times,
    @timeout seconds each: BPF sees the whole machine, and a burst of other
    detections may fold ours into a journal "N more like this" entry);
    (tag, what found returned)."""
    for i in range(tries):
        tag = trigger()
        try:
            return tag, wait_for('%s for the trigger %s' % (what, tag), lambda: found(tag),
                                 timeout=timeout, step=0.3)
        except Failure:
            if i == tries - 1:
                raise


def tagged(tag, cmdline):
    return tag in (cmdline or '').split()


# --- the checks ---------------------------------------------------------------

def c_boot_active(a):
    st = active()
    check(st == 'active', '%s is %s after boot%s' % (UNIT, st, unit_diag()))
    check(active('traceed.socket') == 'active', 'traceed.socket is %s' % active('traceed.socket'))
    en = run('systemctl', 'is-enabled', UNIT, ok=False).stdout.strip()
    check(en == 'enabled', '%s is-enabled: %s' % (UNIT, en))
    if a.installed_after_boot:
        return 'active and enabled (installed after boot: the boot ordering is not checked)'
    # Started by the boot transaction, not by this script: it became active
    # before sysinit.target did (Before=sysinit.target, Type=notify).
    t_unit = int(prop('ActiveEnterTimestampMonotonic') or 0)
    t_sysinit = int(prop('ActiveEnterTimestampMonotonic', 'sysinit.target') or 0)
    check(0 < t_unit <= t_sysinit,
          'ready at %dus, sysinit.target at %dus (expected before)' % (t_unit, t_sysinit))
    return 'started by the boot, ready %.1fms before sysinit.target' % (
        (t_sysinit - t_unit) / 1e3)


def c_kernel_events(a):
    st = tracectl_json('status')
    why = st.get('UnavailableEventReasons') or {}
    tracefs = {e: r for e, r in why.items() if 'tracefs' in r}
    check(not tracefs, 'events unavailable for want of tracefs: %r (is tracefs mounted on '
          '/sys/kernel/tracing, and visible in the service?)' % tracefs)
    check('ptrace' not in why, 'ptrace unavailable: %s' % why.get('ptrace'))
    return 'unavailable: %s' % (', '.join('%s (%s)' % kv for kv in sorted(why.items()))
                                or 'none')


def c_start(a):
    pid = prop('MainPID')
    run('systemctl', 'start', UNIT)
    check(active() == 'active', 'not active after start')
    check(prop('MainPID') == pid, 'start of a running service changed MainPID %s -> %s'
          % (pid, prop('MainPID')))
    # and from stopped:
    run('systemctl', 'stop', UNIT)
    check(active() in ('inactive', 'failed'), 'still %s after stop' % active())
    run('systemctl', 'start', UNIT, timeout=120)
    check(active() == 'active', 'not active after start from stopped%s' % unit_diag())
    return 'started (MainPID %s)' % prop('MainPID')


def c_reload(a):
    pid = prop('MainPID')
    before = tracectl_json('status').get('LastReload', 0)
    time.sleep(0.05)
    run('systemctl', 'reload', UNIT, timeout=90)
    check(active() == 'active', 'not active after reload%s' % unit_diag())
    check(prop('MainPID') == pid, 'reload changed MainPID %s -> %s' % (pid, prop('MainPID')))
    st = wait_for('LastReload to move on',
                  lambda: (lambda s: s if s.get('LastReload', 0) > before else None)(
                      tracectl_json('status')), timeout=30)
    check(not st.get('LastReloadError'), 'LastReloadError: %r' % st.get('LastReloadError'))
    return 'reloaded in place (MainPID %s)' % pid


def c_rules_list(a):
    out = run('tracectl', 'rules', 'list').stdout
    missing = [r for r in DEFAULT_RULES if not re.search(r'^\s*%s\s' % re.escape(r), out, re.M)]
    check(not missing, 'tracectl rules list lacks %s:\n%s' % (missing, out))
    rules = tracectl_json('rules', 'list')
    ids = {r['id'] for r in rules}
    check(len(ids) >= 30, 'only %d rules: %s' % (len(ids), sorted(ids)))
    check(all(r['source_file'].startswith('/usr/share/traceed/rules/') for r in rules
              if r['id'] in DEFAULT_RULES), 'default rules not from /usr/share/traceed/rules')
    r102 = [r for r in rules if r['id'] == RULE][0]
    check(r102['enabled'] is True, '%s not enabled by default' % RULE)
    return '%d rules, %d enabled' % (len(rules), sum(1 for r in rules if r['enabled']))


def c_rules_toggle(a):
    run('tracectl', 'rules', 'disable', RULE)
    check(rule_enabled(RULE) is False, 'still enabled after disable')
    line = [l for l in run('tracectl', 'rules', 'list').stdout.splitlines()
            if l.split()[:1] == [RULE]]
    check(line and ' no ' in ' %s ' % ' '.join(line[0].split()),
          'rules list does not show it disabled: %r' % line)
    run('tracectl', 'rules', 'enable', RULE)
    check(rule_enabled(RULE) is True, 'still disabled after enable')
    return 'disable then enable'


def c_rules_restart(a):
    run('tracectl', 'rules', 'disable', RULE)
    pid = prop('MainPID')
    run('systemctl', 'restart', UNIT, timeout=120)
    check(active() == 'active', 'not active after restart%s' % unit_diag())
    check(prop('MainPID') != pid, 'MainPID unchanged by restart')
    check(rule_enabled(RULE) is False, '%s enabled again after restart' % RULE)
    run('tracectl', 'rules', 'enable', RULE)
    check(rule_enabled(RULE) is True, 'could not enable it again')
    return 'disabled state kept across restart (MainPID %s -> %s)' % (pid, prop('MainPID'))


state = {}


def c_detect_journal(a):
    check(rule_enabled(RULE), '%s is disabled' % RULE)
    def entry(tag):
        p = run('journalctl', '-u', UNIT, '-b', '-o', 'json', '--no-pager',
                'TRACEED_RULE_ID=' + RULE, ok=False)
        for l in p.stdout.splitlines():
            try:
                e = json.loads(l)
            except ValueError:
                continue
            if tagged(tag, e.get('TRACEED_CMDLINE')):
                return e
        return None
    tag, e = triggered(lambda tag: entry(tag), 'a journal entry of %s with TRACEED_RULE_ID=%s'
                       % (UNIT, RULE))
    state['tag'] = tag
    check(e.get('TRACEED_COMM') == 'python3', 'TRACEED_COMM %r' % e.get('TRACEED_COMM'))
    check(e.get('_SYSTEMD_UNIT') == UNIT, '_SYSTEMD_UNIT %r' % e.get('_SYSTEMD_UNIT'))
    check(e.get('TRACEED_PID', '').isdigit(), 'TRACEED_PID %r' % e.get('TRACEED_PID'))
    return 'TRACEED_PID=%s: %s' % (e['TRACEED_PID'], e.get('MESSAGE', '')[:100])


def c_detect_tracectl(a):
    def listed(tag):
        return [d for d in tracectl_json('detections', '--rule', RULE)
                if tagged(tag, d['cmdline'])]
    tag = state.get('tag')
    dets = listed(tag) if tag else None
    if not dets:
        tag, dets = triggered(listed, 'tracectl detections --rule %s to list it' % RULE)
    d = dets[0]
    check(d['rule_id'] == RULE and d['comm'] == 'python3', 'detection %r' % d)
    table = run('tracectl', 'detections', '--rule', RULE).stdout
    check(re.search(r'^\s*%d\s.*\b%s\b.*\bpython3\b' % (d['id'], RULE), table, re.M),
          'the table lacks detection %d:\n%s' % (d['id'], table))
    return 'id %d, pid %d, %s' % (d['id'], d['pid'], d['rule_name'])


def load_receiver(path):
    spec = importlib.util.spec_from_file_location('receiver', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def c_webhook(a):
    receiver = load_receiver(a.receiver)
    rcv = receiver.Receiver().start()
    try:
        with open(CONF) as f:
            text = f.read()
        # The shipped file ends with "  webhooks: []" under outputs:.
        new, n = re.subn(r'^  webhooks: \[\]\s*$',
                         '  webhooks:\n    - name: systest\n      url: %s' % rcv.url('/'),
                         text, flags=re.M)
        check(n == 1, '%s has no "  webhooks: []" line to replace' % CONF)
        with open(CONF, 'w') as f:
            f.write(new)
        run('systemctl', 'reload', UNIT, timeout=90)
        st = wait_for('the output in tracectl status',
                      lambda: (lambda s: s if any(o.get('name') == 'systest'
                                                  for o in s.get('Outputs') or []) else None)(
                          tracectl_json('status')), timeout=20)
        check(not st.get('LastReloadError'), 'LastReloadError: %r' % st.get('LastReloadError'))
        def mine(tag):
            with rcv.cond:
                return [r for r in rcv.records if tagged(tag, str(
                    (r.payload.get('output_fields') or {}).get('proc.cmdline')))]
        tag, got = triggered(mine, 'the falcosidekick payload (refused ones: %r)' % rcv.invalid,
                             timeout=15)
        p = got[0].payload
        problem = receiver.falcosidekick_problem(p)
        check(problem is None, 'falcosidekick would refuse it (%s): %r' % (problem, p))
        check(p['rule'] == 'Anti-Debugging detected', 'rule %r' % p['rule'])
        check(p['output_fields'].get('proc.name') == 'python3', 'output_fields %r'
              % p['output_fields'])
        check(got[0].method == 'POST' and got[0].path == '/', '%s %s' % (got[0].method,
                                                                       got[0].path))
        return 'POST / rule=%r priority=%s' % (p['rule'], p['priority'])
    finally:
        rcv.stop()


def c_security(a):
    p = run('systemd-analyze', 'security', '--no-pager', UNIT, ok=False)
    m = re.search(r'Overall exposure level for %s:\s*([0-9.]+)\s*(\S+)' % re.escape(UNIT),
                  p.stdout)
    check(m, 'no exposure level in the output (exit %d):\n%s' % (p.returncode,
                                                                 (p.stdout + p.stderr)[-2000:]))
    level = float(m.group(1))
    check(level <= 3.0, 'exposure %.1f %s > 3.0:\n%s' % (level, m.group(2), p.stdout))
    return 'exposure %.1f %s' % (level, m.group(2))


def c_bus_activation(a):
    run('systemctl', 'stop', UNIT)
    check(active() in ('inactive', 'failed'), 'still %s after stop' % active())
    p = run('tracectl', 'status', timeout=90, ok=False)
    check(p.returncode == 0, 'tracectl status with the service stopped: exit %d: %s%s'
          % (p.returncode, (p.stdout + p.stderr).strip(), unit_diag()))
    check(active() == 'active', '%s is %s after tracectl status' % (UNIT, active()))
    j = run('journalctl', '-b', '--no-pager', '-o', 'cat', '-u', 'dbus.service',
            '--since', '-60s', ok=False).stdout
    how = 'activated via systemd' if 'Activating via systemd' in j and 'org.traceed1' in j \
        else 'active again'
    return '%s (MainPID %s)' % (how, prop('MainPID'))


def installed_version():
    return run('dpkg-query', '-W', '-f', '${Version}', 'traceed').stdout.strip()


def make_upgrade_deb(tmp):
    """dpkg-repack the installed traceed, with "+systest1" added to Version."""
    check(shutil.which('dpkg-repack'), 'no --upgrade-deb and dpkg-repack is missing')
    run('dpkg-repack', 'traceed', cwd=tmp, timeout=120)
    deb = [f for f in os.listdir(tmp) if f.endswith('.deb')][0]
    tree = os.path.join(tmp, 'tree')
    run('dpkg-deb', '-R', os.path.join(tmp, deb), tree)
    ctl = os.path.join(tree, 'DEBIAN', 'control')
    with open(ctl) as f:
        text = f.read()
    with open(ctl, 'w') as f:
        f.write(re.sub(r'^Version: (.*)$', lambda m: 'Version: %s+systest1' % m.group(1), text,
                       flags=re.M))
    out = os.path.join(tmp, 'traceed-upgrade.deb')
    run('dpkg-deb', '--root-owner-group', '-b', tree, out, timeout=120)
    return out


def c_upgrade(a):
    tmp = tempfile.mkdtemp(prefix='traceed-upgrade-')
    try:
        deb = a.upgrade_deb or make_upgrade_deb(tmp)
        new = run('dpkg-deb', '-f', deb, 'Version').stdout.strip()
        old = installed_version()
        check(run('dpkg', '--compare-versions', new, 'gt', old, ok=False).returncode == 0,
              '%s is not higher than the installed %s' % (new, old))
        run('tracectl', 'rules', 'disable', RULE)
        check(rule_enabled(RULE) is False, 'could not disable %s' % RULE)
        with open(CONF) as f:
            conf_before = f.read()
        inv = prop('InvocationID')
        p = run('dpkg', '-i', '--force-confdef', '--force-confold', deb, timeout=180,
                ok=False)
        check(p.returncode == 0, 'dpkg -i %s: exit %d:\n%s' % (deb, p.returncode,
                                                             (p.stdout + p.stderr)[-2000:]))
        check(installed_version() == new, 'dpkg-query says %s, not %s' % (installed_version(),
                                                                           new))
        wait_for('%s to be active after the upgrade' % UNIT, lambda: active() == 'active',
                 timeout=60)
        check(prop('InvocationID') != inv, 'the service was not restarted by the upgrade')
        pid = int(prop('MainPID'))
        exe = os.readlink('/proc/%d/exe' % pid)
        check(exe == '/usr/sbin/traceed', 'MainPID %d runs %r (not the new binary)' % (pid, exe))
        check(rule_enabled(RULE) is False, '%s enabled again after the upgrade' % RULE)
        with open(CONF) as f:
            check(f.read() == conf_before, '%s changed by the upgrade' % CONF)
        ver = tracectl_json('status').get('Version', '')
        check(ver and new.startswith(ver), 'tracectl status Version %r vs package %s'
              % (ver, new))
        return '%s -> %s, restarted (pid %d, Version %s), %s still disabled, %s kept' % (
            old, new, pid, ver, RULE, CONF)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


CHECKS = [
    ('boot-active', c_boot_active),
    ('kernel-events', c_kernel_events),
    ('start', c_start),
    ('reload', c_reload),
    ('rules-list', c_rules_list),
    ('rules-toggle', c_rules_toggle),
    ('rules-restart', c_rules_restart),
    ('detect-journal', c_detect_journal),
    ('detect-tracectl', c_detect_tracectl),
    ('webhook', c_webhook),
    ('security', c_security),
    ('bus-activation', c_bus_activation),
    ('upgrade', c_upgrade),
]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--upgrade-deb', help='higher-version traceed .deb for the upgrade check')
    ap.add_argument('--receiver', help='path of tests/webhook/receiver.py')
    ap.add_argument('--installed-after-boot', action='store_true',
                    help='traceed was installed (and started by its postinst) after this '
                    'boot: boot-active does not check that the boot started it')
    ap.add_argument('--only', help='comma-separated check names (default: all)')
    ap.add_argument('--list', action='store_true', help='print the check names')
    a = ap.parse_args()
    if a.list:
        print('\n'.join(n for n, _ in CHECKS))
        return 0
    if not a.receiver:
        for c in (os.path.join(here, 'receiver.py'),
                  os.path.join(os.path.dirname(here), 'webhook', 'receiver.py')):
            if os.path.exists(c):
                a.receiver = c
                break
    if os.geteuid() != 0:
        print('FAIL: check_booted.py must run as root')
        return 1
    only = set(a.only.split(',')) if a.only else None
    for name, fn in CHECKS:
        if only and name not in only:
            continue
        t0 = time.time()
        try:
            detail = fn(a)
            results.append((name, True))
            print('PASS: %s (%.1fs)%s' % (name, time.time() - t0,
                                          (' -- ' + detail) if detail else ''), flush=True)
        except Failure as e:
            results.append((name, False))
            print('FAIL: %s (%.1fs) -- %s' % (name, time.time() - t0, e), flush=True)
        except Exception as e:   # a bug here or an unexpected answer: still a named failure
            results.append((name, False))
            print('FAIL: %s (%.1fs) -- %s: %s' % (name, time.time() - t0, type(e).__name__, e),
                  flush=True)
    npass = sum(1 for _, ok in results if ok)
    print('check_booted: %d passed, %d failed' % (npass, len(results) - npass), flush=True)
    return 0 if npass == len(results) else 1


if __name__ == '__main__':
    sys.exit(main())
