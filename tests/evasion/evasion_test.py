#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Evasion tests: a program that poses as an exempt one must not escape.

    TRACEED=build/daemon/traceed TRIGGER_DIR=build/tests/live/triggers \\
        RULES_DIR=rules tests/evasion/evasion_test.py dpkg_symlink
    tests/evasion/evasion_test.py --list

Each case starts `traceed --foreground --rules RULES_DIR --output json`
(detection mode, the default rules), runs a workload in which a process
borrows the identity of a program the rules exempt -- its name (the comm,
which a symlink's name or prctl sets), its path in a private mount
namespace, its place below a package manager, or an environment that
mentions fakeroot -- and requires the detections an undisguised process
raises.  Where the exemption is real (a verified dpkg, a verified gdb,
fakeroot itself) the case also checks that it still holds.

  dpkg_symlink        `ln -s /bin/bash $tmp/dpkg; $tmp/dpkg payload.sh`, the
                      payload reading /etc/shadow, running a binary from
                      /tmp, setting a setuid bit, emptying a log and writing
                      /etc/cron.d: the same detections as plain bash
                      (TRD-2001, TRC-1022, TRD-2003, TRD-2005, TRC-1027)
  dpkg_maintscript    a real dpkg installing a package (own database, private
                      mount namespace): its own write into /etc/cron.d is
                      not reported, its maintainer script's write is
  gdb_copy            a PTRACE_TRACEME program copied to the name gdb, and
                      bind-mounted over /usr/bin/gdb in a private mount
                      namespace: TRC-102 both times; a real gdb's child: not
  ld_preload_libpath  LD_PRELOAD=x.so LD_LIBRARY_PATH=/libfakeroot: TRC-107;
                      fakeroot itself: not
  shm_script_args     sh /dev/shm/x.sh -c x: TRD-2006; sh -c "cat
                      /dev/shm/x.sh": not

System files are only written inside a private mount namespace over a
tmpfs (unshare -m, as tests/live/rule_triggers does); the workloads run in
their own PID namespace where detections must be told apart from the rest
of the machine.

Exit status: 0 pass, 1 fail, 77 skip (not root or no BPF; a failure with
TRACEED_TEST_STRICT=1).  python3 standard library only.
"""

import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'live'))
import rules_test as live  # noqa: E402  (Traceed, prerequisites, reporting)
sys.path.insert(0, os.path.dirname(HERE))
import testlib  # noqa: E402  (tests/testlib.py)
from testlib import Failure, Skip, check  # noqa: E402

NS = 'unshare --mount --propagation private'
NS_PID = NS + ' --pid --fork --mount-proc'
WAIT = 15.0      # for a detection that must come
SETTLE = 2.0     # for one that must not (the ring buffer is polled every 100 ms)

PAYLOAD = r'''set -e
d=$1
cat /etc/shadow > /dev/null
cp /bin/true "$d/dropped" && "$d/dropped"
cp /bin/true "$d/suid" && chmod 4755 "$d/suid"
mount -t tmpfs traceed-evasion /var/log
echo x > /var/log/traceed-evasion.log && cp /dev/null /var/log/traceed-evasion.log
if [ -d /etc/cron.d ]; then
    mount -t tmpfs traceed-evasion /etc/cron.d
else
    mount -t tmpfs traceed-evasion /etc && mkdir /etc/cron.d
fi
echo '* * * * * root true' > /etc/cron.d/traceed-evasion
'''
PAYLOAD_RULES = {'TRD-2001', 'TRC-1022', 'TRD-2003', 'TRD-2005', 'TRC-1027'}


def run(cmd, check_rc=True):
    """Run a /bin/sh command (LD_* variables removed); returns (its stdout,
    its pid)."""
    env = {k: v for k, v in os.environ.items() if k not in live.LD_VARS}
    env['PATH'] = '/usr/sbin:/usr/bin:/sbin:/bin'
    p = subprocess.Popen(['/bin/sh', '-c', cmd], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, cwd='/', env=env)
    try:
        out, err = p.communicate(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()
        out, err = p.communicate()
    live.TRIGGERS.append((cmd, p.pid, p.returncode, out, err))
    if check_rc:
        check(p.returncode == 0, 'workload failed (exit %d): %s\n%s' % (p.returncode, cmd, err[-1500:]))
    return out, p.pid


class Run:
    """A workload run in its own PID (and private mount) namespace.  The
    kernel reuses a freed namespace's inode number, so an event is the
    run's when it carries the namespace's inode and comes from a process
    started while the run lasted (host pids only grow, until they wrap)."""

    def __init__(self, ns, first, after):
        self.ns, self.first, self.after = ns, first, after

    def __contains__(self, det):
        e = ev(det)
        pid = e.get('hostProcessId') or 0
        if self.first < self.after:
            inside = self.first <= pid < self.after
        else:
            inside = pid >= self.first or pid < self.after
        return e.get('pidNamespace') == self.ns and inside


def in_pidns(cmd):
    """`cmd` run in a new PID (and private mount) namespace (a Run)."""
    out, first = run(NS_PID + " /bin/sh -c 'stat -L -c %i /proc/self/ns/pid; " + cmd.replace("'", "'\\''") + "'")
    after = subprocess.Popen(['/bin/true'])
    after.wait()
    return Run(int(out.split()[0]), first, after.pid)


def ev(d):
    return d.get('event') if isinstance(d.get('event'), dict) else {}


def args(e):
    return {a.get('name'): a.get('value') for a in e.get('args') or ()}


def poll(t, done, timeout):
    """Poll the detections until done(dets) is true or timeout; returns them."""
    deadline = time.monotonic() + timeout
    while True:
        dets = t.detections()
        if done(dets) or time.monotonic() > deadline:
            return dets
        if t.proc.poll() is not None:
            raise Failure('traceed exited (%d) during the test' % t.proc.returncode)
        time.sleep(0.1)


def rules_in(dets, run_):
    return {d.get('rule_id') for d in dets if d in run_}


def describe(dets):
    return '; '.join('%s about %s (%s, exe %s)' % (d.get('rule_id'), ev(d).get('eventName'),
                                                 ev(d).get('processName'),
                                                 (ev(d).get('executable') or {}).get('path'))
                     for d in dets) or 'none'


# --- cases ------------------------------------------------------------------

def case_dpkg_symlink(t, d):
    with open(os.path.join(d, 'payload.sh'), 'w') as f:
        f.write(PAYLOAD)
    os.symlink('/bin/bash', os.path.join(d, 'dpkg'))
    runs = {}
    for label, shell in (('bash', '/bin/bash'), ('a shell called dpkg', os.path.join(d, 'dpkg'))):
        sub = tempfile.mkdtemp(prefix='run-', dir=d)
        runs[label] = in_pidns('exec %s %s/payload.sh %s' % (shell, d, sub))
    dets = poll(t, lambda ds: all(PAYLOAD_RULES <= rules_in(ds, ns) for ns in runs.values()), WAIT)
    got = {label: rules_in(dets, ns) for label, ns in runs.items()}
    for label, ns in runs.items():
        check(PAYLOAD_RULES <= got[label],
              'the payload run by %s raised %s, expected at least %s; its detections: %s'
              % (label, sorted(got[label]), sorted(PAYLOAD_RULES),
                 describe([x for x in dets if x in ns])))
    check(got['bash'] == got['a shell called dpkg'],
          'plain bash raised %s, the shell called dpkg %s' % (sorted(got['bash']),
                                                             sorted(got['a shell called dpkg'])))
    print('both runs raised %s' % ', '.join(sorted(got['bash'])))


CONTROL = '''Package: traceed-evasion-test
Version: 1.0
Architecture: all
Maintainer: traceed tests <root@localhost>
Description: traceed evasion test package
 Installed by tests/evasion only, with its own dpkg database.
'''
POSTINST = '''#!/bin/sh
set -e
echo '# written by the maintainer script' > /etc/cron.d/traceed-evasion-postinst
'''


def case_dpkg_maintscript(t, d):
    for tool in ('dpkg', 'dpkg-deb'):
        if not shutil.which(tool):
            raise Skip('%s is not installed' % tool)
    if not os.path.isdir('/etc/cron.d'):
        raise Skip('no /etc/cron.d to mount a tmpfs over (cron is not installed)')
    pkg = os.path.join(d, 'pkg')
    os.makedirs(os.path.join(pkg, 'DEBIAN'))
    os.makedirs(os.path.join(pkg, 'etc', 'cron.d'))
    with open(os.path.join(pkg, 'DEBIAN', 'control'), 'w') as f:
        f.write(CONTROL)
    with open(os.path.join(pkg, 'DEBIAN', 'postinst'), 'w') as f:
        f.write(POSTINST)
    os.chmod(os.path.join(pkg, 'DEBIAN', 'postinst'), 0o755)
    with open(os.path.join(pkg, 'etc', 'cron.d', 'traceed-evasion-pkg'), 'w') as f:
        f.write('# shipped by the package\n')
    run('dpkg-deb --root-owner-group --build %s %s/test.deb > /dev/null' % (pkg, d))
    admin = os.path.join(d, 'admin')
    for sub in ('info', 'updates', 'triggers'):
        os.makedirs(os.path.join(admin, sub))
    for name in ('status', 'available'):
        open(os.path.join(admin, name), 'w').close()
    ns = in_pidns('mount -t tmpfs traceed-evasion /etc/cron.d && mount -t tmpfs traceed-evasion /var/log && '
                  'dpkg --admindir=%s --log=/dev/null -i %s/test.deb > /dev/null' % (admin, d))
    script = lambda x: x.get('rule_id') == 'TRC-1027' and x in ns and \
        args(ev(x)).get('pathname') == '/etc/cron.d/traceed-evasion-postinst'
    dets = poll(t, lambda ds: any(script(x) for x in ds), WAIT)
    time.sleep(SETTLE)
    dets = t.detections()
    mine = [x for x in dets if x in ns]
    check(any(script(x) for x in mine),
          'the maintainer script\'s write to /etc/cron.d was not reported (TRC-1027); '
          'detections about the installation: %s' % describe(mine))
    by_dpkg = [x for x in mine if (ev(x).get('executable') or {}).get('path') == '/usr/bin/dpkg']
    check(not by_dpkg, 'dpkg itself was reported: %s' % describe(by_dpkg))
    print('reported: %s' % describe(mine))


def case_gdb_copy(t, d):
    traceme = os.path.join(live.env_path('TRIGGER_DIR'), 'trg_traceme')
    check(os.access(traceme, os.X_OK), 'trigger %s is not built' % traceme)
    shutil.copy(traceme, os.path.join(d, 'gdb'))
    os.makedirs(os.path.join(d, 'bin'))
    shutil.copy(traceme, os.path.join(d, 'bin', 'gdb'))
    copy_ns = in_pidns('%s/gdb > /dev/null' % d)
    # a look-alike /usr/bin/gdb: the path is right, the file is not
    alike_ns = in_pidns('mount --bind %s/bin /usr/bin && exec /usr/bin/gdb > /dev/null' % d)
    traceme_in = lambda ds, ns: [x for x in ds if x.get('rule_id') == 'TRC-102' and x in ns]
    dets = poll(t, lambda ds: traceme_in(ds, copy_ns) and traceme_in(ds, alike_ns), WAIT)
    for what, ns in (('a copy called gdb', copy_ns), ('a look-alike /usr/bin/gdb', alike_ns)):
        check(traceme_in(dets, ns), 'PTRACE_TRACEME by %s raised no TRC-102; detections about it: %s'
              % (what, describe([x for x in dets if x in ns])))
    names = {ev(x).get('processName') for ns in (copy_ns, alike_ns) for x in traceme_in(dets, ns)}
    check(names == {'gdb'}, 'TRC-102 detections are about %s, expected processes called gdb' % names)
    if shutil.which('gdb') and os.path.realpath(shutil.which('gdb')) == '/usr/bin/gdb':
        # the real gdb's child calls PTRACE_TRACEME before it execs
        real_ns = in_pidns('gdb -nx -batch -ex run --args /bin/true > /dev/null 2>&1 || true')
        time.sleep(SETTLE)
        real = [x for x in t.detections() if x in real_ns
                and (ev(x).get('executable') or {}).get('path') == '/usr/bin/gdb']
        check(not real, 'the verified gdb was reported: %s' % describe(real))
        print('a real gdb running /bin/true: no detection about gdb')
    else:
        print('note: gdb is not installed at /usr/bin/gdb: the real debugger is not tried')


def case_ld_preload_libpath(t, d):
    run('env LD_PRELOAD=traceed-evasion-x.so LD_LIBRARY_PATH=/libfakeroot /bin/true 2>/dev/null')
    evasion = lambda x: x.get('rule_id') == 'TRC-107' and \
        'LD_LIBRARY_PATH=/libfakeroot' in (args(ev(x)).get('env') or ())
    dets = poll(t, lambda ds: any(evasion(x) for x in ds), WAIT)
    check(any(evasion(x) for x in dets),
          'LD_PRELOAD=traceed-evasion-x.so with LD_LIBRARY_PATH=/libfakeroot raised no TRC-107; '
          'TRC-107 detections: %s' % describe([x for x in dets if x.get('rule_id') == 'TRC-107']))
    if shutil.which('fakeroot'):
        ns = in_pidns('fakeroot /bin/true')
        time.sleep(SETTLE)
        fr = [x for x in t.detections() if x.get('rule_id') == 'TRC-107' and x in ns]
        check(not fr, 'fakeroot itself raised TRC-107: %s' % describe(fr))
        print('fakeroot /bin/true: no TRC-107')
    else:
        print('note: fakeroot is not installed: the real preload tool is not tried')


def case_shm_script_args(t, d):
    ns = in_pidns('mount -t tmpfs traceed-evasion /dev/shm && printf "#!/bin/sh\\ntrue\\n" > /dev/shm/evasion.sh '
                  '&& sh -c "cat /dev/shm/evasion.sh" > /dev/null && sh /dev/shm/evasion.sh -c x')
    shm = lambda x: x.get('rule_id') == 'TRD-2006' and x in ns
    dets = poll(t, lambda ds: any(shm(x) for x in ds), WAIT)
    time.sleep(SETTLE)
    dets = [x for x in t.detections() if shm(x)]
    check(dets, '"sh /dev/shm/evasion.sh -c x" raised no TRD-2006')
    argvs = [args(ev(x)).get('argv') for x in dets]
    check(all(a == ['sh', '/dev/shm/evasion.sh', '-c', 'x'] for a in argvs),
          'TRD-2006 detections about %s; expected only "sh /dev/shm/evasion.sh -c x" '
          '(sh -c "cat /dev/shm/evasion.sh" only reads it)' % argvs)


CASES = {
    'dpkg_symlink': case_dpkg_symlink,
    'dpkg_maintscript': case_dpkg_maintscript,
    'gdb_copy': case_gdb_copy,
    'ld_preload_libpath': case_ld_preload_libpath,
    'shm_script_args': case_shm_script_args,
}


def main(argv):
    if len(argv) != 2 or argv[1] in ('-h', '--help'):
        print(__doc__)
        return 0 if len(argv) == 2 else 2
    if argv[1] == '--list':
        print('\n'.join(CASES))
        return 0
    case = CASES.get(argv[1])
    if not case:
        print('unknown case %r' % argv[1])
        return 2
    testlib.exit_on_sigterm()
    dirs = []

    def body():
        live.TRACEED = live.env_path('TRACEED')
        live.RULES_DIR = live.env_path('RULES_DIR', os.path.join(os.path.dirname(os.path.dirname(HERE)), 'rules'))
        live.check_prerequisites()
        for tool in ('unshare', 'mount'):
            if not shutil.which(tool):
                raise Skip('%s is not installed (util-linux)' % tool)
        # under /tmp: TRC-1022 watches programs run from there
        d = tempfile.mkdtemp(prefix='traceed-evasion-', dir='/tmp')
        dirs.append(d)
        t = live.Traceed().start()
        case(t, d)
        t.stop()

    def cleanup():
        live.kill_running()
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)

    status = testlib.guarded(body, live.report_failure, cleanup)
    if status:
        return status
    print('PASS: %s' % argv[1])
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
