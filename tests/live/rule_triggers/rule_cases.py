# SPDX-License-Identifier: LGPL-2.1-or-later
"""What makes each default rule fire, and what nearly does.

Shared by tests/live/rules_test.py (runs the "fire" command under traceed in
detection mode and checks the detection) and tests/replay/record.py (records
the events of "fire" and "miss" commands into the golden replay files).

Each command is a /bin/sh script with these substitutions:
  {RT}  the rt_trigger executable          {PY}  /usr/bin/python3
  {D}   a fresh private temp dir (0700, under /run, removed afterwards)
  {NS}  "unshare -m --propagation private": a private mount namespace;
        every command that touches a system file mounts a tmpfs (or binds a
        temp file) over the target there first, so the host never changes.
  {CG}  a fake container cgroup directory (docker-<64 hex>.scope)
  {TPID} the pid of the traceed under test (the tamper rules)
`key(ev)` picks the event the detection must be about.  `live` is None
when the case can run on a plain Debian host as root, else why not.

python3 standard library only.
"""

import os

NS = 'unshare -m --propagation private'
CONTAINER_ID = 'c0ffee' + '0' * 52 + 'feed42'  # 64 hex digits


def arg(ev, name):
    for a in ev.get('args', ()):
        if a['name'] == name:
            return a['value']
    return None


def sockaddr_text(v):
    """A sockaddr as the rule language sees it: "AF_UNIX /path", "AF_INET 1.2.3.4:80"."""
    if not isinstance(v, dict):
        return v
    fam = v.get('sa_family', '')
    if 'sun_path' in v:
        return '%s %s' % (fam, v['sun_path'])
    if 'sin_addr' in v:
        return '%s %s:%s' % (fam, v['sin_addr'], v.get('sin_port'))
    if 'sin6_addr' in v:
        return '%s [%s]:%s' % (fam, v['sin6_addr'], v.get('sin6_port'))
    return fam


def path_is(*paths):
    def pred(ev):
        return (arg(ev, 'pathname') in paths or arg(ev, 'newpath') in paths)
    return pred


def opened(path, write=None):
    def pred(ev):
        if ev['eventName'] not in ('open', 'openat', 'openat2') or arg(ev, 'pathname') != path:
            return False
        if ev['returnValue'] < 0:
            return False
        fl = arg(ev, 'flags') or ''
        if write is None:
            return True
        w = 'O_WRONLY' in fl or 'O_RDWR' in fl
        return w == write
    return pred


def exec_of(pred_path):
    def pred(ev):
        return ev['eventName'] == 'sched_process_exec' and pred_path(arg(ev, 'pathname') or '',
                                                                     arg(ev, 'cmdpath') or '')
    return pred


class Case:
    def __init__(self, rid, events, fire, key, miss=(), live=None, fields=None,
                 cgroup=False, timeout=10.0):
        self.id, self.events, self.fire, self.key = rid, events, fire, key
        self.miss = list(miss)
        self.live = live
        self.fields = fields or {}   # output_fields the detection must carry
        self.cgroup = cgroup
        self.timeout = timeout


OPEN = ['open', 'openat', 'openat2']
RENAME = ['rename', 'renameat', 'renameat2']
MODIFY = OPEN + RENAME
CHMOD = ['chmod', 'fchmod', 'fchmodat']
UNLINK = ['unlink', 'unlinkat']

# Write into /etc (tmpfs over it, private namespace) as the shell itself.
def in_etc(script):
    return NS + " sh -c 'mount -t tmpfs traceed-rt /etc && " + script + "'"


