#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Live tests of the default rules: real BPF, benign triggers, real detections.

    TRACEED=build/daemon/traceed RULE_TRIGGER_DIR=build/tests/live/rule_triggers \\
        RULES_DIR=rules tests/live/rules_test.py TRC-102     # run one case
    tests/live/rules_test.py --list

Each case (one per rule; see rule_triggers/rule_cases.py for the commands)
starts `traceed --foreground --rules RULES_DIR --output json` in detection
mode, waits for "traceed: ready", runs the rule's benign trigger and waits
until a detection of that rule about the trigger's event is printed; then
stops traceed with SIGINT and checks that it exits 0, that every stdout
line is a detection object, and the detection's rule_id, severity/priority
pairing, event (the key event of the case) and the case's output_fields.

Triggers never change the host: writes to system files happen in a private
mount namespace over a tmpfs (or over a bind-mounted temp file for
/proc/sys files), network only on loopback, ptrace/memory tricks only on
the trigger's own child, BPF_PROG_LOAD of a two-instruction socket filter
that is closed at once, finit_module(-1) that fails with EBADF.

Exit status: 0 pass, 1 fail, 77 skip (not root, no BPF, or this kernel
lacks what the rule watches -- the reason is printed; with
TRACEED_TEST_STRICT=1 the first two are failures).

python3 standard library only.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, 'rule_triggers'))
import rule_cases  # noqa: E402
from rule_cases import BY_ID, CASES, NS  # noqa: E402
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402  (tests/testlib.py)
from testlib import Failure, HostSkip, Skip, check  # noqa: E402,F401

READY_TIMEOUT = 60.0
EXIT_TIMEOUT = 20.0
TRIGGER_TIMEOUT = 60.0
DETECTION_KEYS = ('time', 'rule_id', 'rule_name', 'severity', 'priority', 'mitre', 'tags',
                  'output', 'output_fields', 'suppressed', 'hostname', 'event')
PRIORITY = {'critical': 'Critical', 'high': 'Error', 'medium': 'Warning', 'low': 'Notice',
            'info': 'Informational'}
LD_VARS = ('LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT')
PY = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable


def env_path(name, default=None):
    val = os.environ.get(name) or default
    check(val, '%s is not set (run through meson test, or see --help)' % name)
    return os.path.abspath(val)


# --- prerequisites ----------------------------------------------------------

BPF_SYSCALL = {'x86_64': 321, 'aarch64': 280, 'riscv64': 280, 'ppc64le': 361, 's390x': 351}


def check_prerequisites():
    if os.geteuid() != 0:
        raise Skip('not root (euid %d): the live rule tests load BPF programs' % os.geteuid())
    err = testlib.bpf_map_create_errno(BPF_SYSCALL)
    if err is not None:
        raise Skip('BPF unavailable: bpf(BPF_MAP_CREATE) failed: %s' % os.strerror(err))


def probe_unavailable():
    """Events `traceed --probe` says this kernel cannot give, with the reason."""
    p = subprocess.run([TRACEED, '--probe'], capture_output=True, text=True, timeout=60)
    out = {}
    for line in p.stdout.splitlines():
        f = line.split(None, 3)
        if len(f) >= 2 and f[1] == 'no':
            out[f[0]] = line.strip()
    return out


def host_requirements(case):
    """Raise HostSkip when this host lacks what the case needs, Skip when a tool is missing."""
    need = {
        'TRC-1017': lambda: 'finit_module' not in probe_unavailable() or
        'the kernel has no finit_module tracepoint (no CONFIG_MODULES?): %s'
        % probe_unavailable().get('finit_module'),
        'TRC-1021': lambda: os.path.exists('/proc/kcore') or
        '/proc/kcore does not exist (kernel without CONFIG_PROC_KCORE)',
        'TRC-1031': lambda: os.path.exists('/proc/sys/kernel/sysrq') or
        '/proc/sys/kernel/sysrq does not exist (kernel without CONFIG_MAGIC_SYSRQ)',
        'TRC-1029': lambda: subprocess.run(
            ['/bin/sh', '-c', NS + " sh -c 'mountpoint -q /sys/kernel/debug || mount -t debugfs "
             "traceed-rt /sys/kernel/debug; test -r /sys/kernel/debug/sched/debug'"]).returncode == 0 or
        'no /sys/kernel/debug/sched/debug, even with debugfs mounted (CONFIG_SCHED_DEBUG off?)',
        'TRC-1012': lambda: os.path.isdir('/usr/lib64') or 'no /usr/lib64 to mount a tmpfs over',
    }.get(case.id)
    if need:
        r = need()
        if r is not True:
            raise HostSkip(r)
    # missing tools are installable: a plain skip, a failure under
    # TRACEED_TEST_STRICT=1, unlike the kernel features above
    if case.id == 'TRD-2008' and not os.access('/usr/sbin/useradd', os.X_OK):
        raise Skip('/usr/sbin/useradd is not installed (passwd)')
    for tool in ('unshare', 'mount'):
        if not shutil.which(tool):
            raise Skip('%s is not installed (util-linux)' % tool)


# --- traceed ----------------------------------------------------------------

