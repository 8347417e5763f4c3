#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Add the evasion events to freshly recorded golden replay cases.

    tests/replay/record.py build/daemon/traceed build/tests/live/rule_triggers/rt_trigger
    tests/evasion/make_replay_evasions.py

Run once on the output of record.py (it refuses cases that already list
"evasion_key_events").  For each default rule it edits
tests/replay/cases/<RULE-ID>/:

  - near misses that rely on an exemption get "verified": true for the
    exempt process (what a live run says of the real /usr/bin/gdb, udevd,
    strace); a copy of them with "verified": false (a look-alike) goes to
    fire.jsonl;
  - near misses recorded from rule_cases.py that were evasions of a
    name-based exception (a symlink called gdb, dpkg or unix_chkpwd, a
    process called sshd, a shell emptying its history with a redirection)
    move to fire.jsonl;
  - synthesized process trees, in the JSON shape traceed prints, pose as
    each exempt program: by name (a symlink called dpkg to bash), by path
    (the exempt path, unverified), by ancestry (a maintainer script's shell
    below a verified dpkg), by environment (TRC-107); they go to
    fire.jsonl, and the same trees with the verified identity to
    miss.jsonl.

The events that must raise the rule are added to expect.json's key_events
and listed as "evasion_key_events", which replay_evasion_test.py checks one
by one.  python3 standard library only.
"""
import copy
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CASES = os.path.join(ROOT, 'tests', 'replay', 'cases')


def head(path):
    """A case file as it is now (record.py's output)."""
    with open(os.path.join(ROOT, path)) as f:
        return f.read()


def load(case, name):
    return [json.loads(l) for l in head('tests/replay/cases/%s/%s' % (case, name)).splitlines() if l.strip()]


def dumps(e):
    return json.dumps(e, separators=(',', ':'), ensure_ascii=False)


def arg(e, name):
    for a in e['args']:
        if a['name'] == name:
            return a['value']
    return None


def set_arg(e, name, value):
    for a in e['args']:
        if a['name'] == name:
            a['value'] = value
            return
    raise KeyError(name)


def key_of(e):
    return {'eventName': e['eventName'], 'hostProcessId': e['hostProcessId'], 'timestamp': e['timestamp']}


# --- templates -------------------------------------------------------------

T_EXEC = next(e for e in load('TRC-102', 'fire.jsonl') if e['eventName'] == 'sched_process_exec')
T_FORK = next(e for e in load('TRC-102', 'fire.jsonl') if e['eventName'] == 'sched_process_fork')


def key_event(case):
    exp = json.loads(head('tests/replay/cases/%s/expect.json' % case))
    ks = {(k['timestamp'], k['hostProcessId']) for k in exp['key_events']}
    return [e for e in load(case, 'fire.jsonl') if (e['timestamp'], e['hostProcessId']) in ks]


def pick(case, pred, name='fire.jsonl'):
    return next(e for e in load(case, name) if pred(e))


class P:
    """A synthetic process: identity as the kernel and traceed would print it."""

    def __init__(self, pid, comm, exe, verified=None, argv=None, cmdpath=None, env=(),
                 cid='', mntns=4026531832, is_memfd=False, no_exec=False):
        self.pid, self.comm, self.exe, self.verified = pid, comm, exe, verified
        self.argv = argv if argv is not None else [exe]
        self.cmdpath = cmdpath or (self.argv[0] if self.argv and self.argv[0].startswith('/') else exe)
        self.env, self.cid, self.mntns, self.is_memfd = list(env), cid, mntns, is_memfd
        self.no_exec = no_exec
        self.ppid = 1


class Clock:
    def __init__(self, t):
        self.t = t

    def __call__(self):
        self.t += 250000  # 0.25 ms
        return self.t


def header(ev, p, ts):
    ev['timestamp'] = ts
    ev['threadStartTime'] = ts - 1000000
    for k in ('processId', 'threadId', 'hostProcessId', 'hostThreadId'):
        ev[k] = p.pid
    for k in ('parentProcessId', 'hostParentProcessId'):
        ev[k] = p.ppid
    ev['processName'] = p.comm
    ev['executable'] = {'path': p.exe or ''}
    if p.verified is not None:
        ev['executable']['verified'] = p.verified
    ev['containerId'] = p.cid
    ev['cgroupId'] = 82 if p.cid else 1
    ev['mountNamespace'] = p.mntns
    ev['hostName'] = 'vm'
    return ev


def exec_ev(p, clk):
    e = header(copy.deepcopy(T_EXEC), p, clk())
    set_arg(e, 'cmdpath', p.cmdpath)
    set_arg(e, 'pathname', p.exe)
    set_arg(e, 'is_memfd', p.is_memfd)
    set_arg(e, 'argv', p.argv)
    set_arg(e, 'env', p.env)
    return e


def fork_ev(parent, child, clk):
    e = header(copy.deepcopy(T_FORK), parent, clk())
    set_arg(e, 'parent_pid', parent.pid)
    set_arg(e, 'parent_tid', parent.pid)
    set_arg(e, 'child_pid', child.pid)
    set_arg(e, 'child_tid', child.pid)
    set_arg(e, 'child_ns_pid', child.pid)
    return e


def action(template, p, clk, args=None, retval=None):
    e = header(copy.deepcopy(template), p, clk())
    for k, v in (args or {}).items():
        set_arg(e, k, v)
    if retval is not None:
        e['returnValue'] = retval
    return e


class Scenario:
    """A chain of processes, root first, each started by the one before it
    (fork, then exec unless no_exec), and what the last one does."""

    counter = 0

    def __init__(self, chain, root_ppid=3532):
        Scenario.counter += 1
        n = Scenario.counter
        self.clk = Clock(1795900000000000000 + n * 10 ** 10)
        self.events = []
        prev = None
        for i, p in enumerate(chain):
            p.pid = 900000 + n * 100 + i
            p.ppid = prev.pid if prev else root_ppid
            if prev:
                self.events.append(fork_ev(prev, p, self.clk))
                if p.no_exec:  # a forked child: the parent's image
                    p.comm, p.exe, p.verified = prev.comm, prev.exe, prev.verified
            if not p.no_exec:
                self.events.append(exec_ev(p, self.clk))
            prev = p
        self.chain = chain
        self.actor = chain[-1]
        self.keys = []

    def do(self, template, args=None, retval=None, who=None, key=True):
        e = action(template, who or self.actor, self.clk, args, retval)
        self.events.append(e)
        if key:
            self.keys.append(key_of(e))
        return e

    def exec_key(self):
        """The actor's own exec is the key event."""
        e = [x for x in self.events if x['eventName'] == 'sched_process_exec'
             and x['hostProcessId'] == self.actor.pid][-1]
        self.keys.append(key_of(e))
        return self


# --- per-case edits --------------------------------------------------------

def subtree(evs, root):
    """pids of root and its descendants (from fork events)."""
    pids = {root}
    for e in evs:
        if e['eventName'] == 'sched_process_fork' and e['hostProcessId'] in pids:
            pids.add(arg(e, 'child_pid'))
    return pids


def set_verified(evs, pids, value):
    for e in evs:
        if e['hostProcessId'] in pids:
            e['executable']['verified'] = value


class Case:
    def __init__(self, cid):
        self.id = cid
        self.fire = load(cid, 'fire.jsonl')
        self.miss = load(cid, 'miss.jsonl')
        self.exp = json.loads(head('tests/replay/cases/%s/expect.json' % cid))
        self.evasions = []

    def move_to_fire(self, root_pid, key_pred):
        pids = subtree(self.miss, root_pid)
        moved = [e for e in self.miss if e['hostProcessId'] in pids]
        self.miss = [e for e in self.miss if e['hostProcessId'] not in pids]
        self.fire += moved
        keys = [key_of(e) for e in moved if key_pred(e)]
        assert keys, (self.id, root_pid)
        self.evasions += keys

    def copy_to_fire(self, pids, verified, key_pred, shift=10 ** 9 * 7):
        """A copy of the miss events of @pids as a look-alike (verified
        false), appended to fire.jsonl."""
        got = []
        for e in self.miss:
            if e['hostProcessId'] in pids:
                c = copy.deepcopy(e)
                c['timestamp'] += shift
                c['threadStartTime'] += shift
                c['executable']['verified'] = verified
                got.append(c)
        self.fire += got
        keys = [key_of(e) for e in got if key_pred(e)]
        assert keys, self.id
        self.evasions += keys

    def add_fire(self, sc):
        assert sc.keys, self.id
        self.fire += sc.events
        self.evasions += sc.keys

    def add_miss(self, sc):
        self.miss += sc.events

    def write(self):
        d = os.path.join(CASES, self.id)
        for name, evs in (('fire.jsonl', self.fire), ('miss.jsonl', self.miss)):
            seen = set()
            for e in evs:
                k = (e['timestamp'], e['hostThreadId'], e['eventName'])
                assert k not in seen, (self.id, name, k)
                seen.add(k)
            with open(os.path.join(d, name), 'w') as f:
                f.write(''.join(dumps(e) + '\n' for e in evs))
        keys = self.exp['key_events'] + [k for k in self.evasions if k not in self.exp['key_events']]
        self.exp['key_events'] = keys
        if self.evasions:
            self.exp['evasion_key_events'] = self.evasions
        with open(os.path.join(d, 'expect.json'), 'w') as f:
            json.dump(self.exp, f, indent=1, sort_keys=True)
            f.write('\n')


V, U = True, False   # verified, not verified
SH = dict(exe='/usr/bin/dash', verified=V)


def sh(cmd, comm='sh', **kw):
    d = dict(SH)
    d.update(kw)
    return P(0, comm, d.pop('exe'), d.pop('verified'), argv=['/bin/sh', '-c', cmd], cmdpath='/bin/sh', **d)


def dpkg(verified=V, comm='dpkg', exe='/usr/bin/dpkg'):
    return P(0, comm, exe, verified, argv=['/usr/bin/dpkg', '--configure', '-a'])


def bash_named(name):
    """`ln -s /bin/bash /tmp/NAME; /tmp/NAME ...`: comm NAME, exe bash (verified)."""
    return P(0, name, '/usr/bin/bash', V, argv=['/tmp/' + name, 'payload.sh'], cmdpath='/tmp/' + name)


def maint_script():
    return P(0, 'postinst', '/usr/bin/dash', V, argv=['/bin/sh', '/var/lib/dpkg/info/x.postinst', 'configure'],
             cmdpath='/var/lib/dpkg/info/x.postinst')


def openat(case, path=None, flags=None, mode=None, retval=3, pred=None):
    t = pick(case, pred or (lambda e: e['eventName'] in ('openat', 'open') and e['returnValue'] >= 0))
    t = copy.deepcopy(t)
    if path:
        set_arg(t, 'pathname', path)
    if flags:
        set_arg(t, 'flags', flags)
    if mode:
        set_arg(t, 'mode', mode)
    t['returnValue'] = retval
    return t


def main():
    cases = {}

    def C(cid):
        cases.setdefault(cid, Case(cid))
        return cases[cid]

    # TRC-101: systemd's socket activation by verified executable only.
    c = C('TRC-101')
    t = pick('TRC-101', lambda e: e['eventName'] == 'dup2' and arg(e, 'oldfd_type') == 'socket')
    for verified, target in ((U, c.add_fire), (V, c.add_miss)):
        s = Scenario([P(0, 'systemd', '/usr/lib/systemd/systemd', verified, argv=['/sbin/init'])])
        s.do(t)
        target(s)

    # TRC-102: the gdb symlink recorded as a near miss is an evasion.
    c = C('TRC-102')
    root = next(e['hostProcessId'] for e in c.miss if e['eventName'] == 'sched_process_exec'
                and 'gdb' in ' '.join(arg(e, 'argv')))
    c.move_to_fire(root, lambda e: e['eventName'] == 'ptrace')
    t = pick('TRC-102', lambda e: e['eventName'] == 'ptrace')
    # gdb's forked child calls PTRACE_TRACEME before it execs: a look-alike
    # /usr/bin/gdb fires, the verified one does not.
    for verified, target in ((U, c.add_fire), (V, c.add_miss)):
        s = Scenario([P(0, 'gdb', '/usr/bin/gdb', verified, argv=['gdb', '-batch', '-ex', 'run', './prog']),
                      P(0, '', '', no_exec=True)])
        s.do(t)
        target(s)

    # debuggers by verified executable: the recorded near misses are the
    # exempt (verified) debugger; a look-alike fires.
    for cid, comm in (('TRC-103', 'gdb'), ('TRC-1023', 'gdb'), ('TRC-1025', 'gdb'), ('TRD-2002', 'strace')):
        c = C(cid)
        pids = {e['hostProcessId'] for e in c.miss if e['processName'] == comm}
        set_verified(c.miss, pids, V)
        kinds = {'TRC-103': lambda e: e['eventName'] == 'ptrace' and arg(e, 'request') == 'PTRACE_POKEDATA',
                 'TRC-1023': lambda e: e['eventName'] == 'openat' and arg(e, 'pathname').endswith('/mem'),
                 'TRC-1025': lambda e: e['eventName'] == 'process_vm_writev',
                 'TRD-2002': lambda e: e['eventName'] == 'ptrace' and arg(e, 'request') == 'PTRACE_ATTACH'}
        c.copy_to_fire(pids, U, kinds[cid])
    c = C('TRC-1024')
    t = key_event('TRC-1024')[0]
    for verified, target in ((U, c.add_fire), (V, c.add_miss)):
        s = Scenario([P(0, 'gdb', '/usr/bin/gdb', verified, argv=['/usr/bin/gdb', '-p', '1234'])])
        s.do(t)
        target(s)

    # TRC-104: JIT runtimes by verified executable.
    c = C('TRC-104')
    t = key_event('TRC-104')[0]
    for p, target in ((P(0, 'java', '/tmp/rt_trigger', V, argv=['java', '-jar', 'x.jar']), c.add_fire),
                      (P(0, 'node', '/usr/bin/node', U, argv=['node', 'x.js']), c.add_fire),
                      (P(0, 'java', '/usr/lib/jvm/java-17-openjdk-amd64/bin/java', V,
                         argv=['java', '-jar', 'x.jar']), c.add_miss),
                      (P(0, 'firefox-esr', '/usr/lib/firefox-esr/firefox-esr', V,
                         argv=['/usr/lib/firefox-esr/firefox-esr']), c.add_miss)):
        s = Scenario([p])
        s.do(t)
        target(s)

    # TRC-105: runc's memfd clone only when a verified runc starts it.
    c = C('TRC-105')
    memfd = '/memfd:runc_cloned:/proc/self/exe'
    for parent, target in ((P(0, 'runc', '/usr/sbin/runc', U, argv=['runc', 'create']), c.add_fire),
                           (P(0, 'rt_trigger', '/tmp/rt_trigger', V, argv=['/tmp/rt_trigger']), c.add_fire),
                           (P(0, 'runc', '/usr/sbin/runc', V, argv=['runc', 'create']), c.add_miss)):
        s = Scenario([parent, P(0, 'runc:[0:PARENT]', memfd, U, argv=['runc', 'init'], cmdpath='/proc/self/fd/5',
                                is_memfd=True)])
        s.exec_key()
        target(s)

    # TRC-107: the fakeroot exception tests the LD_PRELOAD entry itself.
    c = C('TRC-107')
    fr_lib = ('LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/libfakeroot:/usr/lib64/libfakeroot:'
              '/usr/lib32/libfakeroot')
    for env, target in ((['LD_PRELOAD=x.so', 'LD_LIBRARY_PATH=/libfakeroot'], c.add_fire),
                        (['LD_PRELOAD=/tmp/libfakeroot/libfakeroot-sysv.so'], c.add_fire),
                        ([fr_lib, 'LD_PRELOAD=libfakeroot-sysv.so', 'LD_PRELOAD=/tmp/evil.so'], c.add_fire),
                        (['LD_PRELOAD=libfakeroot-sysv.so', 'LD_LIBRARY_PATH=/tmp/evil'], c.add_fire),
                        ([fr_lib + ':/home/u/lib', 'LD_PRELOAD=libfakeroot-sysv.so'], c.add_fire),
                        (['LD_PRELOAD=libfakeroot-sysv.so:/tmp/evil.so', fr_lib], c.add_fire),
                        ([fr_lib, 'LD_PRELOAD=libfakeroot-sysv.so', 'LD_AUDIT=/tmp/a.so'], c.add_fire),
                        ([fr_lib, 'LD_PRELOAD=libfakeroot-sysv.so'], c.add_miss),
                        (['LD_PRELOAD=/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1'], c.add_miss)):
        s = Scenario([P(0, 'true', '/usr/bin/true', V, argv=['/bin/true'], env=env)])
        if target == c.add_fire:
            s.exec_key()
        target(s)
    t = pick('TRC-107', lambda e: e['eventName'] == 'openat' and arg(e, 'pathname') == '/etc/ld.so.preload')
    for chain, target in (([bash_named('dpkg')], c.add_fire),
                          ([dpkg(U)], c.add_fire),
                          ([dpkg(V), maint_script()], c.add_fire),
                          ([P(0, 'apt-get', '/usr/bin/apt-get', V, argv=['apt-get', 'install', 'x']), dpkg(V)],
                           c.add_miss)):
        s = Scenario(chain)
        s.do(t)
        target(s)

    # Cluster components by verified executable (none in containers).
    for cid, path, comm, okexe in (('TRC-108', None, 'coredns', '/usr/bin/kubelet'),
                                   ('TRC-1018', None, 'kube-apiserver', '/usr/bin/kubeadm')):
        c = C(cid)
        t = key_event(cid)[0]
        cont = 'ab' * 32
        for p, target in ((P(0, comm, '/' + comm, U, argv=['/' + comm], cid=cont, mntns=4026532300), c.add_fire),
                          (P(0, okexe.rsplit('/', 1)[1], okexe, U, argv=[okexe]), c.add_fire),
                          (P(0, okexe.rsplit('/', 1)[1], okexe, V, argv=[okexe]), c.add_miss)):
            s = Scenario([p])
            s.do(t)
            target(s)

    # package management, systemd helpers: the process's own words
    # (a shell called dpkg, a look-alike path) fire, verified ones do not.
    simple = {
        # case: (action template predicate, verified exempt chain)
        'TRC-109': (None, lambda: [P(0, 'systemd-sysctl', '/usr/lib/systemd/systemd-sysctl', V,
                                      argv=['/usr/lib/systemd/systemd-sysctl'])]),
        'TRC-1011': (None, lambda: [P(0, 'systemd-sysctl', '/usr/lib/systemd/systemd-sysctl', V,
                                       argv=['/usr/lib/systemd/systemd-sysctl'])]),
        'TRC-1031': (None, lambda: [P(0, 'systemd-sysctl', '/usr/lib/systemd/systemd-sysctl', V,
                                       argv=['/usr/lib/systemd/systemd-sysctl'])]),
        'TRC-1012': (None, lambda: [P(0, 'apt-get', '/usr/bin/apt-get', V, argv=['apt-get', 'upgrade']),
                                    dpkg(V)]),
        'TRC-1021': (None, lambda: [dpkg(V)]),
        'TRC-1028': (lambda e: e['eventName'] == 'openat', lambda: [dpkg(V)]),
        'TRC-1029': (None, lambda: [dpkg(V)]),
    }
    for cid, (pred, exempt) in simple.items():
        c = C(cid)
        t = key_event(cid)[0] if pred is None else next(e for e in key_event(cid) if pred(e))
        chains = [[bash_named('dpkg')],                       # a shell called dpkg
                  [bash_named('dpkg'), sh('true')],           # ... and its child
                  [dpkg(V), maint_script()]]                  # a maintainer script's shell
        ex = exempt()
        if ex[-1].exe != '/usr/bin/dpkg':                     # a look-alike of the exempt helper
            la = copy.deepcopy(ex[-1])
            la.verified = U
            chains.append([la])
        else:
            chains.append([dpkg(U)])
        for ch in chains:
            s = Scenario(ch)
            s.do(t)
            c.add_fire(s)
        s = Scenario(ex)
        s.do(t)
        c.add_miss(s)

    # TRC-1010, TRC-1014: container runtimes by verified executable; runc's
    # memfd clone only below a verified runc.
    for cid in ('TRC-1010', 'TRC-1014'):
        c = C(cid)
        t = key_event(cid)[0]
        cont = t['containerId']
        kw = dict(cid=cont, mntns=4026532300) if cont else {}
        runc_v = lambda v: P(0, 'runc', '/usr/sbin/runc', v, argv=['runc', 'create', 'x'])
        clone = lambda: P(0, 'runc:[2:INIT]', memfd, U, argv=['runc', 'init'], cmdpath='/proc/self/fd/5',
                          is_memfd=True, **kw)
        shim = P(0, 'containerd-shim', '/usr/bin/containerd-shim-runc-v2', V,
                 argv=['/usr/bin/containerd-shim-runc-v2', '-namespace', 'moby'])
        for ch, target in (([P(0, 'runc', '/tmp/rt_trigger', V, argv=['runc'], **kw)], c.add_fire),
                           ([P(0, 'runc', '/usr/sbin/runc', U, argv=['runc'], **kw)], c.add_fire),
                           ([shim, clone()], c.add_fire),
                           ([P(0, 'runc', '/usr/sbin/runc', V, argv=['runc', 'init'], **kw)], c.add_miss),
                           ([runc_v(V), clone()], c.add_miss)):
            s = Scenario(ch)
            s.do(t)
            target(s)

    # TRC-1015: package management by verified executable.
    c = C('TRC-1015')
    t = next(e for e in key_event('TRC-1015') if e['eventName'] == 'sched_process_exec')
    hidden = arg(t, 'pathname')
    for ch, target in (([bash_named('dpkg')], c.add_fire), ([dpkg(U)], c.add_fire)):
        s = Scenario(ch + [P(0, hidden.rsplit('/', 1)[1], hidden, V, argv=[hidden])])
        s.exec_key()
        target(s)
    tc = next(e for e in key_event('TRC-1015') if e['eventName'] in ('fchmodat', 'chmod'))
    s = Scenario([dpkg(V)])
    s.do(tc, args={'pathname': '/usr/lib/x/.hidden-helper'})
    c.add_miss(s)
    s = Scenario([dpkg(U)])
    s.do(tc, args={'pathname': '/usr/lib/x/.hidden-helper'})
    c.add_fire(s)

    # TRC-1016: detection by name or executable; the piped logger exception
    # needs the whole command to be the logger.
    c = C('TRC-1016')
    nginx = lambda: P(0, 'nginx', '/usr/sbin/nginx', V, argv=['nginx: worker process'])
    apache = lambda v=V: P(0, 'apache2', '/usr/sbin/apache2', v, argv=['/usr/sbin/apache2', '-k', 'start'])
    for ch, target in (([nginx(), sh('id # rotatelogs')], c.add_fire),
                       ([nginx(), P(0, 'x', '/usr/bin/dash', V, argv=['/tmp/x', '-c', 'id'], cmdpath='/tmp/x')],
                        c.add_fire),
                       ([apache(), sh('/usr/bin/rotatelogs /var/log/apache2/x 86400; id')], c.add_fire),
                       ([apache(), sh('/usr/bin/rotatelogs -p /tmp/x /var/log/apache2/x 86400')], c.add_fire),
                       ([apache(), sh('/usr/bin/rotatelogs /var/log/apache2/$(id) 86400')], c.add_fire),
                       ([apache(U), sh('/usr/bin/rotatelogs /var/log/apache2/x 86400')], c.add_fire),
                       ([apache(), sh('/usr/bin/rotatelogs /var/log/apache2/access.%Y%m%d 86400')], c.add_miss),
                       ([apache(), sh('exec /usr/bin/cronolog /var/log/apache2/%Y/access.log')], c.add_miss)):
        s = Scenario(ch).exec_key()
        target(s)

    # TRC-1017: the recorded near miss is a verified udevd; modprobe by
    # verified kmod below a kernel thread.
    c = C('TRC-1017')
    pids = {e['hostProcessId'] for e in c.miss}
    set_verified(c.miss, pids, V)
    c.copy_to_fire(pids, U, lambda e: e['eventName'] == 'finit_module')
    t = key_event('TRC-1017')[0]
    kworker = lambda: P(0, 'kworker/u8:1', '', None, no_exec=True)
    for ch, target in (([P(0, 'kworker/u8:1', '/usr/bin/bash', V, argv=['bash']),
                         P(0, 'modprobe', '/tmp/rt_trigger', V, argv=['modprobe', 'x'])], c.add_fire),
                        ([P(0, 'kworker/u8:1', '/usr/bin/bash', V, argv=['bash']),
                          P(0, 'modprobe', '/usr/bin/kmod', V, argv=['/sbin/modprobe', '-q', '--', 'x'])],
                         c.add_fire),
                        ([P(0, 'modprobe', '/usr/bin/kmod', V, argv=['modprobe', 'evil'])], c.add_fire)):
        s = Scenario(ch)
        s.do(t)
        target(s)
    # the kernel's request: the helper's parent is a kworker (no executable)
    s = Scenario([P(0, 'modprobe', '/usr/bin/kmod', V, argv=['/sbin/modprobe', '-q', '--', 'x'],
                    cmdpath='/sbin/modprobe')], root_ppid=97)
    kw = P(97, 'kworker/u8:1', '', None)
    kw.pid, kw.ppid = 97, 2
    s.events.insert(0, fork_ev(kw, s.actor, Clock(s.events[0]['timestamp'] - 10 ** 6)))
    s.do(t)
    c.add_miss(s)

    # TRC-1019: docker clients by verified executable.
    c = C('TRC-1019')
    t = key_event('TRC-1019')[0]
    for p, target in ((P(0, 'docker', '/usr/bin/python3.11', V, argv=['docker', 'ps']), c.add_fire),
                      (P(0, 'docker', '/usr/local/bin/docker', U, argv=['docker', 'ps']), c.add_fire),
                      (P(0, 'docker', '/usr/local/bin/docker', V, argv=['docker', 'ps']), c.add_miss)):
        s = Scenario([p])
        s.do(t)
        target(s)

    # TRC-1022: go's builds only below a verified go; no path-only exceptions.
    c = C('TRC-1022')
    gb = '/tmp/go-build1234/b001/exe/main'
    for ch, target in (([P(0, 'go', '/tmp/go', V, argv=['go', 'run', '.']),
                         P(0, 'main', gb, V, argv=[gb])], c.add_fire),
                       ([P(0, 'sh', '/usr/bin/dash', V, argv=['sh']),
                         P(0, 'main', gb, V, argv=[gb])], c.add_fire),
                       ([P(0, 'x', '/tmp/.mount_x1/AppRun', V, argv=['/tmp/.mount_x1/AppRun'])], c.add_fire),
                       ([bash_named('dpkg'), P(0, 'dropped', '/tmp/dropped', V, argv=['/tmp/dropped'])],
                        c.add_fire),
                       ([dpkg(V), maint_script(), P(0, 'dropped', '/tmp/dropped', V, argv=['/tmp/dropped'])],
                        c.add_fire),
                       ([P(0, 'go', '/usr/lib/go-1.19/bin/go', V, argv=['go', 'run', '.']),
                         P(0, 'main', gb, V, argv=[gb])], c.add_miss)):
        s = Scenario(ch).exec_key()
        target(s)

    # TRC-1026: files by a verified package manager; update-rc.d (Perl) by its
    # verified interpreter below one.
    c = C('TRC-1026')
    t = key_event('TRC-1026')[0]
    for ch, target in (([bash_named('dpkg')], c.add_fire), ([dpkg(U)], c.add_fire),
                       ([dpkg(V), maint_script()], c.add_fire), ([dpkg(V)], c.add_miss)):
        s = Scenario(ch)
        s.do(t)
        target(s)
    urc = lambda v=V: P(0, 'update-rc.d', '/usr/bin/perl', v, argv=['/usr/bin/perl', '/usr/sbin/update-rc.d', 'x',
                                                                    'defaults'], cmdpath='/usr/sbin/update-rc.d')
    for ch, target in (([sh('update-rc.d x defaults'), urc()], c.add_fire),
                       ([bash_named('dpkg'), urc()], c.add_fire),
                       ([dpkg(U), maint_script(), urc()], c.add_fire),
                       ([dpkg(V), maint_script(), urc(U)], c.add_fire),
                       ([dpkg(V), maint_script(), urc()], c.add_miss)):
        s = Scenario(ch).exec_key()
        target(s)

    # TRC-1027: the dpkg symlink recorded as a near miss is an evasion.
    c = C('TRC-1027')
    root = next(e['hostProcessId'] for e in c.miss if e['eventName'] == 'sched_process_exec'
                and 'dpkg' in ' '.join(arg(e, 'argv')))
    c.move_to_fire(root, lambda e: e['eventName'] == 'openat' and arg(e, 'pathname') == '/etc/cron.d/rt-job')
    t = key_event('TRC-1027')[0]
    for ch, target in (([bash_named('dpkg')], c.add_fire), ([dpkg(U)], c.add_fire),
                       ([dpkg(V), maint_script()], c.add_fire),
                       ([P(0, 'anacron', '/usr/bin/bash', V, argv=['anacron'])], c.add_fire),
                       ([P(0, 'apt', '/usr/bin/apt', V, argv=['apt', 'install', 'cron']), dpkg(V)], c.add_miss)):
        s = Scenario(ch)
        s.do(t)
        target(s)
    s = Scenario([P(0, 'anacron', '/usr/sbin/anacron', V, argv=['/usr/sbin/anacron', '-d', '-q'])])
    s.do(t, args={'pathname': '/var/spool/anacron/cron.daily'})
    c.add_miss(s)
    s = Scenario([P(0, 'anacron', '/usr/sbin/anacron', U, argv=['/usr/sbin/anacron', '-d', '-q'])])
    s.do(t, args={'pathname': '/var/spool/anacron/cron.daily'})
    c.add_fire(s)

    # TRD-2001: the unix_chkpwd symlink and the processes called sshd were
    # recorded as near misses: both are evasions.
    c = C('TRD-2001')
    for needle in ('unix_chkpwd',):
        root = next(e['hostProcessId'] for e in c.miss if e['eventName'] == 'sched_process_exec'
                    and needle in ' '.join(arg(e, 'argv')))
        c.move_to_fire(root, lambda e: e['eventName'] == 'openat' and arg(e, 'pathname') == '/etc/shadow')
    sshd_pids = {e['hostProcessId'] for e in c.miss if e['processName'] == 'sshd'}
    moved = [e for e in c.miss if e['hostProcessId'] in sshd_pids]
    c.miss = [e for e in c.miss if e['hostProcessId'] not in sshd_pids]
    shift = 10 ** 9 * 9   # the sshd-named copy reused the fire case's pids and times
    for e in moved:
        e['timestamp'] += shift
        e['threadStartTime'] += shift
        for k in ('processId', 'threadId', 'hostProcessId', 'hostThreadId', 'parentProcessId',
                  'hostParentProcessId'):
            if e[k] in sshd_pids:
                e[k] += 100000
        if e['eventName'] == 'sched_process_fork':
            for a in e['args']:
                if a['name'] in ('parent_pid', 'parent_tid', 'child_pid', 'child_tid', 'child_ns_pid') \
                        and a['value'] in sshd_pids:
                    a['value'] += 100000
    c.fire += moved
    c.evasions += [key_of(e) for e in moved if e['eventName'] == 'openat' and arg(e, 'pathname') == '/etc/shadow']
    t = key_event('TRD-2001')[0]
    for ch, target in (([P(0, 'unix_chkpwd', '/usr/sbin/unix_chkpwd', U, argv=['unix_chkpwd', 'root'])],
                        c.add_fire),
                       ([P(0, 'sshd', '/usr/sbin/sshd', V, argv=['sshd: root [priv]']),
                         P(0, 'bash', '/usr/bin/bash', V, argv=['-bash'])], c.add_fire),
                       ([dpkg(V), maint_script()], c.add_fire),
                       ([P(0, 'unix_chkpwd', '/usr/sbin/unix_chkpwd', V, argv=['unix_chkpwd', 'root'])],
                        c.add_miss),
                       ([P(0, 'sshd', '/usr/sbin/sshd', V, argv=['sshd: root [priv]']),
                         P(0, '', '', no_exec=True)], c.add_miss),
                       ([dpkg(V), maint_script(), P(0, 'useradd', '/usr/sbin/useradd', V,
                                                    argv=['useradd', '--system', 'x'])], c.add_miss)):
        s = Scenario(ch)
        s.do(t)
        target(s)

    # TRD-2003: setuid bits: dpkg and dpkg-statoverride below it, verified.
    c = C('TRD-2003')
    t = key_event('TRD-2003')[0]
    chmod = lambda v=V: P(0, 'chmod', '/usr/bin/chmod', v, argv=['chmod', '4755', '/usr/bin/x'])
    sto = lambda v=V: P(0, 'dpkg-statoverri', '/usr/bin/dpkg-statoverride', v,
                        argv=['dpkg-statoverride', '--update', '--add', 'root', 'root', '4755', '/usr/bin/x'])
    for ch, target in (([bash_named('dpkg'), chmod()], c.add_fire),
                       ([dpkg(V), maint_script(), chmod()], c.add_fire),
                       ([dpkg(U), maint_script(), sto()], c.add_fire),
                       ([sh('dpkg-statoverride --update --add root root 4755 /tmp/x'), sto()], c.add_fire),
                       ([dpkg(V)], c.add_miss),
                       ([dpkg(V), maint_script(), sto()], c.add_miss)):
        s = Scenario(ch)
        s.do(t, args={'pathname': '/usr/bin/x'})
        target(s)

    # TRD-2004: BPF loaders by verified executable.
    c = C('TRD-2004')
    t = key_event('TRD-2004')[0]
    for ch, target in (([P(0, 'runc:[1:CHILD]', '/tmp/rt_trigger', V, argv=['runc'])], c.add_fire),
                       ([P(0, 'bpftrace', '/usr/bin/bpftrace', U, argv=['bpftrace', '-e', 'x'])], c.add_fire),
                       ([P(0, 'systemd', '/usr/lib/systemd/systemd', U, argv=['/sbin/init'])], c.add_fire),
                       ([P(0, 'bpftrace', '/usr/bin/bpftrace', V, argv=['bpftrace', '-e', 'x'])], c.add_miss),
                       ([P(0, 'runc', '/usr/sbin/runc', V, argv=['runc', 'create', 'x'])], c.add_miss),
                       ([P(0, 'systemd', '/usr/lib/systemd/systemd', V, argv=['/sbin/init'])], c.add_miss)):
        s = Scenario(ch)
        s.do(t)
        target(s)

    # TRD-2005: a shell emptying its history with a redirection is reported;
    # a verified shell creating it (mode 0600) is not.
    c = C('TRD-2005')
    hist = [e for e in c.miss if e['eventName'] == 'openat' and arg(e, 'pathname') == '/root/.bash_history']
    assert len(hist) == 1
    f = copy.deepcopy(hist[0])
    f['timestamp'] += 10 ** 9 * 7
    c.fire.append(f)
    c.evasions.append(key_of(f))
    set_arg(hist[0], 'mode', '0600')
    set_verified(c.miss, {hist[0]['hostProcessId']}, V)
    topen = copy.deepcopy(hist[0])
    tunl = key_event('TRD-2005')[0]
    for ch, ev, args, target in (
            ([P(0, 'bash', '/usr/bin/python3.11', V, argv=['bash'])], topen, {}, c.add_fire),
            ([P(0, 'bash', '/usr/bin/bash', U, argv=['bash'])], topen, {}, c.add_fire),
            ([P(0, 'bash', '/usr/bin/bash', V, argv=['-bash'])], topen, {}, c.add_miss),
            ([P(0, 'logrotate', '/tmp/x', V, argv=['logrotate'])], tunl, {}, c.add_fire),
            ([P(0, 'cron', '/usr/bin/bash', V, argv=['/usr/sbin/cron']), sh('rm /var/log/rt.log'),
              P(0, 'rm', '/usr/bin/rm', V, argv=['rm', '/var/log/rt.log'])], tunl, {}, c.add_fire),
            ([P(0, 'cron', '/usr/sbin/cron', V, argv=['/usr/sbin/cron', '-f']), sh(': > /var/log/rt.log')],
             openat('TRD-2005', '/var/log/rt.log', 'O_WRONLY|O_CREAT|O_TRUNC', '0666'), {}, c.add_fire),
            ([P(0, 'cron', '/usr/sbin/cron', V, argv=['/usr/sbin/cron', '-f']), P(0, '', '', no_exec=True),
              sh('find /var/log -name "*.gz" -mtime +30 -delete'),
              P(0, 'find', '/usr/bin/find', V, argv=['find', '/var/log', '-delete'])], tunl, {}, c.add_miss),
            ([P(0, 'logrotate', '/usr/sbin/logrotate', V, argv=['/usr/sbin/logrotate', '/etc/logrotate.conf'])],
             tunl, {}, c.add_miss),
            ([dpkg(V), maint_script(), P(0, 'rm', '/usr/bin/rm', V, argv=['rm', '-rf', '/var/log/x'])],
             tunl, {}, c.add_miss)):
        s = Scenario(ch)
        s.do(ev, args=args)
        target(s)

    # TRD-2006: whatever follows the script on the command line.
    c = C('TRD-2006')
    for argv, comm, exe, target in (
            (['sh', '/dev/shm/x.sh', '-c', 'x'], 'sh', '/usr/bin/dash', c.add_fire),
            (['bash', '/dev/shm/x.sh', '-c', 'x'], 'bash', '/usr/bin/bash', c.add_fire),
            (['/tmp/foo', '/dev/shm/x.sh'], 'foo', '/usr/bin/dash', c.add_fire),
            (['python3', '-u', '/dev/shm/x.py'], 'python3', '/usr/bin/python3.11', c.add_fire),
            (['perl', '-w', '/run/shm/x.pl', '-c'], 'perl', '/usr/bin/perl', c.add_fire),
            (['sh', '-c', '. /dev/shm/x.sh'], 'sh', '/usr/bin/dash', c.add_fire),
            (['sh', '-c', 'cat /dev/shm/x.sh'], 'sh', '/usr/bin/dash', c.add_miss),
            (['python3', '-c', "open('/dev/shm/x').read()"], 'python3', '/usr/bin/python3.11', c.add_miss)):
        s = Scenario([P(0, comm, exe, V, argv=argv, cmdpath=argv[0] if argv[0].startswith('/') else exe)])
        if target == c.add_fire:
            s.exec_key()
        target(s)

    # TRD-2007: cloud agents by verified executable.
    c = C('TRD-2007')
    t = key_event('TRD-2007')[0]
    cloud_init = P(0, 'cloud-init', '/usr/bin/python3.11', V, argv=['/usr/bin/python3', '/usr/bin/cloud-init'])
    for ch, target in (([cloud_init], c.add_fire),
                       ([P(0, 'google_guest_ag', '/usr/bin/google_guest_agent', U,
                           argv=['/usr/bin/google_guest_agent'])], c.add_fire),
                       ([bash_named('dpkg')], c.add_fire),
                       ([P(0, 'google_guest_ag', '/usr/bin/google_guest_agent', V,
                           argv=['/usr/bin/google_guest_agent'])], c.add_miss)):
        s = Scenario(ch)
        s.do(t)
        target(s)

    # TRD-2008: the dpkg symlink recorded as a near miss is an evasion.
    c = C('TRD-2008')
    root = next(e['hostProcessId'] for e in c.miss if e['eventName'] == 'sched_process_exec'
                and 'dpkg' in ' '.join(arg(e, 'argv')))
    c.move_to_fire(root, lambda e: e['eventName'] == 'sched_process_exec' and e['processName'] == 'useradd')
    useradd = lambda v=V: P(0, 'useradd', '/usr/sbin/useradd', v, argv=['/usr/sbin/useradd', '--system', 'x'])
    adduser = lambda v=V: P(0, 'adduser', '/usr/bin/perl', v, argv=['/usr/bin/perl', '/usr/sbin/adduser',
                                                                   '--system', 'x'], cmdpath='/usr/sbin/adduser')
    for ch, target in (([dpkg(U), maint_script(), useradd()], c.add_fire),
                       ([bash_named('dpkg'), adduser()], c.add_fire),
                       ([dpkg(V), maint_script(), adduser(U)], c.add_fire),
                       ([dpkg(V), maint_script(), useradd()], c.add_miss),
                       ([dpkg(V), maint_script(), adduser()], c.add_miss),
                       ([dpkg(V), maint_script(), adduser(), useradd()], c.add_miss)):
        s = Scenario(ch).exec_key()
        target(s)

    # TRD-2009: namespace tools by verified executable.
    c = C('TRD-2009')
    t = key_event('TRD-2009')[0]
    clone = lambda: P(0, 'runc:[1:CHILD]', memfd, U, argv=['runc', 'init'], cmdpath='/proc/self/fd/5',
                      is_memfd=True)
    for ch, target in (([P(0, 'bwrap', '/tmp/bwrap', V, argv=['bwrap'])], c.add_fire),
                       ([P(0, 'bwrap', '/usr/bin/bwrap', U, argv=['bwrap'])], c.add_fire),
                       ([P(0, 'runc:[1:CHILD]', '/tmp/rt_trigger', V, argv=['runc'])], c.add_fire),
                       ([P(0, 'containerd-shim', '/usr/bin/containerd-shim-runc-v2', V, argv=['shim']), clone()],
                        c.add_fire),
                       ([P(0, 'chrome', '/opt/google/chrome/chrome', U, argv=['chrome'])], c.add_fire),
                       ([P(0, 'bwrap', '/usr/bin/bwrap', V, argv=['bwrap'])], c.add_miss),
                       ([P(0, 'chrome', '/opt/google/chrome/chrome', V, argv=['chrome'])], c.add_miss),
                       ([P(0, 'runc', '/usr/sbin/runc', V, argv=['runc', 'create']), clone()], c.add_miss),
                       ([P(0, 'runc', '/usr/sbin/runc', V, argv=['runc', 'create']), clone(),
                         P(0, '', '', no_exec=True)], c.add_miss)):
        s = Scenario(ch)
        s.do(t)
        target(s)

    for c in cases.values():
        c.write()
    print('rewrote %d cases: %s' % (len(cases), ' '.join(sorted(cases))))


if __name__ == '__main__':
    if len(sys.argv) > 1:
        print(__doc__)
        sys.exit(0 if sys.argv[1] in ('-h', '--help') else 2)
    done = [c for c in sorted(os.listdir(CASES))
            if 'evasion_key_events' in json.loads(head('tests/replay/cases/%s/expect.json' % c))]
    if done:
        sys.exit('already applied to %s (re-record the cases with tests/replay/record.py first)'
                 % ' '.join(done))
    main()
