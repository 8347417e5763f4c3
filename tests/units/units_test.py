#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Checks of the files traceed ships for systemd, D-Bus and polkit.

    units_test.py verify      systemd-analyze verify on traceed.service and
                              traceed.socket: no output line about our units
    units_test.py security    systemd-analyze security --offline=true: the
                              exposure of traceed.service is <= 3.0
    units_test.py xml         xmllint --noout on the XML files (the polkit
                              DTD when installed), the interface XML's
                              signatures and internal consistency, the bus
                              policy against the interface, the activation
                              file
    units_test.py dbus-policy dbus-daemon accepts a system-bus configuration
                              that includes org.traceed1.conf; as root (with
                              setpriv and python3-dbus) the policy is tried:
                              nobody cannot own the name nor call Set or an
                              unknown method, and may call every method of
                              the interface

Environment: UNITS_DIR, DBUS_DIR (source directories), TRACEED (the built
binary; ExecStart= of a temporary copy of the unit points at it so that
verify finds an executable).  A missing tool is a skip (77), a failure (1)
under TRACEED_TEST_STRICT=1.
"""
import configparser
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from testlib import SKIP, PrivateBus  # noqa: E402  (tests/testlib.py)
import testlib  # noqa: E402
STRICT = testlib.strict()
SRC = os.path.dirname(os.path.dirname(HERE))
UNITS_DIR = os.environ.get('UNITS_DIR', os.path.join(SRC, 'units'))
DBUS_DIR = os.environ.get('DBUS_DIR', os.path.join(SRC, 'dbus'))
MAX_EXPOSURE = 3.0
IFACE = 'org.traceed1.Manager'
NAME = 'org.traceed1'


def skip(why):
    print(f'SKIP: {why}')
    return 1 if STRICT else SKIP


def fail(why):
    print(f'FAIL: {why}')
    return 1


def need(tool):
    return shutil.which(tool)


def unit_copies(tmp):
    """Copy both units to tmp; ExecStart= runs the built traceed."""
    exe = os.environ.get('TRACEED', '')
    if not (exe and os.access(exe, os.X_OK)):
        # Only ExecStart's existence is checked by verify; any executable does.
        exe = shutil.which('true') or '/bin/true'
    with open(os.path.join(UNITS_DIR, 'traceed.service')) as f:
        text = f.read()
    new, n = re.subn(r'^ExecStart=/usr/sbin/traceed\b', f'ExecStart={exe}', text, flags=re.M)
    if n != 1:
        raise SystemExit(fail('traceed.service has no "ExecStart=/usr/sbin/traceed" line'))
    with open(os.path.join(tmp, 'traceed.service'), 'w') as f:
        f.write(new)
    shutil.copy(os.path.join(UNITS_DIR, 'traceed.socket'), tmp)
    return [os.path.join(tmp, u) for u in ('traceed.service', 'traceed.socket')]


def case_verify():
    if not need('systemd-analyze'):
        return skip('systemd-analyze not installed')
    with tempfile.TemporaryDirectory() as tmp:
        units = unit_copies(tmp)
        # --man=no: man:traceed(8) is installed with the package, not here.
        p = subprocess.run(['systemd-analyze', 'verify', '--man=no'] + units,
                           capture_output=True, text=True, cwd=tmp)
    out = (p.stdout + p.stderr).strip()
    if out:
        print(out)
    ours = [l for l in out.splitlines() if 'traceed' in l]
    if ours:
        return fail(f'{len(ours)} line(s) about our units from systemd-analyze verify')
    if p.returncode != 0:
        return fail(f'systemd-analyze verify exited {p.returncode}')
    print('ok: systemd-analyze verify: no messages about traceed.service, traceed.socket')
    return 0


def case_security():
    if not need('systemd-analyze'):
        return skip('systemd-analyze not installed')
    with tempfile.TemporaryDirectory() as tmp:
        service = unit_copies(tmp)[0]
        p = subprocess.run(['systemd-analyze', 'security', '--offline=true', '--no-pager', service],
                           capture_output=True, text=True, cwd=tmp)
    out = p.stdout + p.stderr
    for line in out.splitlines():
        if line.startswith('✗') or 'Overall' in line:
            print(line.rstrip())
    m = re.search(r'Overall exposure level for traceed\.service: ([0-9]+(?:\.[0-9]+)?)', out)
    if not m:
        print(out)
        return fail(f'no exposure level in the output (exit {p.returncode})')
    score = float(m.group(1))
    if score > MAX_EXPOSURE:
        return fail(f'exposure {score} > {MAX_EXPOSURE}')
    print(f'ok: exposure {score} <= {MAX_EXPOSURE}')
    return 0


# --- D-Bus signatures ---------------------------------------------------

BASIC = set('ybnqiuxtdsoghv')


def complete_type(sig, i):
    """Index after the single complete type starting at sig[i], or -1."""
    if i >= len(sig):
        return -1
    c = sig[i]
    if c in BASIC:
        return i + 1
    if c == 'a':
        if sig[i + 1:i + 2] == '{':
            j = i + 2
            if j >= len(sig) or sig[j] not in BASIC or sig[j] == 'v':
                return -1
            j = complete_type(sig, j + 1)
            if j < 0 or sig[j:j + 1] != '}':
                return -1
            return j + 1
        return complete_type(sig, i + 1)
    if c == '(':
        j = i + 1
        if sig[j:j + 1] == ')':
            return -1
        while j < len(sig) and sig[j] != ')':
            j = complete_type(sig, j)
            if j < 0:
                return -1
        return j + 1 if j < len(sig) else -1
    return -1


def single_type(sig):
    return bool(sig) and complete_type(sig, 0) == len(sig)


def case_xml():
    errors = []
    files = [os.path.join(DBUS_DIR, f) for f in
             ('org.traceed1.conf', 'org.traceed1.Manager.xml', 'org.traceed1.policy')]
    if need('xmllint'):
        p = subprocess.run(['xmllint', '--noout', '--nonet'] + files, capture_output=True, text=True)
        if p.returncode != 0:
            errors.append('xmllint: ' + p.stderr.strip())
        dtd = '/usr/share/polkit-1/policyconfig-1.dtd'
        if os.path.exists(dtd):
            p = subprocess.run(['xmllint', '--noout', '--nonet', '--dtdvalid', dtd, files[2]],
                               capture_output=True, text=True)
            if p.returncode != 0:
                errors.append('polkit DTD: ' + p.stderr.strip())
        else:
            print(f'note: {dtd} missing (polkitd), policy not validated against its DTD')
    elif STRICT:
        errors.append('xmllint not installed (libxml2-utils)')
    else:
        print('note: xmllint not installed (libxml2-utils); parsing with Python only')

    # Interface XML: parse, signatures, consistency between members.
    try:
        root = ET.parse(files[1]).getroot()
    except ET.ParseError as e:
        return fail(f'{files[1]}: {e}')
    ifaces = root.findall('interface')
    if [i.get('name') for i in ifaces] != [IFACE]:
        errors.append(f'interface XML must hold exactly {IFACE}')
        ifaces = [i for i in ifaces if i.get('name') == IFACE][:1]
    iface = ifaces[0] if ifaces else ET.Element('interface')
    methods = {m.get('name'): m for m in iface.findall('method')}
    signals = {s.get('name'): s for s in iface.findall('signal')}
    props = {p.get('name'): p for p in iface.findall('property')}

    def args(el, direction=None):
        return [a for a in el.findall('arg') if direction is None or a.get('direction') == direction]

    for el in list(methods.values()) + list(signals.values()):
        for a in args(el):
            if not single_type(a.get('type', '')):
                errors.append(f'{el.get("name")}: {a.get("name")}: bad signature {a.get("type")!r}')
            if not a.get('name'):
                errors.append(f'{el.get("name")}: an argument has no name')
    for name, p in props.items():
        if not single_type(p.get('type', '')) or p.get('access') != 'read':
            errors.append(f'property {name}: type {p.get("type")!r} access {p.get("access")!r}')

    want_methods = {
        'ListRules': ('', 'a(sssssbts)'),
        'GetRule': ('s', None),
        'EnableRule': ('s', ''),
        'DisableRule': ('s', ''),
        'Reload': ('', ''),
        'ListDetections': ('a{sv}', None),
        'GetStatus': ('', 'a{sv}'),
        'TestOutputs': ('', 'u'),
    }
    if set(methods) != set(want_methods):
        errors.append(f'methods {sorted(methods)} != {sorted(want_methods)}')
    for name, (ins, outs) in want_methods.items():
        m = methods.get(name)
        if m is None:
            continue
        got_in = ''.join(a.get('type') for a in args(m, 'in'))
        got_out = ''.join(a.get('type') for a in args(m, 'out'))
        if got_in != ins or (outs is not None and got_out != outs):
            errors.append(f'{name}: in {got_in!r} out {got_out!r}')
    want_props = {'Version': 's', 'StartedAt': 't', 'EventsSeen': 't', 'EventsLost': 't',
                  'DetectionsTotal': 't', 'RulesLoaded': 'u', 'RulesEnabled': 'u',
                  'UnavailableEvents': 'as', 'Outputs': 'a(sssttttt)'}
    got_props = {n: p.get('type') for n, p in props.items()}
    if got_props != want_props:
        errors.append(f'properties {got_props} != {want_props}')
    if set(signals) != {'Detection'}:
        errors.append(f'signals {sorted(signals)} != ["Detection"]')
    else:
        det = ''.join(a.get('type') for a in args(signals['Detection']))
        ld = methods.get('ListDetections')
        ld_out = ''.join(a.get('type') for a in args(ld, 'out')) if ld is not None else ''
        if ld_out != f'a({det})':
            errors.append(f'ListDetections returns {ld_out!r}, the Detection signal is ({det})')
    lr, gr = methods.get('ListRules'), methods.get('GetRule')
    if lr is not None and gr is not None:
        row = ''.join(a.get('type') for a in args(lr, 'out'))[2:-1]
        head = ''.join(a.get('type') for a in args(gr, 'out'))[:len(row)]
        if head != row:
            errors.append(f'GetRule does not start with the ListRules fields ({head!r} vs {row!r})')

    # Every member is documented: a comment right before it in the source.
    with open(files[1]) as f:
        src = f.read()
    for kind, names in (('method', methods), ('signal', signals), ('property', props)):
        for n in names:
            if not re.search(r'-->\s*<' + kind + r' name="' + n + '"', src):
                errors.append(f'{kind} {n} has no <!-- comment --> right before it')

    # Bus policy: the default context allows exactly the interface's methods
    # but ListDetections, which (with the Detection signal) is for root and
    # the journal readers' groups.
    try:
        conf = ET.parse(files[0]).getroot()
    except ET.ParseError as e:
        return fail(f'{files[0]}: {e}')
    owners = [(pol.attrib, a.get('own')) for pol in conf.findall('policy')
              for a in pol.findall('allow') if a.get('own')]
    if owners != [({'user': 'root'}, NAME)]:
        errors.append(f'only root may own {NAME}: {owners}')
    default = [p for p in conf.findall('policy') if p.get('context') == 'default']
    allowed = set()
    for p in default:
        for a in p.findall('allow'):
            if a.get('send_interface') == IFACE:
                allowed.add(a.get('send_member'))
            elif a.get('send_destination') == NAME and a.get('send_interface') is None:
                errors.append('default context allows every call to org.traceed1')
        denies = [d.attrib for d in p.findall('deny')]
        if denies != [{'receive_sender': NAME, 'receive_interface': IFACE,
                       'receive_member': 'Detection'}]:
            errors.append(f'default context deny rules {denies}: want only the Detection signal')
    for group in ('systemd-journal', 'adm'):
        gp = [p for p in conf.findall('policy') if p.get('group') == group]
        got = {(a.get('send_member'), a.get('receive_member')) for p in gp for a in p.findall('allow')}
        if got != {('ListDetections', None), (None, 'Detection')}:
            errors.append(f'group {group} policy allows {sorted(map(str, got))}')
    methods_open = set(methods) - {'ListDetections'}
    if allowed != methods_open:
        errors.append(f'bus policy allows {sorted(allowed)}, want {sorted(methods_open)}')

    # polkit actions.
    pol = ET.parse(files[2]).getroot()
    actions = {a.get('id'): a for a in pol.findall('action')}
    if set(actions) != {'org.traceed1.manage-rules', 'org.traceed1.reload', 'org.traceed1.test-outputs'}:
        errors.append(f'polkit actions {sorted(actions)}')
    for aid, a in actions.items():
        for d in ('allow_any', 'allow_inactive', 'allow_active'):
            v = a.findtext(f'defaults/{d}')
            if v != 'auth_admin_keep':
                errors.append(f'{aid}: {d} is {v!r}, want auth_admin_keep')

    # Activation file.
    cp = configparser.ConfigParser(interpolation=None)
    cp.optionxform = str
    cp.read(os.path.join(DBUS_DIR, 'org.traceed1.service'))
    svc = dict(cp['D-BUS Service']) if cp.has_section('D-BUS Service') else {}
    want_svc = {'Name': NAME, 'Exec': '/bin/false', 'User': 'root', 'SystemdService': 'traceed.service'}
    if svc != want_svc:
        errors.append(f'org.traceed1.service: {svc} != {want_svc}')

    for e in errors:
        print('error:', e)
    if errors:
        return fail(f'{len(errors)} problem(s) in dbus/')
    print(f'ok: XML well-formed; {len(methods)} methods, {len(props)} properties, '
          f'{len(signals)} signal consistent; bus policy, polkit actions, activation file')
    return 0


# --- bus policy on a private dbus-daemon ----------------------------------

OWNER = r'''
import dbus, sys, time
bus = dbus.bus.BusConnection(sys.argv[1])
r = bus.request_name('org.traceed1', dbus.bus.NAME_FLAG_DO_NOT_QUEUE)
print('owner', r, flush=True)
time.sleep(60)
'''


def dbus_send(addr, user, *args, group=None):
    cmd = ['dbus-send', f'--bus={addr}', '--print-reply', '--reply-timeout=400'] + list(args)
    if user:
        groups = [f'--groups={group}'] if group else ['--clear-groups']
        cmd = ['setpriv', f'--reuid={user}', '--regid=65534'] + groups + cmd
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=20)
    return p.returncode, p.stdout + p.stderr


def case_dbus_policy():
    if not need('dbus-daemon'):
        return skip('dbus-daemon not installed')
    conf = os.path.join(DBUS_DIR, 'org.traceed1.conf')
    with tempfile.TemporaryDirectory() as tmp:
        bus = PrivateBus(tmp, conf)
        try:
            addr = bus.address
            if not addr:
                return fail('dbus-daemon rejected the configuration: ' + bus.error)
            print(f'ok: dbus-daemon accepts org.traceed1.conf ({addr})')
            py = dbus_python()
            if os.geteuid() != 0 or not need('setpriv') or not need('dbus-send') or not py:
                # the syntax passed, but the behaviour is the point: a skip, not a pass
                return skip('policy behaviour not tried (needs root, setpriv, dbus-send, python3-dbus)')
            return policy_behaviour(addr, py)
        finally:
            bus.stop()


def dbus_python():
    """An interpreter with python3-dbus (Debian's /usr/bin/python3 when the
    one running us, e.g. a pyenv, lacks it); None if there is none."""
    for py in dict.fromkeys([sys.executable, '/usr/bin/python3']):
        if py and os.access(py, os.X_OK) and subprocess.run(
                [py, '-c', 'import dbus.bus'], cwd='/', capture_output=True).returncode == 0:
            return py
    return None


def policy_behaviour(addr, py):
    errors = []
    rc, out = dbus_send(addr, 'nobody', '--dest=org.freedesktop.DBus', '/org/freedesktop/DBus',
                        'org.freedesktop.DBus.RequestName', f'string:{NAME}', 'uint32:4')
    if 'AccessDenied' not in out:
        errors.append(f'nobody could request {NAME}: {out.strip()}')
    owner = subprocess.Popen([py, '-c', OWNER, addr], cwd='/', stdout=subprocess.PIPE, text=True)
    try:
        line = owner.stdout.readline().split()
        if line != ['owner', '1']:
            return fail(f'root could not own {NAME}: {line}')
        path = '/org/traceed1'

        def call(user, member, *a):
            return dbus_send(addr, user, f'--dest={NAME}', path, member, *a)[1]

        allowed = [
            ('org.freedesktop.DBus.Introspectable.Introspect',),
            ('org.freedesktop.DBus.Peer.Ping',),
            ('org.freedesktop.DBus.Properties.Get', f'string:{IFACE}', 'string:Version'),
            ('org.freedesktop.DBus.Properties.GetAll', f'string:{IFACE}'),
            (f'{IFACE}.ListRules',),
            (f'{IFACE}.GetRule', 'string:TRC-102'),
            (f'{IFACE}.GetStatus',),
            (f'{IFACE}.EnableRule', 'string:TRC-102'),
            (f'{IFACE}.DisableRule', 'string:TRC-102'),
            (f'{IFACE}.Reload',),
            (f'{IFACE}.TestOutputs',),
        ]
        denied = [
            ('org.freedesktop.DBus.Properties.Set', f'string:{IFACE}', 'string:Version',
             'variant:string:x'),
            (f'{IFACE}.Shutdown',),
            # detections: only root and the journal readers (systemd-journal, adm)
            (f'{IFACE}.ListDetections', 'dict:string:string:'),
            ('org.example.Other.ListRules',),
        ]
        # The owner never answers: an admitted call ends in NoReply, a refused
        # one in AccessDenied from the bus.
        for c in allowed:
            out = call('nobody', *c)
            if 'AccessDenied' in out or 'NoReply' not in out:
                errors.append(f'nobody {c[0]}: {out.strip()}')
        for c in denied:
            out = call('nobody', *c)
            if 'AccessDenied' not in out:
                errors.append(f'nobody {c[0]} was not refused: {out.strip()}')
        out = call(None, *denied[0])
        if 'AccessDenied' in out:
            errors.append(f'root refused {denied[0][0]}: {out.strip()}')
        # journal readers may list detections
        for group in ('systemd-journal', 'adm'):
            if subprocess.run(['getent', 'group', group], capture_output=True).returncode:
                continue
            out = dbus_send(addr, 'nobody', f'--dest={NAME}', path,
                            f'{IFACE}.ListDetections', 'dict:string:string:', group=group)[1]
            if 'AccessDenied' in out or 'NoReply' not in out:
                errors.append(f'nobody in group {group} ListDetections: {out.strip()}')
    finally:
        owner.terminate()
        owner.wait(timeout=5)
    for e in errors:
        print('error:', e)
    if errors:
        return fail(f'{len(errors)} bus policy problem(s)')
    print(f'ok: bus policy: only root owns {NAME}; nobody may call the {len(allowed)} '
          f'admitted members and is refused Set and unknown members')
    return 0


CASES = {'verify': case_verify, 'security': case_security, 'xml': case_xml,
         'dbus-policy': case_dbus_policy}

if __name__ == '__main__':
    if len(sys.argv) == 2 and sys.argv[1] == '--list':
        print('\n'.join(CASES))
        sys.exit(0)
    if len(sys.argv) != 2 or sys.argv[1] not in CASES:
        print(f'usage: {sys.argv[0]} {"|".join(CASES)}|--list', file=sys.stderr)
        sys.exit(2)
    sys.exit(CASES[sys.argv[1]]())
