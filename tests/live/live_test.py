#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Live tests of traceed: real BPF, real trigger programs.

    TRACEED=build/daemon/traceed TRIGGER_DIR=build/tests/live/triggers \\
        tests/live/live_test.py CASE        # run one case
    tests/live/live_test.py --list          # list the cases

Each case starts `traceed --foreground --output json` with a narrow
--events list (and a --scope where the trigger's comm allows it), waits for
"traceed: ready" on stderr, runs one or more trigger programs from
TRIGGER_DIR, waits until the events it expects have been printed, stops
traceed with SIGINT and then checks, strictly:

  - traceed exits 0 and prints "traceed: N events seen, M lost";
  - every stdout line is one JSON object with the full Tracee-style key set;
  - the trigger's events are exactly the expected ones: eventName,
    processName, processId/hostProcessId (= the pid the trigger printed),
    parent, uid, namespaces, cgroup, every argument value, returnValue;
  - a --scope comm=X run shows nothing but comm X.

Exit status: 0 pass, 1 fail, 77 skip (not root, or BPF unavailable; with
TRACEED_TEST_STRICT=1 those are failures too).  Nothing else skips.

tracefs is not mounted here: traceed must mount /sys/kernel/tracing itself
when it is missing, and a harness that did it would hide that bug.  Whether
tracefs was mounted is reported when traceed fails to start.

python3 standard library only.
"""

import json
import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
import testlib  # noqa: E402  (tests/testlib.py)
from testlib import Failure, Skip  # noqa: E402

READY_TIMEOUT = 30.0  # seconds until "traceed: ready"
EVENT_TIMEOUT = 10.0  # seconds to wait for the expected events to be printed
SETTLE = 0.5          # extra wait after they are, to catch duplicates
EXIT_TIMEOUT = 20.0   # seconds traceed gets to exit after SIGINT
TRIGGER_TIMEOUT = 30.0

INIT_PIDNS_INO = 0xEFFFFFFC  # PROC_PID_INIT_INO: the initial pid namespace

SUMMARY_RE = re.compile(r'traceed: (\d+) events seen, (\d+) lost')

# Keys every event must carry, and those that must be integers.
EVENT_KEYS = ('timestamp', 'threadStartTime', 'processorId', 'processId', 'cgroupId',
              'threadId', 'parentProcessId', 'hostProcessId', 'hostThreadId',
              'hostParentProcessId', 'userId', 'mountNamespace', 'pidNamespace',
              'processName', 'executable', 'hostName', 'containerId', 'eventId',
              'eventName', 'argsNum', 'returnValue', 'syscall', 'args')
INT_KEYS = ('timestamp', 'threadStartTime', 'processorId', 'processId', 'cgroupId',
            'threadId', 'parentProcessId', 'hostProcessId', 'hostThreadId',
            'hostParentProcessId', 'userId', 'mountNamespace', 'pidNamespace',
            'argsNum', 'returnValue')
STR_KEYS = ('processName', 'hostName', 'containerId', 'eventId', 'eventName')

# Variables the harness removes from the triggers' environment, so that only
# the ld_preload case puts them there.
LD_VARS = ('LD_PRELOAD', 'LD_LIBRARY_PATH', 'LD_AUDIT')
# An ordinary variable that exec events must never show.
MARKER = 'TRG_MARKER=visible-only-to-the-trigger'


def fail(msg):
    raise Failure(msg)


def check(cond, msg):
    if not cond:
        fail(msg)


def eq(actual, expected, what):
    if actual != expected:
        fail('%s: expected %r, got %r' % (what, expected, actual))


# --- environment ----------------------------------------------------------

def env_path(name):
    val = os.environ.get(name)
    if not val:
        fail('%s is not set (run through meson test, or see --help)' % name)
    return os.path.abspath(val)


def ns_ino(kind):
    return os.stat('/proc/self/ns/' + kind).st_ino


IN_INIT_PIDNS = ns_ino('pid') == INIT_PIDNS_INO


def tracefs_mounted():
    try:
        with open('/proc/mounts') as f:
            return any(l.split()[1:3] == ['/sys/kernel/tracing', 'tracefs'] for l in f)
    except OSError:
        return False


def expected_cgroup_id():
    """cgroup v2 id of this process (and of the triggers), or None."""
    try:
        with open('/proc/self/cgroup') as f:
            paths = [l.rstrip('\n')[3:] for l in f if l.startswith('0::')]
        with open('/proc/mounts') as f:
            mounts = [l.split()[1] for l in f if l.split()[2:3] == ['cgroup2']]
    except OSError:
        return None
    if len(paths) != 1 or len(mounts) != 1:
        return None
    try:
        return os.stat(mounts[0] + paths[0]).st_ino
    except OSError:
        return None


def kernel_dev(st_dev):
    """st_dev (glibc encoding) -> the kernel's dev_t: MAJOR << 20 | MINOR."""
    return (os.major(st_dev) << 20) | os.minor(st_dev)


# --- prerequisites (the only skips) -----------------------------------------

BPF_SYSCALL = {'x86_64': 321, 'aarch64': 280, 'riscv64': 280, 'ppc64le': 361,
               'ppc64': 361, 's390x': 351, 'i686': 357, 'i386': 357, 'armv7l': 386}
CAP_SYS_ADMIN, CAP_PERFMON, CAP_BPF = 21, 38, 39


def check_prerequisites():
    if os.geteuid() != 0:
        raise Skip('not root (euid %d): the live tests load BPF programs' % os.geteuid())
    caps = 0
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('CapEff:'):
                caps = int(line.split()[1], 16)
    have = lambda c: bool(caps >> c & 1)
    if not (have(CAP_SYS_ADMIN) or (have(CAP_BPF) and have(CAP_PERFMON))):
        raise Skip('missing capability: need CAP_SYS_ADMIN, or CAP_BPF and CAP_PERFMON '
                   '(CapEff=%#x)' % caps)
    err = testlib.bpf_map_create_errno(BPF_SYSCALL)
    if err is not None:
        raise Skip('BPF unavailable: bpf(BPF_MAP_CREATE) failed: %s' % os.strerror(err))


# --- traceed ----------------------------------------------------------------

class Traceed(testlib.Daemon):
    """One traceed --foreground --output json process and what it printed."""

    decode_stdout = False  # stdout lines are bytes, without the newline

    def __init__(self, events, scopes=()):
        argv = [TRACEED, '--foreground', '--output', 'json', '--events', ','.join(events)]
        for s in scopes:
            argv += ['--scope', s]
        super().__init__(argv)
        self.returncode = None
        self.summary = None
        self.events = None
        self.loose, self.nloose = [], 0

    @property
    def pid(self):
        return self.proc.pid

    def start(self):
        self.tracefs_was_mounted = tracefs_mounted()
        self.spawn()
        RUNNING.append(self)
        self.wait_ready_or_raise(READY_TIMEOUT, '' if self.tracefs_was_mounted else
                                 ' (tracefs was not mounted at /sys/kernel/tracing; traceed '
                                 'is expected to mount it)')
        return self

    def lines(self):
        with self.cond:
            return list(self.out)

    def events_so_far(self):
        """Events printed so far (lines that do not parse are left for stop())."""
        lines = self.lines()
        self.loose += loose_parse(lines[self.nloose:])
        self.nloose = len(lines)
        return self.loose

    def wait_for(self, pred, what, timeout=EVENT_TIMEOUT):
        """Poll the output until pred(events so far) holds; then settle."""
        deadline = time.monotonic() + timeout
        while True:
            evs = self.events_so_far()
            if pred(evs):
                time.sleep(SETTLE)
                return
            if self.proc.poll() is not None:
                fail('traceed exited (%d) while waiting for %s' % (self.proc.returncode, what))
            left = deadline - time.monotonic()
            if left <= 0:
                fail('timed out after %.0f s waiting for %s' % (timeout, what))
            with self.cond:
                self.cond.wait(timeout=min(left, 0.1))

    def stop(self, allow_lost=False):
        """SIGINT, wait for exit 0 and the summary, parse every line strictly."""
        self.proc.send_signal(signal.SIGINT)
        try:
            self.returncode = self.proc.wait(timeout=EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            fail('traceed did not exit within %.0f s of SIGINT' % EXIT_TIMEOUT)
        for t in self.threads:
            t.join(10)
        eq(self.returncode, 0, 'traceed exit status after SIGINT')
        summaries = [m for m in map(SUMMARY_RE.search, self.err) if m]
        eq(len(summaries), 1, 'number of "traceed: N events seen, M lost" lines on stderr')
        self.summary = (int(summaries[0].group(1)), int(summaries[0].group(2)))
        self.events = strict_parse(self.out)
        if not allow_lost:
            eq(self.summary[1], 0, 'events lost (summary line)')
        return self.events


RUNNING = []


# --- JSON -------------------------------------------------------------------

def loose_parse(lines):
    evs = []
    for line in lines:
        try:
            ev = json.loads(line)
        except ValueError:
            continue
        if isinstance(ev, dict):
            evs.append(ev)
    return evs


def strict_parse(lines):
    evs = []
    for n, line in enumerate(lines, 1):
        try:
            ev = json.loads(line.decode('utf-8'))
        except (UnicodeDecodeError, ValueError) as e:
            fail('stdout line %d is not JSON (%s): %r' % (n, e, line[:300]))
        check_event_shape(ev, n)
        evs.append(ev)
    return evs


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def check_event_shape(ev, n):
    where = 'stdout line %d' % n
    check(isinstance(ev, dict), '%s: not a JSON object' % where)
    missing = [k for k in EVENT_KEYS if k not in ev]
    check(not missing, '%s: missing keys %s: %s' % (where, missing, json.dumps(ev)[:300]))
    for k in INT_KEYS:
        check(is_int(ev[k]), '%s: %s is not an integer: %r' % (where, k, ev[k]))
    for k in STR_KEYS:
        check(isinstance(ev[k], str), '%s: %s is not a string: %r' % (where, k, ev[k]))
    check(isinstance(ev['executable'], dict) and isinstance(ev['executable'].get('path'), str),
          '%s: executable is not {"path": string}: %r' % (where, ev['executable']))
    check(isinstance(ev['args'], list), '%s: args is not a list' % where)
    names = []
    for a in ev['args']:
        check(isinstance(a, dict) and set(a) == {'name', 'type', 'value'},
              '%s: argument is not {name, type, value}: %r' % (where, a))
        check(isinstance(a['name'], str) and isinstance(a['type'], str),
              '%s: argument name/type not strings: %r' % (where, a))
        names.append(a['name'])
    check(len(set(names)) == len(names), '%s: duplicate argument names %s' % (where, names))
    eq(ev['argsNum'], len(ev['args']), '%s: argsNum vs len(args)' % where)


def args_of(ev):
    return {a['name']: a['value'] for a in ev['args']}


def same_int(actual, expected):
    """A number shown as a JSON number or as decimal/0x text."""
    if is_int(actual):
        return actual == expected
    if isinstance(actual, str):
        try:
            return int(actual, 0) == expected
        except ValueError:
            return False
    return False


def same_mode(actual, expected):
    """Permission bits: a JSON number, or octal text ("0600", "600", "0o600")."""
    if is_int(actual):
        return actual == expected
    if isinstance(actual, str) and re.fullmatch(r'0?o?[0-7]+', actual):
        return int(actual.replace('o', ''), 8) == expected
    return False


class Int:
    """Expected integer argument (JSON number, or its decimal/hex text)."""
    def __init__(self, v):
        self.v = v

    def __repr__(self):
        return 'Int(%r)' % self.v

    def match(self, a):
        return same_int(a, self.v)


class Mode(Int):
    def __repr__(self):
        return 'Mode(%#o)' % self.v

    def match(self, a):
        return same_mode(a, self.v)


class OneOf:
    def __init__(self, *vals):
        self.vals = vals

    def __repr__(self):
        return 'one of %r' % (self.vals,)

    def match(self, a):
        return any(value_matches(a, v) for v in self.vals)


class Pred:
    def __init__(self, desc, fn):
        self.desc, self.fn = desc, fn

    def __repr__(self):
        return self.desc

    def match(self, a):
        return self.fn(a)


def value_matches(actual, expected):
    if hasattr(expected, 'match'):
        return expected.match(actual)
    if isinstance(expected, bool):
        return actual is expected
    if is_int(expected):
        return is_int(actual) and actual == expected
    return type(actual) is type(expected) and actual == expected


def expect_args(ev, expected, exact_names=None):
    """Each expected argument is present with the expected value; with
    exact_names, the event has exactly those arguments, in that order."""
    got = args_of(ev)
    what = '%s args' % ev['eventName']
    if exact_names is not None:
        eq([a['name'] for a in ev['args']], list(exact_names), what + ' (names, in order)')
    for name, exp in expected.items():
        check(name in got, '%s: no argument %r (has %s)' % (what, name, sorted(got)))
        check(value_matches(got[name], exp),
              '%s: %s: expected %r, got %r' % (what, name, exp, got[name]))


# --- triggers ---------------------------------------------------------------

class Trigger:
    def __init__(self, name, argv, rc, out, err, pid):
        self.name, self.argv, self.rc, self.stdout, self.stderr = name, argv, rc, out, err
        self.popen_pid = pid
        self.out = {}
        for line in out.splitlines():
            k, sep, v = line.partition('=')
            if sep and k not in self.out:
                self.out[k] = v
        self.pid = int(self.out.get('pid', -1))

    def __getitem__(self, k):
        check(k in self.out, '%s printed no %s= line (stdout: %r)' % (self.name, k, self.stdout))
        return self.out[k]

    def int(self, k):
        return int(self[k], 0)


def trigger_path(name):
    return os.path.join(TRIGGER_DIR, name)


def trigger_env():
    env = {k: v for k, v in os.environ.items() if k not in LD_VARS}
    env.setdefault('HOME', '/root')
    k, _, v = MARKER.partition('=')
    env[k] = v
    return env


def run_trigger(name, *args):
    path = trigger_path(name)
    check(os.access(path, os.X_OK), 'trigger %s is not built (TRIGGER_DIR=%s)' % (path, TRIGGER_DIR))
    argv = [path] + list(args)
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=trigger_env(), cwd='/')
    try:
        out, err = p.communicate(timeout=TRIGGER_TIMEOUT)
    except subprocess.TimeoutExpired:
        p.kill()
        p.communicate()
        fail('trigger %s did not finish within %.0f s' % (name, TRIGGER_TIMEOUT))
    t = Trigger(name, argv, p.returncode, out.decode('utf-8', 'replace'),
                err.decode('utf-8', 'replace'), p.pid)
    TRIGGERS.append(t)
    check(t.rc == 0, 'trigger %s exited %d; stderr: %s' % (name, t.rc, t.stderr.strip()))
    eq(t.pid, p.pid, '%s: pid it printed vs the pid the harness started' % name)
    return t


TRIGGERS = []


# --- event predicates and checks --------------------------------------------

def from_pid(ev, pid):
    """Event from process pid (as this harness sees it)?"""
    if IN_INIT_PIDNS:
        return ev.get('hostProcessId') == pid
    return ev.get('processId') == pid and ev.get('pidNamespace') == ns_ino('pid')


def of(evs, pid, name=None):
    return [e for e in evs if from_pid(e, pid) and (name is None or e.get('eventName') == name)]


def check_proc(ev, trig, comm, exe=None, single_thread=True):
    """Process fields of an event from trigger trig."""
    what = '%s from %s' % (ev['eventName'], trig.name)
    eq(ev['processName'], comm, what + ': processName')
    eq(ev['processId'], trig.pid, what + ': processId')
    eq(ev['parentProcessId'], os.getpid(), what + ': parentProcessId (the harness)')
    if IN_INIT_PIDNS:
        eq(ev['hostProcessId'], trig.pid, what + ': hostProcessId')
        eq(ev['hostParentProcessId'], os.getpid(), what + ': hostParentProcessId (the harness)')
        if single_thread:
            eq(ev['hostThreadId'], trig.pid, what + ': hostThreadId')
    if single_thread:
        eq(ev['threadId'], trig.pid, what + ': threadId')
    eq(ev['userId'], os.getuid(), what + ': userId')
    eq(ev['pidNamespace'], ns_ino('pid'), what + ': pidNamespace')
    eq(ev['mountNamespace'], ns_ino('mnt'), what + ': mountNamespace')
    cg = expected_cgroup_id()
    if cg is not None:
        eq(ev['cgroupId'], cg, what + ': cgroupId')
    eq(ev['hostName'], os.uname().nodename, what + ': hostName')
    check(ev['timestamp'] > 0, what + ': timestamp is not positive')
    if exe is not None:
        if hasattr(exe, 'match'):
            check(exe.match(ev['executable']['path']),
                  '%s: executable.path: expected %r, got %r' % (what, exe, ev['executable']['path']))
        else:
            eq(ev['executable']['path'], exe, what + ': executable.path')


def only_comm(evs, comm):
    """A --scope comm=X run: every event is from comm X."""
    others = sorted({e['processName'] for e in evs if e['processName'] != comm})
    check(not others, '--scope comm=%s let through events of %s' % (comm, others))


def only_names(evs, names):
    others = sorted({e['eventName'] for e in evs if e['eventName'] not in names})
    check(not others, '--events %s let through %s' % (','.join(names), others))


def exactly_one(evs, what):
    eq(len(evs), 1, 'number of %s' % what)
    return evs[0]


def real(path):
    return os.path.realpath(path)


def check_file_id(ev, path):
    """dev/inode of an exec event against stat(path)."""
    st = os.stat(path)
    a = args_of(ev)
    check(same_int(a.get('inode'), st.st_ino),
          '%s: inode: expected %d, got %r' % (ev['eventName'], st.st_ino, a.get('inode')))
    check(same_int(a.get('dev'), st.st_dev) or same_int(a.get('dev'), kernel_dev(st.st_dev)),
          '%s: dev: expected %d or %d, got %r' % (ev['eventName'], st.st_dev,
                                                  kernel_dev(st.st_dev), a.get('dev')))


SOCKADDR_LO = lambda port: {'sa_family': 'AF_INET', 'sin_port': str(port), 'sin_addr': '127.0.0.1'}
STR = Pred('a string', lambda a: isinstance(a, str))

# --- cases ------------------------------------------------------------------

CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


@case
def exec_argv():
    """sched_process_exec of trg_child, exec'd by trg_exec with argv
    ["trg_child", "alpha", "beta gamma"]: argv, paths, dev/inode, no env."""
    t = Traceed(['sched_process_exec'], ['comm=trg_child']).start()
    trig = run_trigger('trg_exec')
    t.wait_for(lambda evs: of(evs, trig.pid), 'sched_process_exec of trg_child')
    evs = t.stop()
    only_comm(evs, 'trg_child')
    only_names(evs, ['sched_process_exec'])
    child = trig['child']
    ev = exactly_one(of(evs, trig.pid), 'sched_process_exec events of trg_child')
    check_proc(ev, trig, 'trg_child', exe=real(child))
    expect_args(ev, {
        'cmdpath': child,
        'pathname': real(child),
        'is_memfd': False,
        'argv': ['trg_child', 'alpha', 'beta gamma'],
        'env': [],
    }, exact_names=['cmdpath', 'pathname', 'dev', 'inode', 'is_memfd', 'argv', 'env'])
    # interpreter_pathname is sent only for scripts (the shebang interpreter):
    # an ELF binary must not get one.
    check_file_id(ev, child)
    eq(ev['returnValue'], 0, 'sched_process_exec returnValue')
    eq(len(evs), 1, 'events in a --scope comm=trg_child run')


@case
def execve_argv():
    """execve by trg_exec of trg_child: pathname, argv, envp filtered to
    nothing (the environment has HOME and a marker, no LD_*)."""
    t = Traceed(['execve'], ['comm=trg_exec']).start()
    trig = run_trigger('trg_exec')
    t.wait_for(lambda evs: of(evs, trig.pid), 'execve by trg_exec')
    evs = t.stop()
    only_comm(evs, 'trg_exec')
    only_names(evs, ['execve'])
    ev = exactly_one(of(evs, trig.pid), 'execve events of trg_exec')
    check_proc(ev, trig, 'trg_exec', exe=real(trigger_path('trg_exec')))
    expect_args(ev, {
        'pathname': trig['child'],
        'argv': ['trg_child', 'alpha', 'beta gamma'],
        'envp': [],
    }, exact_names=['pathname', 'argv', 'envp'])
    eq(ev['returnValue'], 0, 'execve returnValue (an enter event)')
    eq(len(evs), 1, 'events in a --scope comm=trg_exec run')


@case
def ld_preload():
    """trg_preload re-executes itself with LD_PRELOAD, LD_LIBRARY_PATH, HOME,
    PATH and a secret: execve envp and sched_process_exec env show exactly
    the two LD_ entries; the harness's own exec of it shows none."""
    check(not os.path.exists('/tmp/nonexistent.so'), '/tmp/nonexistent.so exists; it must not')
    t = Traceed(['execve', 'sched_process_exec'], ['comm=trg_preload']).start()
    trig = run_trigger('trg_preload')
    t.wait_for(lambda evs: len(of(evs, trig.pid)) >= 3, 'three exec events of trg_preload')
    evs = t.stop()
    only_comm(evs, 'trg_preload')
    only_names(evs, ['execve', 'sched_process_exec'])
    mine = of(evs, trig.pid)
    eq([e['eventName'] for e in mine], ['sched_process_exec', 'execve', 'sched_process_exec'],
       'exec events of trg_preload, in order')
    self_path = trig['self']
    ld = ['LD_PRELOAD=/tmp/nonexistent.so', 'LD_LIBRARY_PATH=/tmp/trg-nonexistent-libdir']
    first, execve, second = mine
    for ev in mine:
        check_proc(ev, trig, 'trg_preload', exe=real(self_path))
        eq(ev['returnValue'], 0, '%s returnValue' % ev['eventName'])
        text = json.dumps(ev)
        for leak in ('TRG_SECRET', 'must-not-appear', 'HOME=', 'PATH=/usr/bin', MARKER):
            check(leak not in text, '%s shows %r, which is no LD_ variable: %s'
                  % (ev['eventName'], leak, text))
    expect_args(first, {'pathname': real(self_path), 'argv': [trigger_path('trg_preload')],
                        'env': [], 'is_memfd': False})
    expect_args(execve, {'pathname': self_path, 'argv': ['trg_preload', '--stage2'], 'envp': ld})
    expect_args(second, {'pathname': real(self_path), 'argv': ['trg_preload', '--stage2'],
                         'env': ld, 'is_memfd': False})
    eq(len(evs), 3, 'events in a --scope comm=trg_preload run')


@case
def ptrace_traceme():
    """ptrace(PTRACE_TRACEME) by trg_traceme."""
    t = Traceed(['ptrace'], ['comm=trg_traceme']).start()
    trig = run_trigger('trg_traceme')
    t.wait_for(lambda evs: of(evs, trig.pid), 'ptrace by trg_traceme')
    evs = t.stop()
    only_comm(evs, 'trg_traceme')
    only_names(evs, ['ptrace'])
    ev = exactly_one(of(evs, trig.pid), 'ptrace events of trg_traceme')
    check_proc(ev, trig, 'trg_traceme', exe=real(trigger_path('trg_traceme')))
    expect_args(ev, {'request': 'PTRACE_TRACEME', 'pid': Int(0), 'addr': Int(0), 'data': Int(0)},
                exact_names=['request', 'pid', 'addr', 'data'])
    eq(ev['returnValue'], trig.int('rv'), 'ptrace returnValue')
    eq(len(evs), 1, 'events in a --scope comm=trg_traceme run')


@case
def proc_mem_open():
    """open("/proc/self/mem", O_RDWR) by trg_procmem (alongside ld.so's own
    opens, all of which must be absolute too)."""
    t = Traceed(['openat'], ['comm=trg_procmem']).start()
    trig = run_trigger('trg_procmem')
    mem_paths = ('/proc/self/mem', '/proc/%d/mem' % trig.pid)
    is_mem = lambda e: args_of(e).get('pathname') in mem_paths
    t.wait_for(lambda evs: any(is_mem(e) for e in of(evs, trig.pid)), 'openat of /proc/self/mem')
    evs = t.stop()
    only_comm(evs, 'trg_procmem')
    only_names(evs, ['openat'])
    check(all(from_pid(e, trig.pid) for e in evs), 'events from a pid other than the trigger')
    for e in evs:
        p = args_of(e).get('pathname')
        check(isinstance(p, str) and p.startswith('/'), 'openat pathname not absolute: %r' % p)
    ev = exactly_one([e for e in evs if is_mem(e)], 'openat events of /proc/self/mem')
    check_proc(ev, trig, 'trg_procmem', exe=real(trigger_path('trg_procmem')))
    expect_args(ev, {'dirfd': 'AT_FDCWD', 'pathname': OneOf(*mem_paths), 'flags': 'O_RDWR'},
                exact_names=['dirfd', 'pathname', 'flags', 'mode'])
    eq(ev['returnValue'], trig.int('fd'), 'openat returnValue')


@case
def relpath_open():
    """open("trg_rel.txt", O_WRONLY|O_CREAT, 0600) after chdir into a temp
    dir, then write(fd, 6 bytes): both pathnames come out absolute."""
    t = Traceed(['openat', 'write'], ['comm=trg_relopen']).start()
    trig = run_trigger('trg_relopen')
    path = trig['dir'] + '/trg_rel.txt'
    fd = trig.int('fd')
    opens = lambda evs: [e for e in of(evs, trig.pid, 'openat') if args_of(e).get('pathname') == path]
    writes = lambda evs: [e for e in of(evs, trig.pid, 'write') if same_int(args_of(e).get('fd'), fd)]
    t.wait_for(lambda evs: opens(evs) and writes(evs), 'openat and write of %s' % path)
    evs = t.stop()
    only_comm(evs, 'trg_relopen')
    only_names(evs, ['openat', 'write'])
    for e in of(evs, trig.pid, 'openat'):
        p = args_of(e).get('pathname')
        check(isinstance(p, str) and p.startswith('/'), 'openat pathname not absolute: %r' % p)
    ev = exactly_one(opens(evs), 'openat events of %s' % path)
    check_proc(ev, trig, 'trg_relopen', exe=real(trigger_path('trg_relopen')))
    expect_args(ev, {'dirfd': 'AT_FDCWD', 'pathname': path, 'flags': 'O_WRONLY|O_CREAT',
                     'mode': Mode(0o600)}, exact_names=['dirfd', 'pathname', 'flags', 'mode'])
    eq(ev['returnValue'], fd, 'openat returnValue')
    w = exactly_one(writes(evs), 'write events on fd %d' % fd)
    check_proc(w, trig, 'trg_relopen')
    expect_args(w, {'fd': Int(fd), 'pathname': path, 'count': Int(6)},
                exact_names=['fd', 'pathname', 'count'])
    eq(w['returnValue'], 6, 'write returnValue')


@case
def rename_abs():
    """rename("trg_old.txt", "trg_new.txt") in a temp dir after chdir:
    oldpath and newpath absolute."""
    names = ['rename', 'renameat', 'renameat2']
    t = Traceed(names, ['comm=trg_rename']).start()
    trig = run_trigger('trg_rename')
    t.wait_for(lambda evs: of(evs, trig.pid), 'rename by trg_rename')
    evs = t.stop()
    only_comm(evs, 'trg_rename')
    only_names(evs, names)
    ev = exactly_one(of(evs, trig.pid), 'rename events of trg_rename')
    check_proc(ev, trig, 'trg_rename', exe=real(trigger_path('trg_rename')))
    d = trig['dir']
    exp = {'oldpath': d + '/trg_old.txt', 'newpath': d + '/trg_new.txt'}
    if ev['eventName'] != 'rename':  # architectures without rename(2)
        exp.update(olddirfd='AT_FDCWD', newdirfd='AT_FDCWD')
    expect_args(ev, exp)
    eq(ev['returnValue'], trig.int('rv'), 'rename returnValue')
    eq(trig.int('rv'), 0, 'rename result (trigger)')


@case
def process_vm_writev():
    """trg_vmwrite writes a word into its forked child's memory."""
    t = Traceed(['process_vm_writev'], ['comm=trg_vmwrite']).start()
    trig = run_trigger('trg_vmwrite')
    t.wait_for(lambda evs: of(evs, trig.pid), 'process_vm_writev by trg_vmwrite')
    evs = t.stop()
    only_comm(evs, 'trg_vmwrite')
    only_names(evs, ['process_vm_writev'])
    child = trig.int('child')
    eq(of(evs, child), [], 'events from the child (it only waits)')
    ev = exactly_one(of(evs, trig.pid), 'process_vm_writev events of trg_vmwrite')
    check_proc(ev, trig, 'trg_vmwrite', exe=real(trigger_path('trg_vmwrite')))
    expect_args(ev, {'pid': Int(child), 'liovcnt': Int(1), 'riovcnt': Int(1), 'flags': Int(0)},
                exact_names=['pid', 'liovcnt', 'riovcnt', 'flags'])
    eq(ev['returnValue'], 8, 'process_vm_writev returnValue (bytes written)')
    eq(len(evs), 1, 'events in a --scope comm=trg_vmwrite run')


@case
def memfd_create():
    """memfd_create("trg_payload", MFD_CLOEXEC) by trg_memfd."""
    t = Traceed(['memfd_create'], ['comm=trg_memfd']).start()
    trig = run_trigger('trg_memfd')
    t.wait_for(lambda evs: of(evs, trig.pid), 'memfd_create by trg_memfd')
    evs = t.stop()
    only_comm(evs, 'trg_memfd')
    only_names(evs, ['memfd_create'])
    ev = exactly_one(of(evs, trig.pid), 'memfd_create events of trg_memfd')
    check_proc(ev, trig, 'trg_memfd', exe=real(trigger_path('trg_memfd')))
    expect_args(ev, {'name': 'trg_payload', 'flags': 'MFD_CLOEXEC'}, exact_names=['name', 'flags'])
    eq(ev['returnValue'], trig.int('fd'), 'memfd_create returnValue')
    eq(len(evs), 1, 'events in a --scope comm=trg_memfd run')


@case
def memfd_exec():
    """Fileless exec: trg_memfd copies itself into a memfd and execveat()s
    it.  No comm scope (the comm after the exec is the kernel's choice:
    "memfd:trg_paylo" on 6.13+, the fd number before), so events are picked
    by pid.  Expected, in order: exec of trg_memfd, memfd_create, exec of
    the memfd with is_memfd true and pathname "/memfd:trg_payload..."."""
    t = Traceed(['sched_process_exec', 'memfd_create']).start()
    trig = run_trigger('trg_memfd')
    t.wait_for(lambda evs: len(of(evs, trig.pid)) >= 3, 'three events of trg_memfd')
    evs = t.stop()
    only_names(evs, ['sched_process_exec', 'memfd_create'])
    mine = of(evs, trig.pid)
    eq([e['eventName'] for e in mine], ['sched_process_exec', 'memfd_create', 'sched_process_exec'],
       'events of the trg_memfd pid, in order')
    first, create, second = mine
    self_path = trigger_path('trg_memfd')
    check_proc(first, trig, 'trg_memfd', exe=real(self_path))
    expect_args(first, {'pathname': real(self_path), 'is_memfd': False, 'argv': [self_path], 'env': []})
    check_file_id(first, self_path)
    check_proc(create, trig, 'trg_memfd', exe=real(self_path))
    expect_args(create, {'name': 'trg_payload', 'flags': 'MFD_CLOEXEC'})
    eq(create['returnValue'], trig.int('fd'), 'memfd_create returnValue')
    eq(trig.int('payload_pid'), trig.pid, 'payload pid (execveat keeps the pid)')
    memfd_path = Pred('a path starting with /memfd:trg_payload',
                      lambda p: isinstance(p, str) and p.startswith('/memfd:trg_payload'))
    check_proc(second, trig, trig['payload_comm'], exe=memfd_path)
    expect_args(second, {'pathname': memfd_path, 'is_memfd': True, 'cmdpath': STR,
                         'argv': ['trg_memfd', '--payload'], 'env': []})
    eq(second['returnValue'], 0, 'sched_process_exec returnValue')


@case
def mprotect_exec():
    """An anonymous RW page made RWX: prot and prev_prot decoded."""
    t = Traceed(['mprotect'], ['comm=trg_mprotect']).start()
    trig = run_trigger('trg_mprotect')
    addr = trig.int('addr')
    mine = lambda evs: [e for e in of(evs, trig.pid) if same_int(args_of(e).get('addr'), addr)]
    t.wait_for(mine, 'mprotect of %#x' % addr)
    evs = t.stop()
    only_comm(evs, 'trg_mprotect')
    only_names(evs, ['mprotect'])
    check(all(from_pid(e, trig.pid) for e in evs), 'events from a pid other than the trigger')
    ev = exactly_one(mine(evs), 'mprotect events of %#x' % addr)
    check_proc(ev, trig, 'trg_mprotect', exe=real(trigger_path('trg_mprotect')))
    expect_args(ev, {'addr': Int(addr), 'len': Int(trig.int('len')),
                     'prot': 'PROT_READ|PROT_WRITE|PROT_EXEC', 'prev_prot': 'PROT_READ|PROT_WRITE'},
                exact_names=['addr', 'len', 'prot', 'prev_prot'])
    eq(ev['returnValue'], 0, 'mprotect returnValue')


@case
def connect_inet():
    """connect() to 127.0.0.1:<port the trigger listens on>."""
    t = Traceed(['connect'], ['comm=trg_connect']).start()
    trig = run_trigger('trg_connect')
    t.wait_for(lambda evs: of(evs, trig.pid), 'connect by trg_connect')
    evs = t.stop()
    only_comm(evs, 'trg_connect')
    only_names(evs, ['connect'])
    ev = exactly_one(of(evs, trig.pid), 'connect events of trg_connect')
    check_proc(ev, trig, 'trg_connect', exe=real(trigger_path('trg_connect')))
    expect_args(ev, {'sockfd': Int(trig.int('fd')), 'addr': SOCKADDR_LO(trig.int('port'))},
                exact_names=['sockfd', 'addr'])
    eq(ev['returnValue'], 0, 'connect returnValue')
    eq(len(evs), 1, 'events in a --scope comm=trg_connect run')


@case
def dup2_socket():
    """dup2(connected socket, 1): oldfd_type socket, remote 127.0.0.1:port."""
    names = ['dup2', 'dup3']
    t = Traceed(names, ['comm=trg_dupsock']).start()
    trig = run_trigger('trg_dupsock')
    t.wait_for(lambda evs: of(evs, trig.pid), 'dup2 by trg_dupsock')
    evs = t.stop()
    only_comm(evs, 'trg_dupsock')
    only_names(evs, names)
    ev = exactly_one(of(evs, trig.pid), 'dup events of trg_dupsock')
    check_proc(ev, trig, 'trg_dupsock', exe=real(trigger_path('trg_dupsock')))
    exp = {'oldfd': Int(trig.int('fd')), 'newfd': Int(1), 'oldfd_type': 'socket',
           'remote': SOCKADDR_LO(trig.int('port'))}
    if ev['eventName'] == 'dup2':
        expect_args(ev, exp, exact_names=['oldfd', 'newfd', 'oldfd_type', 'remote'])
    else:  # architectures without dup2(2): glibc uses dup3(oldfd, newfd, 0)
        expect_args(ev, exp)
    eq(ev['returnValue'], 1, 'dup2 returnValue')
    eq(len(evs), 1, 'events in a --scope comm=trg_dupsock run')


@case
def unselected_event():
    """Only ptrace selected (no scope): trg_procmem's open produces nothing;
    trg_traceme, run after it, proves the output had caught up."""
    t = Traceed(['ptrace']).start()
    opener = run_trigger('trg_procmem')
    tracer = run_trigger('trg_traceme')
    t.wait_for(lambda evs: of(evs, tracer.pid, 'ptrace'), 'ptrace by trg_traceme')
    evs = t.stop()
    only_names(evs, ['ptrace'])
    eq(of(evs, opener.pid), [], 'events from trg_procmem (openat is not selected)')
    eq([e for e in evs if e['processName'] == 'trg_procmem'], [], 'events with comm trg_procmem')
    ev = exactly_one(of(evs, tracer.pid), 'ptrace events of trg_traceme')
    check_proc(ev, tracer, 'trg_traceme')
    expect_args(ev, {'request': 'PTRACE_TRACEME'})


def proc_io(pid, key):
    try:
        with open('/proc/%d/io' % pid) as f:
            for line in f:
                k, _, v = line.partition(':')
                if k == key:
                    return int(v)
    except OSError:
        pass
    return None


@case
def self_exclusion():
    """openat and write selected system-wide: traceed writes a line for
    every event, yet none of its own syscalls may show up."""
    t = Traceed(['openat', 'write']).start()
    w0 = proc_io(t.pid, 'syscw')
    trig = run_trigger('trg_relopen')
    path = trig['dir'] + '/trg_rel.txt'
    hit = lambda evs, name: [e for e in of(evs, trig.pid, name) if args_of(e).get('pathname') == path]
    t.wait_for(lambda evs: hit(evs, 'openat') and hit(evs, 'write'), 'openat and write of %s' % path)
    w1 = proc_io(t.pid, 'syscw')
    # Checked before stop() as well: a feedback loop may keep traceed busy.
    own = [e for e in t.events_so_far() if from_pid(e, t.pid)]
    check(not own, 'events from traceed itself (pid %d), e.g. %s' % (t.pid, json.dumps(own[:1])))
    evs = t.stop(allow_lost=True)
    if t.summary[1]:
        print('note: %d events lost system-wide (not asserted in this case)' % t.summary[1])
    only_names(evs, ['openat', 'write'])
    if w0 is not None and w1 is not None:
        check(w1 > w0, 'traceed made no write syscalls while printing events (syscw %d -> %d)' % (w0, w1))
    own = [e for e in evs if from_pid(e, t.pid)]
    eq(len(own), 0, 'events from traceed itself (pid %d); first: %s'
       % (t.pid, json.dumps(own[0]) if own else ''))
    eq([e for e in evs if e['processName'] == 'traceed'], [], 'events with comm traceed')
    exactly_one(hit(evs, 'openat'), 'openat events of %s' % path)
    exactly_one(hit(evs, 'write'), 'write events on %s' % path)


@case
def summary():
    """A small run: the summary line counts the events seen, none lost."""
    t = Traceed(['ptrace'], ['comm=trg_traceme']).start()
    trig = run_trigger('trg_traceme')
    t.wait_for(lambda evs: of(evs, trig.pid), 'ptrace by trg_traceme')
    evs = t.stop()
    seen, lost = t.summary
    check(seen > 0, 'summary says 0 events seen')
    check(seen >= len(evs), 'summary says %d events seen, but %d were printed' % (seen, len(evs)))
    eq(lost, 0, 'summary: events lost')
    eq(len(evs), 1, 'events printed')


@case
def unprivileged():
    """Without CAP_BPF/CAP_PERFMON (uid 65534, no capabilities) traceed
    refuses to start, exit status 1, and names the missing capabilities."""
    def drop_privileges():
        os.setgroups([])
        os.setresgid(65534, 65534, 65534)
        os.setresuid(65534, 65534, 65534)
    p = subprocess.run([TRACEED, '--foreground', '--output', 'json'], preexec_fn=drop_privileges,
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30)
    eq(p.returncode, 1, 'exit status of unprivileged traceed')
    check('missing capability CAP_BPF and CAP_PERFMON' in p.stderr,
          'stderr does not name the missing capabilities: %r' % p.stderr)
    eq(p.stdout, '', 'stdout of unprivileged traceed')


# --- main -------------------------------------------------------------------

def report_failure(msg):
    print('FAIL: %s' % msg)
    for t in RUNNING:
        print('--- traceed: %s (pid %s, exit %s)' % (' '.join(t.argv), t.proc.pid if t.proc else '-',
                                                     t.proc.returncode if t.proc else '-'))
        print('--- traceed stderr:')
        for l in t.err:
            print('    ' + l)
        lines = t.out
        pids = {tr.pid for tr in TRIGGERS}
        print('--- traceed stdout: %d lines; those of the triggers (pids %s):'
              % (len(lines), sorted(pids)))
        shown = 0
        for line in lines:
            try:
                ev = json.loads(line)
            except ValueError:
                print('    (not JSON) %r' % line[:300])
                continue
            if isinstance(ev, dict) and any(from_pid(ev, p) for p in pids):
                print('    ' + json.dumps(ev, sort_keys=True))
                shown += 1
                if shown >= 50:
                    print('    ...')
                    break
    for tr in TRIGGERS:
        print('--- trigger %s (pid %d, exit %d)\n    stdout: %r\n    stderr: %r'
              % (' '.join(tr.argv), tr.popen_pid, tr.rc, tr.stdout, tr.stderr))


def kill_running():
    for t in RUNNING:
        t.kill()


def main(argv):
    if len(argv) != 2 or argv[1] in ('-h', '--help'):
        print(__doc__)
        print('cases: ' + ' '.join(CASES))
        return 0 if len(argv) == 2 else 2
    if argv[1] == '--list':
        print('\n'.join(CASES))
        return 0
    name = argv[1]
    if name not in CASES:
        print('unknown case %r; cases: %s' % (name, ' '.join(CASES)))
        return 2
    testlib.exit_on_sigterm()

    def body():
        global TRACEED, TRIGGER_DIR
        TRACEED = env_path('TRACEED')
        TRIGGER_DIR = env_path('TRIGGER_DIR')
        check(os.access(TRACEED, os.X_OK), 'TRACEED=%s is not an executable' % TRACEED)
        check_prerequisites()
        CASES[name]()

    status = testlib.guarded(body, report_failure, kill_running)
    if status:
        return status
    for t in RUNNING:
        if t.err:
            print('traceed stderr:\n    ' + '\n    '.join(t.err))
    print('PASS: %s' % name)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
