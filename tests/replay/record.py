#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Record the golden replay files of tests/replay/cases (run as root).

    tests/replay/record.py build/daemon/traceed build/tests/live/rule_triggers/rt_trigger [RULE-ID...]

For each case of tests/live/rule_triggers/rule_cases.py, runs
`traceed --foreground --output json --events <the rule's events>,
sched_process_exec,sched_process_fork,sched_process_exit` while running the
case's "fire" command and then its "miss" commands, and keeps the events of
each command's process tree (found from the fork events):

  cases/<ID>/fire.jsonl   events that must raise <ID>
  cases/<ID>/miss.jsonl   near misses that must not
  cases/<ID>/expect.json  rule metadata, and the events the detection must be about

A few near misses are recorded events edited by hand (EDITS below: another
executable path or comm, as if a debugger or udev had done it); they keep
the JSON shape traceed prints.  Needs PyYAML (only this recorder).
"""

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'live', 'rule_triggers'))
import rule_cases  # noqa: E402
from rule_cases import CASES, CONTAINER_ID, NS, arg  # noqa: E402

PY = '/usr/bin/python3' if os.path.exists('/usr/bin/python3') else sys.executable
SCHED = ['sched_process_exec', 'sched_process_fork', 'sched_process_exit']


def set_exe(evs, exe, comm):
    """As if every process of the sequence had been `exe` (comm `comm`)."""
    out = []
    for e in evs:
        e = json.loads(json.dumps(e))
        if e['eventName'] != 'sched_process_fork' or True:
            e['executable']['path'] = exe
            e['processName'] = comm
        if e['eventName'] == 'sched_process_exec':
            for a in e['args']:
                if a['name'] in ('pathname', 'cmdpath'):
                    a['value'] = exe
                if a['name'] == 'argv' and a['value']:
                    a['value'][0] = exe
        out.append(e)
    return out


def only_trigger(evs):
    """Events of rt_trigger processes only (drops the sh that ran it)."""
    return [e for e in evs if e['processName'] == 'rt_trigger' or
            (e['eventName'] == 'sched_process_exec' and e['processName'] == 'rt_trigger')]


EDITS = {
    'TRC-103': lambda evs: set_exe(only_trigger(evs), '/usr/bin/gdb', 'gdb'),
    'TRC-1017': lambda evs: set_exe(only_trigger(evs), '/usr/lib/systemd/systemd-udevd', 'systemd-udevd'),
    'TRC-1025': lambda evs: set_exe(only_trigger(evs), '/usr/bin/gdb', 'gdb'),
    'TRC-1023': lambda evs: set_exe(only_trigger(evs), '/usr/bin/gdb', 'gdb'),
    'TRD-2002': lambda evs: set_exe(only_trigger(evs), '/usr/bin/strace', 'strace'),
    'TRD-2001': lambda evs: [dict(e, processName='sshd') for e in evs],
}


def retarget(evs, old, new):
    """The same events with path `old` replaced by `new` in every argument."""
    return [json.loads(json.dumps(e).replace(json.dumps(old)[1:-1], json.dumps(new)[1:-1])) for e in evs]


def add_finit_module(evs, rv=-9):
    """rt_trigger's finit_module(-1, "", 0), as traceed prints it where the
    kernel has the tracepoints (this kernel has no CONFIG_MODULES)."""
    out = []
    for e in evs:
        out.append(e)
        if e['eventName'] == 'sched_process_exec' and e['processName'] in ('rt_trigger', 'systemd-udevd'):
            m = json.loads(json.dumps(e))
            m.update(timestamp=e['timestamp'] + 900000, eventId='61', eventName='finit_module',
                     syscall='finit_module', returnValue=rv, argsNum=4,
                     args=[{'name': 'fd', 'type': 'int', 'value': -1},
                           {'name': 'pathname', 'type': 'const char*', 'value': ''},
                           {'name': 'param_values', 'type': 'const char*', 'value': ''},
                           {'name': 'flags', 'type': 'int', 'value': 0}])
            out.append(m)
    return out


# Kernels without the hook or the file (no CONFIG_MODULES, CONFIG_PROC_KCORE,
# CONFIG_MAGIC_SYSRQ here): recorded look-alikes, edited.
CRAFTS = {
    'TRC-1017': lambda fire, miss: (add_finit_module(fire),
                                    add_finit_module(set_exe(only_trigger(fire), '/usr/lib/systemd/systemd-udevd',
                                                             'systemd-udevd'))),
    'TRC-1021': lambda fire, miss: (retarget(miss, '/proc/cpuinfo', '/proc/kcore'), miss),
    'TRC-1031': lambda fire, miss: (retarget(fire, 'core_pattern', 'sysrq'), retarget(miss, 'core_pattern', 'sysrq')),
}
# traceed's container id comes late for a process moved into a container
# cgroup by hand (and not at all on some hybrid cgroup hosts): the fire
# sequence is marked as the container's, as it would be under docker.
CRAFTS['TRC-1014'] = lambda fire, miss: ([dict(e, containerId=CONTAINER_ID) for e in fire], miss)
CRAFT_BASE = {'TRC-1031': 'TRC-1011'}


def rules_meta():
    import yaml
    meta = {}
    for f in sorted(os.listdir(os.path.join(ROOT, 'rules'))):
        if f.endswith('.yaml'):
            for item in yaml.safe_load(open(os.path.join(ROOT, 'rules', f))) or []:
                if 'rule' in item:
                    meta[item['id']] = {'rule_name': item['rule'], 'severity': item['severity'],
                                        'mitre': item.get('mitre')}
    return meta


NOISE = re.compile(r'^(/usr/lib/locale/|/usr/lib/x86_64-linux-gnu/gconv/|/etc/ld\.so\.cache$|'
                   r'(/usr)?/lib(64)?/x86_64-linux-gnu/lib[^/]*\.so[.0-9]*$|/usr/share/locale/)')


def noise(e):
    """The dynamic loader and locale opens of every exec: kept out of the
    golden files to keep them small (they match no rule)."""
    return e['eventName'] in ('open', 'openat', 'openat2') and bool(NOISE.match(str(arg(e, 'pathname'))))


def tree(evs, root):
    pids = {root}
    out = []
    for e in evs:
        if e['eventName'] == 'sched_process_fork' and e['hostProcessId'] in pids:
            pids.add(arg(e, 'child_pid'))
        if e['hostProcessId'] in pids and not noise(e):
            out.append(e)
    return out


def run(cmd, subst):
    text = cmd.format(**subst)
    p = subprocess.Popen(['/bin/sh', '-c', text], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd='/')
    out, err = p.communicate(timeout=60)
    if p.returncode != 0:
        print('  note: %r exited %d: %s' % (text[:80], p.returncode, err.decode()[:200]))
    return p.pid


def record(traceed, rt, case, meta):
    if case.id in CRAFT_BASE:
        base = rule_cases.BY_ID[CRAFT_BASE[case.id]]
        case = rule_cases.Case(case.id, base.events, base.fire, case.key, base.miss)
    events = sorted(set(case.events + SCHED))
    t = subprocess.Popen([traceed, '--foreground', '--output', 'json', '--events', ','.join(events)],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    err = b''
    while b'traceed: ready' not in err:
        line = t.stderr.readline()
        if not line:
            sys.exit('traceed did not start: %s' % err.decode())
        err += line
    cg = None
    if case.cgroup:
        cg = rule_cases.make_container_cgroup()
    roots = []
    dirs = []
    try:
        for cmd in [case.fire] + case.miss:
            d = tempfile.mkdtemp(prefix='traceed-rt-', dir='/run')
            dirs.append(d)
            roots.append(run(cmd, {'RT': rt, 'PY': PY, 'D': d, 'NS': NS, 'CG': cg or '/nonexistent',
                                  'TPID': str(t.pid)}))
        time.sleep(1.5)
    finally:
        t.send_signal(signal.SIGINT)
        out, _ = t.communicate(timeout=30)
        for d in dirs:
            shutil.rmtree(d, ignore_errors=True)
        if cg:
            for _ in range(50):
                try:
                    os.rmdir(cg) if os.path.isdir(cg) else None
                    break
                except OSError:
                    time.sleep(0.1)
    evs = []
    for l in out.decode('utf-8', 'replace').splitlines():
        try:
            evs.append(json.loads(l))
        except ValueError:
            print('  WARNING: traceed printed a line that is not JSON: %r' % l)
    fire = tree(evs, roots[0])
    miss = []
    for r in roots[1:]:
        miss += tree(evs, r)
    if case.id in EDITS:
        miss += EDITS[case.id](fire)
    if case.id in CRAFTS:
        fire, miss = CRAFTS[case.id](fire, miss)
    keys = [e for e in fire if case.key(e)]
    if not keys:
        print('  WARNING: %s: no key event recorded' % case.id)
    d = os.path.join(HERE, 'cases', case.id)
    os.makedirs(d, exist_ok=True)
    for name, seq in (('fire.jsonl', fire), ('miss.jsonl', miss)):
        with open(os.path.join(d, name), 'w') as f:
            for e in seq:
                f.write(json.dumps(e, separators=(',', ':')) + '\n')
    exp = dict(rule_id=case.id, **meta[case.id])
    exp['key_events'] = [{'eventName': e['eventName'], 'timestamp': e['timestamp'],
                          'hostProcessId': e['hostProcessId']} for e in keys]
    exp['output_fields'] = case.fields
    with open(os.path.join(d, 'expect.json'), 'w') as f:
        json.dump(exp, f, indent=1, sort_keys=True)
        f.write('\n')
    print('%s: %d fire events (%d key), %d miss events' % (case.id, len(fire), len(keys), len(miss)))


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    traceed, rt = os.path.abspath(argv[1]), os.path.abspath(argv[2])
    meta = rules_meta()
    want = set(argv[3:])
    for c in CASES:
        if not want or c.id in want:
            record(traceed, rt, c, meta)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