CASES = [
    Case('TRC-101', ['dup', 'dup2', 'dup3', 'connect'],
         '{RT} dupsock 1',
         lambda e: e['eventName'] in ('dup2', 'dup3') and arg(e, 'newfd') == 1,
         miss=['{RT} dupsock 5'],
         fields={'proc.name': 'rt_trigger'}),
    Case('TRC-102', ['ptrace'],
         '{RT} traceme',
         lambda e: e['eventName'] == 'ptrace' and arg(e, 'request') == 'PTRACE_TRACEME',
         # a symlink named gdb is an evasion now caught (tests/evasion)
         fields={'proc.name': 'rt_trigger', 'evt.arg.request': 'PTRACE_TRACEME'}),
    Case('TRC-103', ['ptrace'],
         '{RT} poke',
         lambda e: e['eventName'] == 'ptrace' and arg(e, 'request') == 'PTRACE_POKEDATA',
         miss=['{RT} traceme'],
         fields={'evt.arg.request': 'PTRACE_POKEDATA'}),
    Case('TRC-104', ['mprotect'],
         '{RT} mprotect-wx',
         lambda e: e['eventName'] == 'mprotect' and arg(e, 'prot') == 'PROT_READ|PROT_WRITE|PROT_EXEC',
         miss=['{RT} mprotect-rx'],
         fields={'evt.arg.prot': 'PROT_READ|PROT_WRITE|PROT_EXEC'}),
    Case('TRC-105', ['memfd_create'],
         '{RT} memfd-exec; cp /bin/true {D}/shm-true && ' + NS +
         " sh -c 'mount -t tmpfs traceed-rt /dev/shm && cp {D}/shm-true /dev/shm/rt-true && /dev/shm/rt-true'",
         lambda e: e['eventName'] == 'sched_process_exec' and
         (arg(e, 'is_memfd') is True or (arg(e, 'pathname') or '').startswith('/dev/shm/')),
         miss=['/bin/true; cp /bin/true {D}/rt-true && {D}/rt-true']),
    Case('TRC-107', OPEN + RENAME,
         'env LD_PRELOAD=/nonexistent/rt-preload.so /bin/true 2>/dev/null; ' +
         in_etc(': > /etc/ld.so.preload'),
         lambda e: (e['eventName'] == 'sched_process_exec' and
                    any(str(x).startswith('LD_PRELOAD=') for x in (arg(e, 'env') or []))) or
         opened('/etc/ld.so.preload', True)(e),
         miss=['env LD_LIBRARY_PATH=/nonexistent/rt-libdir /bin/true',
               'env LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libfakeroot/libfakeroot-sysv.so /bin/true 2>/dev/null',
               'cat /etc/ld.so.preload 2>/dev/null; true']),
    Case('TRC-108', OPEN,
         NS + " sh -c 'mount -t tmpfs traceed-rt /run && mkdir -p /run/secrets/kubernetes.io/serviceaccount && "
         "echo t > /run/secrets/kubernetes.io/serviceaccount/token && cat /run/secrets/kubernetes.io/serviceaccount/token'",
         opened('/run/secrets/kubernetes.io/serviceaccount/token', False),
         miss=[NS + " sh -c 'mount -t tmpfs traceed-rt /run && mkdir -p /run/secrets/kubernetes.io/serviceaccount && "
               "echo ns > /run/secrets/kubernetes.io/serviceaccount/namespace && "
               "cat /run/secrets/kubernetes.io/serviceaccount/namespace'"]),
    Case('TRC-109', OPEN,
         'cat /proc/sys/kernel/randomize_va_space',
         opened('/proc/sys/kernel/randomize_va_space', False),
         miss=['cat /proc/sys/kernel/ostype'],
         fields={'fd.name': '/proc/sys/kernel/randomize_va_space'}),
    Case('TRC-1010', MODIFY,
         'mkdir {D}/cg && ' + NS + " sh -c 'mount -t tmpfs traceed-rt {D}/cg && echo /x > {D}/cg/release_agent'",
         lambda e: (arg(e, 'pathname') or '').endswith('/release_agent'),
         miss=['mkdir {D}/cg && ' + NS + " sh -c 'mount -t tmpfs traceed-rt {D}/cg && echo x > {D}/cg/release_agent.txt'"]),
    Case('TRC-1011', OPEN,
         ': > {D}/core_pattern && ' + NS +
         " sh -c 'mount --bind {D}/core_pattern /proc/sys/kernel/core_pattern && echo core > /proc/sys/kernel/core_pattern'",
         opened('/proc/sys/kernel/core_pattern', True),
         miss=['cat /proc/sys/kernel/core_pattern']),
    Case('TRC-1012', MODIFY,
         NS + " sh -c 'mount -t tmpfs traceed-rt /usr/lib64 && echo > /lib64/ld-linux-x86-64.so.2'",
         lambda e: (arg(e, 'pathname') or '').endswith('/ld-linux-x86-64.so.2') and
         'O_WRONLY' in (arg(e, 'flags') or ''),
         miss=[NS + " sh -c 'mount -t tmpfs traceed-rt /usr/lib64 && echo > /lib64/libdl-rt.so.1'"]),
    Case('TRC-1014', ['mount'],
         'mkdir {D}/mnt && echo $$ > {CG}/cgroup.procs && exec ' + NS +
         " sh -c 'mount -t tmpfs /dev/traceed-rt-disk {D}/mnt'",
         lambda e: e['eventName'] == 'mount' and arg(e, 'source') == '/dev/traceed-rt-disk',
         miss=['mkdir {D}/mnt && ' + NS + " sh -c 'mount -t tmpfs /dev/traceed-rt-disk {D}/mnt'",
               'mkdir {D}/mnt2 && echo $$ > {CG}/cgroup.procs && exec ' + NS +
               " sh -c 'mount -t tmpfs traceed-rt {D}/mnt2'"],
         cgroup=True),
    Case('TRC-1015', ['sched_process_exec'] + CHMOD,
         'cp /bin/true {D}/.rt-hidden && chmod 755 {D}/.rt-hidden && {D}/.rt-hidden',
         lambda e: (arg(e, 'pathname') or '').endswith('/.rt-hidden') and
         e['eventName'] in ('sched_process_exec', 'chmod', 'fchmodat', 'fchmod'),
         miss=['cp /bin/true {D}/rt-visible && chmod 755 {D}/rt-visible && {D}/rt-visible && '
               'echo x > {D}/.rt-notes && chmod 644 {D}/.rt-notes']),
    Case('TRC-1016', [],
         'ln -s {RT} {D}/nginx && {D}/nginx spawn /bin/sh -c true',
         lambda e: e['eventName'] == 'sched_process_exec' and arg(e, 'argv') == ['/bin/sh', '-c', 'true'],
         miss=['ln -s {RT} {D}/rtserver && {D}/rtserver spawn /bin/sh -c true'],
         fields={'proc.pname': 'nginx'}),
    Case('TRC-1017', ['init_module', 'finit_module'],
         '{RT} finit-module',
         lambda e: e['eventName'] == 'finit_module'),
    Case('TRC-1018', OPEN,
         in_etc('mkdir -p /etc/kubernetes/pki && echo k > /etc/kubernetes/pki/ca.key && cat /etc/kubernetes/pki/ca.key'),
         opened('/etc/kubernetes/pki/ca.key', False),
         miss=[in_etc('mkdir -p /etc/kubernetes && echo k > /etc/kubernetes/admin.conf && cat /etc/kubernetes/admin.conf')]),
    Case('TRC-1019', ['connect'],
         '{PY} -c "import socket\ntry: socket.socket(socket.AF_UNIX).connect(\'/run/docker.sock\')\nexcept OSError: pass"',
         lambda e: e['eventName'] == 'connect' and sockaddr_text(arg(e, 'addr')) == 'AF_UNIX /run/docker.sock',
         miss=['{PY} -c "import socket\ntry: socket.socket(socket.AF_UNIX).connect(\'/run/rt-not-docker.sock\')\nexcept OSError: pass"']),
    Case('TRC-1021', OPEN,
         '{PY} -c "open(\'/proc/kcore\', \'rb\').close()"',
         opened('/proc/kcore', False),
         miss=['{PY} -c "open(\'/proc/cpuinfo\', \'rb\').close()"']),
    Case('TRC-1022', [],
         'mkdir -p /tmp/traceed-rt && cp /bin/true /tmp/traceed-rt/dropped && /tmp/traceed-rt/dropped; rm -rf /tmp/traceed-rt',
         exec_of(lambda p, c: p == '/tmp/traceed-rt/dropped'),
         miss=["mkdir -p /tmp/traceed-rt && printf '#!/bin/sh\\ntrue\\n' > /tmp/traceed-rt/s.sh && chmod 755 "
               "/tmp/traceed-rt/s.sh && /tmp/traceed-rt/s.sh; rm -rf /tmp/traceed-rt"]),
    Case('TRC-1023', OPEN,
         '{RT} procmem-read',
         lambda e: e['eventName'] in OPEN and (arg(e, 'pathname') or '').endswith('/mem')
         and 'O_RDONLY' in (arg(e, 'flags') or ''),
         miss=['{PY} -c "open(\'/proc/self/maps\', \'rb\').close()"', '{RT} procmem-write']),
    Case('TRC-1024', OPEN,
         '{RT} procmem-write',
         lambda e: e['eventName'] in OPEN and (arg(e, 'pathname') or '').endswith('/mem')
         and 'O_WRONLY' in (arg(e, 'flags') or ''),
         miss=['{RT} procmem-read']),
    Case('TRC-1025', ['process_vm_writev'],
         '{RT} vmwrite',
         lambda e: e['eventName'] == 'process_vm_writev'),
    Case('TRC-1026', MODIFY + ['sched_process_exec'],
         in_etc('mkdir /etc/init.d && echo x > /etc/init.d/rt-svc'),
         opened('/etc/init.d/rt-svc', True),
         miss=[in_etc('mkdir /etc/init && echo x > /etc/init/rt-svc.conf && cat /etc/init/rt-svc.conf')]),
    Case('TRC-1027', MODIFY,
         in_etc('mkdir /etc/cron.d && echo x > /etc/cron.d/rt-job'),
         opened('/etc/cron.d/rt-job', True),
         miss=[in_etc('echo x > /etc/crontab.bak')]),
    Case('TRC-1028', MODIFY,
         in_etc('mkdir /etc/sudoers.d && echo x > /etc/sudoers.d/rt && echo y > /etc/sudoers.tmp && '
                'mv /etc/sudoers.tmp /etc/sudoers'),
         lambda e: opened('/etc/sudoers.d/rt', True)(e) or arg(e, 'newpath') == '/etc/sudoers',
         miss=[in_etc('mkdir /etc/sudoers.d && echo x > /etc/sudoers.rt-notes && cat /etc/sudoers.rt-notes')]),
    Case('TRC-1029', OPEN,
         NS + " sh -c 'mountpoint -q /sys/kernel/debug || mount -t debugfs traceed-rt /sys/kernel/debug; "
         "cat /sys/kernel/debug/sched/debug > /dev/null'",
         opened('/sys/kernel/debug/sched/debug', False),
         miss=['cat /proc/schedstat > /dev/null']),
    Case('TRC-1031', OPEN,
         ': > {D}/sysrq && ' + NS +
         " sh -c 'mount --bind {D}/sysrq /proc/sys/kernel/sysrq && echo 0 > /proc/sys/kernel/sysrq'",
         opened('/proc/sys/kernel/sysrq', True),
         miss=['cat /proc/sys/kernel/sysrq']),
    Case('TRD-2001', OPEN,
         '{PY} -c "open(\'/etc/shadow\').close()"',
         opened('/etc/shadow', False),
         miss=['cat /etc/passwd > /dev/null']),
    Case('TRD-2002', ['ptrace'],
         '{RT} poke',
         lambda e: e['eventName'] == 'ptrace' and arg(e, 'request') == 'PTRACE_ATTACH',
         miss=['{RT} traceme']),
    Case('TRD-2003', CHMOD,
         'cp /bin/true {D}/rt-suid && chmod 4755 {D}/rt-suid && chmod g+s {D}/rt-suid',
         lambda e: e['eventName'] in CHMOD and (arg(e, 'pathname') or '').endswith('/rt-suid'),
         miss=['cp /bin/true {D}/rt-plain && chmod 755 {D}/rt-plain && chmod 1777 {D}']),
    Case('TRD-2004', ['bpf'],
         '{RT} bpf-load',
         lambda e: e['eventName'] == 'bpf' and arg(e, 'cmd') == 'BPF_PROG_LOAD',
         miss=['{PY} -c "import ctypes; a=(ctypes.c_uint32*32)(2,4,4,1); '
               'ctypes.CDLL(None).syscall(321, 0, a, ctypes.sizeof(a))"']),
    Case('TRD-2005', OPEN + UNLINK,
         NS + " sh -c 'mount -t tmpfs traceed-rt /var/log && mount -t tmpfs traceed-rt /root && "
         "echo x > /var/log/rt.log && echo y > /var/log/rt.log && rm /var/log/rt.log && "
         "echo ls > /root/.bash_history && cp /dev/null /root/.bash_history && rm /root/.bash_history'",
         lambda e: (e['eventName'] in UNLINK or 'O_TRUNC' in (arg(e, 'flags') or '')) and
         (arg(e, 'pathname') or '') in ('/var/log/rt.log', '/root/.bash_history') and
         e['processName'] != 'sh',
         miss=[NS + " sh -c 'mount -t tmpfs traceed-rt /var/log && "
               "echo x >> /var/log/rt.log && cat /var/log/rt.log'"]),
    Case('TRD-2006', [],
         NS + " sh -c 'mount -t tmpfs traceed-rt /dev/shm && printf \"#!/bin/sh\\ntrue\\n\" > /dev/shm/rt.sh && "
         "chmod 755 /dev/shm/rt.sh && /dev/shm/rt.sh && sh /dev/shm/rt.sh'",
         exec_of(lambda p, c: c == '/dev/shm/rt.sh'),
         miss=[NS + " sh -c 'mount -t tmpfs traceed-rt /dev/shm && printf \"#!/bin/sh\\ntrue\\n\" > /dev/shm/rt.sh && "
               "cat /dev/shm/rt.sh > /dev/null && sh -c \"cat /dev/shm/rt.sh\" > /dev/null'"]),
    Case('TRD-2007', MODIFY,
         NS + " sh -c 'mount -t tmpfs traceed-rt /root && mkdir /root/.ssh && "
         "echo ssh-ed25519 AAAA rt > /root/.ssh/authorized_keys'",
         opened('/root/.ssh/authorized_keys', True),
         miss=[NS + " sh -c 'mount -t tmpfs traceed-rt /root && mkdir /root/.ssh && "
               "echo h > /root/.ssh/known_hosts && cat /root/.ssh/known_hosts'"]),
    Case('TRD-2008', [],
         '/usr/sbin/useradd --help > /dev/null',
         exec_of(lambda p, c: c == '/usr/sbin/useradd'),
         miss=['/usr/bin/id > /dev/null']),
    Case('TRD-2009', ['unshare', 'setns'],
         'unshare -m --propagation unchanged true',
         lambda e: e['eventName'] == 'unshare' and 'CLONE_NEWNS' in (arg(e, 'flags') or ''),
         miss=['{PY} -c "import ctypes; ctypes.CDLL(None).unshare(0x200)"']),
    # a copy of true 50 directories deep: the walk stops at 48 steps
    Case('TRD-2011', [],
         'p={D}; for i in $(seq 1 50); do p=$p/d; done; mkdir -p $p && cp /bin/true $p/t && $p/t',
         lambda e: e['eventName'] == 'sched_process_exec'
         and str(arg(e, 'pathname')).startswith('<truncated>'),
         miss=['mkdir -p {D}/d/d && cp /bin/true {D}/d/d/t && {D}/d/d/t']),
    # SIGCONT changes nothing for a running traceed; signal 0 only probes
    Case('TRD-2100', ['kill', 'tkill', 'tgkill', 'ptrace'],
         '{PY} -c "import os, signal; os.kill({TPID}, signal.SIGCONT)"',
         lambda e: e['eventName'] == 'kill' and e.get('targetsTraceed') is True,
         miss=['{PY} -c "import os; os.kill({TPID}, 0)"',
               '{PY} -c "import os, signal; os.kill(os.getpid(), signal.SIGCONT)"']),
    # a second thread flips the unlinked name between "secret" and "benign"
    Case('TRD-2010', UNLINK,
         'cd {D} && {RT} toctou-unlink 300',
         lambda e: e['eventName'] in UNLINK and arg(e, 'path_changed') is True,
         miss=['cd {D} && {RT} toctou-unlink 300 noflip'],
         fields={'proc.name': 'rt_trigger'}),
]

BY_ID = {c.id: c for c in CASES}


def cgroup2_root():
    with open('/proc/mounts') as f:
        for line in f:
            p = line.split()
            if p[2] == 'cgroup2':
                return p[1]
    return None


def make_container_cgroup():
    """A cgroup v2 directory named like a docker container's, so that
    traceed takes its members for a container; None if impossible."""
    root = cgroup2_root()
    if not root:
        return None
    cg = '%s/docker-%s.scope' % (root, CONTAINER_ID)
    try:
        os.mkdir(cg)
    except FileExistsError:
        pass
    except OSError:
        return None
    if not os.path.exists(cg + '/cgroup.procs'):
        try:
            os.rmdir(cg)
        except OSError:
            pass
        return None
    return cg