class Traceed(testlib.Daemon):
    def __init__(self):
        super().__init__([TRACEED, '--foreground', '--rules', RULES_DIR, '--output', 'json'])

    def start(self):
        self.spawn()
        RUNNING.append(self)
        self.wait_ready_or_raise(READY_TIMEOUT)
        return self

    def detections(self):
        with self.cond:
            lines = list(self.out)
        out = []
        for l in lines:
            try:
                d = json.loads(l)
            except ValueError:
                continue
            if isinstance(d, dict):
                out.append(d)
        return out

    def wait_for(self, pred, what, timeout):
        deadline = time.monotonic() + timeout
        while True:
            hits = [d for d in self.detections() if pred(d)]
            if hits:
                time.sleep(0.5)
                return hits
            if self.proc.poll() is not None:
                raise Failure('traceed exited (%d) while waiting for %s' % (self.proc.returncode, what))
            left = deadline - time.monotonic()
            if left <= 0:
                raise Failure('timed out after %.0f s waiting for %s' % (timeout, what))
            with self.cond:
                self.cond.wait(timeout=min(left, 0.1))

    def stop(self):
        self.interrupt(EXIT_TIMEOUT)
        dets = []
        for n, l in enumerate(self.out, 1):
            try:
                d = json.loads(l)
            except ValueError as e:
                raise Failure('stdout line %d is not JSON (%s): %r' % (n, e, l[:300]))
            missing = [k for k in DETECTION_KEYS if k not in d]
            check(not missing, 'stdout line %d is not a detection (lacks %s): %s' % (n, missing, l[:300]))
            dets.append(d)
        return dets


RUNNING = []
TRIGGERS = []


def run_trigger(cmd, subst):
    text = cmd.format(**subst)
    env = {k: v for k, v in os.environ.items() if k not in LD_VARS}
    p = subprocess.Popen(['/bin/sh', '-c', text], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, cwd='/', env=env)
    try:
        out, err = p.communicate(timeout=TRIGGER_TIMEOUT)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        raise Failure('trigger did not finish within %.0f s: %s' % (TRIGGER_TIMEOUT, text))
    TRIGGERS.append((text, p.pid, p.returncode, out.decode('utf-8', 'replace'), err.decode('utf-8', 'replace')))
    return p.pid, p.returncode


def run_case(case):
    host_requirements(case)
    d = tempfile.mkdtemp(prefix='traceed-rt-', dir='/run')
    cg = None
    try:
        if case.cgroup:
            cg = rule_cases.make_container_cgroup()
            if not cg:
                raise HostSkip('cannot create a cgroup v2 directory to act as a container '
                               '(no cgroup2 mount, or not writable)')
        t = Traceed().start()
        subst = {'RT': os.path.join(RULE_TRIGGER_DIR, 'rt_trigger'), 'PY': PY, 'D': d, 'NS': NS,
                 'CG': cg or '/nonexistent', 'TPID': str(t.proc.pid)}
        check(os.access(subst['RT'], os.X_OK), 'trigger %s is not built' % subst['RT'])
        run_trigger(case.fire, subst)
        mine = lambda det: det.get('rule_id') == case.id and isinstance(det.get('event'), dict) \
            and case.key(det['event'])
        t.wait_for(mine, '%s detection about the trigger\'s event' % case.id, case.timeout)
        dets = t.stop()
    finally:
        shutil.rmtree(d, ignore_errors=True)
        if cg:
            for _ in range(50):
                try:
                    os.rmdir(cg)
                    break
                except OSError:
                    time.sleep(0.1)
    hits = [x for x in dets if mine(x)]
    check(hits, 'no %s detection after stop' % case.id)
    det = hits[0]
    check(det['severity'] in PRIORITY, 'severity %r' % det['severity'])
    check(det['priority'] == PRIORITY[det['severity']],
          'priority %r does not go with severity %r' % (det['priority'], det['severity']))
    check(isinstance(det['mitre'], dict) and det['mitre'].get('technique') and det['mitre'].get('tactic'),
          'mitre technique/tactic missing: %r' % det['mitre'])
    check(isinstance(det['output'], str) and det['output'], 'empty output')
    for field, want in case.fields.items():
        got = [h['output_fields'].get(field) for h in hits]
        check(any(str(g) == str(want) for g in got),
              'output_fields[%r]: expected %r, got %r' % (field, want, got))
    print('detection: %s' % json.dumps({k: det[k] for k in ('rule_id', 'severity', 'output')}))


def report_failure(msg):
    print('FAIL: %s' % msg)
    for t in RUNNING:
        print('--- traceed: %s' % ' '.join(t.argv))
        print('--- stderr:\n    ' + '\n    '.join(t.err[-40:]))
        print('--- stdout (%d lines), last 20:' % len(t.out))
        for l in t.out[-20:]:
            print('    ' + l[:1000])
    for text, pid, rc, out, err in TRIGGERS:
        print('--- trigger (pid %d, exit %d): %s\n    stdout: %r\n    stderr: %r' % (pid, rc, text, out, err))


def kill_running():
    for t in RUNNING:
        t.kill()


def main(argv):
    if len(argv) != 2 or argv[1] in ('-h', '--help'):
        print(__doc__)
        print('cases: ' + ' '.join(c.id for c in CASES))
        return 0 if len(argv) == 2 else 2
    if argv[1] == '--list':
        print('\n'.join(c.id for c in CASES))
        return 0
    case = BY_ID.get(argv[1])
    if not case:
        print('unknown case %r' % argv[1])
        return 2
    testlib.exit_on_sigterm()

    def body():
        global TRACEED, RULE_TRIGGER_DIR, RULES_DIR
        TRACEED = env_path('TRACEED')
        RULE_TRIGGER_DIR = env_path('RULE_TRIGGER_DIR')
        RULES_DIR = env_path('RULES_DIR', os.path.join(os.path.dirname(os.path.dirname(HERE)), 'rules'))
        check_prerequisites()
        run_case(case)

    status = testlib.guarded(body, report_failure, kill_running)
    if status:
        return status
    print('PASS: %s' % case.id)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
