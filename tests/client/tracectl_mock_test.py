#!/usr/bin/env python3
"""tracectl against a mock traceed on a private system bus.

A private dbus-daemon (permissive policy, unix socket in a temp dir) stands in
for the system bus; python-dbusmock serves org.traceed1 from traceed_mock.py
with canned rules, detections and status.  tracectl (env TRACECTL) runs with
DBUS_SYSTEM_BUS_ADDRESS pointing there.  Checked: the output of every verb,
--json parsed with json.loads, the filters that reach ListDetections, exit
codes 0/2/3/4/5, escaping of control characters from the bus, table
truncation on a terminal, monitor following the Detection signal, and
"not running" when nobody owns the name.

Exit 0 pass, 1 fail, 77 skip (dbus-daemon or python-dbusmock missing;
TRACEED_TEST_STRICT=1 turns that into a failure).
"""
import calendar
import datetime
import json
import os
import pty
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import testlib  # noqa: E402

def import_dbus():
    """python3-dbusmock is a Debian package, visible to the system python
    only: run under it when meson found another python3 first (pyenv)."""
    missing = testlib.reexec_with_modules(['dbus', 'dbusmock'])
    if missing:
        raise testlib.Skip('python3-dbusmock / python3-dbus not importable: no module ' + missing)


TEMPLATE = os.path.join(HERE, 'traceed_mock.py')
MOCK_IFACE = 'org.freedesktop.DBus.Mock'
DETECTION_KEYS = ['id', 'time', 'time_rfc3339', 'rule_id', 'rule_name', 'severity',
                  'mitre_technique', 'mitre_tactic', 'output', 'pid', 'ppid', 'uid', 'comm',
                  'exe', 'cmdline', 'container_id', 'suppressed', 'event']
EVIL_COMM = 'ev\x1b]0;pwned\x07il'
T0 = 1767323045  # 2026-01-02 03:04:05 UTC, the first canned detection


BUS_CONFIG = '''<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={path}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow receive_sender="*"/>
    <allow eavesdrop="true"/>
  </policy>
</busconfig>
'''


class Env:
    def __init__(self):
        self.tmp = tempfile.mkdtemp(prefix='tracectl-test-')
        self.bus = None
        self.mock = None
        self.mock_log = None
        self.bus_log = None
        self.tracectl = os.environ.get('TRACECTL')
        if not self.tracectl or not os.access(self.tracectl, os.X_OK):
            raise testlib.Failure('TRACECTL does not name an executable: %r' % self.tracectl)
        if not shutil.which('dbus-daemon'):
            raise testlib.Skip('dbus-daemon not installed')

    def start_bus(self):
        conf = os.path.join(self.tmp, 'bus.conf')
        with open(conf, 'w') as f:
            f.write(BUS_CONFIG.format(path=os.path.join(self.tmp, 'system_bus_socket')))
        # its stderr (warnings such as "Failed to set fd limit" in a
        # container) goes to a file, read on failure
        self.bus_log = open(os.path.join(self.tmp, 'bus.log'), 'w')
        self.bus = subprocess.Popen(['dbus-daemon', '--config-file=' + conf, '--nofork',
                                     '--print-address=1'], stdout=subprocess.PIPE,
                                    stderr=self.bus_log, stdin=subprocess.DEVNULL,
                                    preexec_fn=testlib.die_with_parent)
        ready, _, _ = select.select([self.bus.stdout], [], [], 10)
        if not ready:
            raise testlib.Failure('dbus-daemon printed no address')
        self.address = self.bus.stdout.readline().decode().strip()
        if not self.address:
            with open(os.path.join(self.tmp, 'bus.log')) as f:
                raise testlib.Failure('dbus-daemon exited with %s: %s' % (self.bus.wait(), f.read()))
        os.environ['DBUS_SYSTEM_BUS_ADDRESS'] = self.address

    def start_mock(self):
        import dbusmock
        self.mock_log = open(os.path.join(self.tmp, 'mock.log'), 'w')
        self.mock, self.obj = dbusmock.DBusTestCase.spawn_server_template(
            TEMPLATE, {}, stdout=self.mock_log, system_bus=True)
        self.conn = dbusmock.DBusTestCase.get_dbus(system_bus=True)

    def stop_mock(self):
        if self.mock and self.mock.poll() is None:
            self.mock.terminate()
            self.mock.wait(10)
        # wait until the bus has noticed the name is gone
        for _ in range(100):
            if not self.conn.name_has_owner('org.traceed1'):
                return
            time.sleep(0.05)
        raise testlib.Failure('org.traceed1 still owned after the mock exited')

    def cleanup(self):
        for p in (self.mock, self.bus):
            if p and p.poll() is None:
                p.kill()
                p.wait()
        for log in (self.mock_log, self.bus_log):
            if log:
                log.close()
        if self.bus and self.bus.stdout:
            self.bus.stdout.close()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def test_call(self, method, *args):
        return self.obj.get_dbus_method(method, 'org.traceed1.Test')(*args)

    def run(self, *args, env=None, timeout=20):
        e = dict(os.environ)
        e.update(env or {})
        p = subprocess.run([self.tracectl] + list(args), stdin=subprocess.DEVNULL,
                           capture_output=True, env=e, timeout=timeout)
        return p.returncode, p.stdout.decode('utf-8', 'replace'), p.stderr.decode('utf-8', 'replace')

    def expect(self, code, *args, env=None):
        rc, out, err = self.run(*args, env=env)
        testlib.check(rc == code, 'tracectl %s: exit %d, expected %d\nstdout: %s\nstderr: %s'
                      % (' '.join(args), rc, code, out, err))
        return out, err

    def expect_json(self, *args):
        out, err = self.expect(0, *args)
        try:
            return json.loads(out)
        except ValueError as e:
            raise testlib.Failure('tracectl %s: not JSON (%s): %r' % (' '.join(args), e, out))


def contains(text, *needles, what=''):
    for n in needles:
        testlib.check(n in text, '%s: %r not in output:\n%s' % (what, n, text))


# --- the cases --------------------------------------------------------------

def case_help_and_usage(env):
    out, _ = env.expect(0, '--version')
    testlib.check(out.startswith('tracectl '), '--version: %r' % out)
    out, _ = env.expect(0, '--help')
    contains(out, 'rules list', 'detections', 'monitor', 'outputs test', '--no-ask-password',
             what='--help')
    out, _ = env.expect(0, 'rules', '--help')
    contains(out, 'rules enable ID...', 'org.traceed1.manage-rules', what='rules --help')
    out, _ = env.expect(0, 'detections', '--help')
    contains(out, '--since TIME', '--severity LEVEL', '--limit N', what='detections --help')
    for args in ([], ['bogus'], ['rules'], ['rules', 'frob'], ['rules', 'show'],
                 ['rules', 'enable'], ['status', 'extra'], ['outputs'], ['--frobnicate', 'status'],
                 ['detections', '--severity', 'extreme'], ['detections', '--limit', '-1'],
                 ['detections', '--limit', '99999999999'], ['status', '--since', '-1h']):
        env.expect(2, *args)
    _, err = env.expect(2, 'detections', '--since', 'last tuesday-ish')
    contains(err, "'last tuesday-ish'", what='bad --since names the value')
    env.expect(2, 'detections', '--since', '2026-02-30')


def case_status(env):
    out, _ = env.expect(0, 'status')
    contains(out, 'Version: 0.1.0', 'Events seen: 123456', 'Events lost: 7',
             'Detections: 3 (4 repeats suppressed)', 'Rules: 3 loaded, 2 enabled',
             'security_file_open (BPF-LSM is not enabled)', 'History: 3 of 10000',
             'Last reload: never', 'Event socket: 2 clients', 'Webhooks: 5 queued, 1 dropped',
             'OUTPUT', 'DELIVERED', 'sidekick', 'http://sidekick.example:2801/', what='status')
    row = [l for l in out.splitlines() if l.startswith('sidekick')]
    testlib.check(row and row[0].split()[3:] == ['5', '120', '3', '0', '1'], 'outputs row: %r' % row)
    testlib.check('Last reload error' not in out, 'empty LastReloadError shown')
    out, _ = env.expect(0, 'status', '--no-legend')
    testlib.check('OUTPUT' not in out and 'sidekick' in out, '--no-legend status table:\n' + out)

    st = env.expect_json('status', '--json')
    testlib.check(st['Version'] == '0.1.0' and st['EventsSeen'] == 123456, 'status json: %r' % st)
    testlib.check(st['StartedAt'] == T0 * 1000000, 'StartedAt %r' % st.get('StartedAt'))
    testlib.check(st['StartedAt_rfc3339'] == '2026-01-02T03:04:05.000000Z',
                  'StartedAt_rfc3339 %r' % st.get('StartedAt_rfc3339'))
    testlib.check(st['LastReload'] == 0 and st['LastReload_rfc3339'] is None, 'LastReload')
    testlib.check(st['UnavailableEvents'] == ['security_file_open'], 'UnavailableEvents')
    testlib.check(st['UnavailableEventReasons'] == {'security_file_open': 'BPF-LSM is not enabled'},
                  'UnavailableEventReasons')
    testlib.check(st['SomeFutureKey'] == [-1, 0.5], 'unknown keys pass through: %r'
                  % st.get('SomeFutureKey'))
    outs = st['Outputs']
    testlib.check(len(outs) == 2 and outs[0] == {
        'name': 'sidekick', 'kind': 'falcosidekick', 'url': 'http://sidekick.example:2801/',
        'queued': 5, 'delivered': 120, 'retried': 3, 'rejected': 0, 'dropped': 1},
        'Outputs: %r' % outs)


def case_rules_list(env):
    out, _ = env.expect(0, 'rules', 'list')
    lines = out.splitlines()
    testlib.check(lines[0].split() == ['ID', 'SEVERITY', 'ENABLED', 'HITS', 'MITRE', 'NAME'],
                  'header: %r' % lines[0])
    testlib.check(lines[1].split()[:5] == ['TRC-102', 'high', 'yes', '3', 'T1622'], lines[1])
    testlib.check(lines[3].split()[:5] == ['TRC-LOCKED', 'low', 'no', '0', '-'], lines[3])
    testlib.check('a rule name long enough to need truncation on an 80 column terminal' in out,
                  'not a tty: nothing may be truncated')
    testlib.check(lines[-1] == '3 rules listed, 2 enabled.', 'footer: %r' % lines[-1])
    out, _ = env.expect(0, 'rules', 'list', '--no-legend')
    testlib.check(len(out.splitlines()) == 3 and out.startswith('TRC-102'), '--no-legend:\n' + out)
    rules = env.expect_json('--json', 'rules', 'list')
    testlib.check(len(rules) == 3, 'json rules: %r' % rules)
    testlib.check(rules[0] == {'id': 'TRC-102', 'name': 'Anti-Debugging detected',
                               'severity': 'high', 'mitre_technique': 'T1622',
                               'mitre_tactic': 'defense-evasion', 'enabled': True, 'hits': 3,
                               'source_file': '/usr/share/traceed/rules/anti_debugging.yaml'},
                  'json rule: %r' % rules[0])


def case_rules_show(env):
    out, _ = env.expect(0, 'rules', 'show', 'TRC-102')
    contains(out, 'TRC-102 - Anti-Debugging detected', 'Severity: high',
             'MITRE: T1622 (defense-evasion)', 'Enabled: yes', 'Hits: 3',
             'Source: /usr/share/traceed/rules/anti_debugging.yaml:12',
             'Tags: process, mitre_defense_evasion',
             'Condition: evt.name = ptrace and\n', 'evt.arg.request = PTRACE_TRACEME\n',
             'Output: ptrace TRACEME by %proc.name', what='rules show')
    r = env.expect_json('rules', 'show', 'TRC-102', '--json')
    testlib.check(r['rule_id'] == 'TRC-102' and r['tags'] == ['process', 'mitre_defense_evasion']
                  and r['source_line'] == 12 and r['enabled'] is True
                  and r['condition'].startswith('evt.name = ptrace and\n'), 'show json: %r' % r)
    _, err = env.expect(4, 'rules', 'show', 'TRC-999')
    contains(err, 'no such rule: TRC-999', what='show unknown')


def case_rules_enable_disable(env):
    env.expect(0, 'rules', 'disable', 'TRC-102')
    testlib.check(not env.test_call('RuleEnabled', 'TRC-102'), 'TRC-102 still enabled')
    env.expect(0, 'rules', 'enable', 'TRC-102')
    testlib.check(env.test_call('RuleEnabled', 'TRC-102'), 'TRC-102 not enabled again')
    # one call per id: the unknown one fails, the one after it still happens
    env.expect(0, 'rules', 'disable', 'TRC-103')
    _, err = env.expect(4, 'rules', 'enable', 'TRC-102', 'TRC-999', 'TRC-103')
    contains(err, 'TRC-999', what='enable with an unknown id')
    testlib.check(env.test_call('RuleEnabled', 'TRC-103'), 'TRC-103 after the failing id not enabled')
    # the first failure's code wins, every failure is reported
    _, err = env.expect(4, 'rules', 'disable', 'TRC-999', 'TRC-LOCKED')
    contains(err, 'no such rule: TRC-999', 'not authorized', what='two failures')
    _, err = env.expect(5, 'rules', 'enable', 'TRC-LOCKED')
    contains(err, 'not authorized to enable rules', 'root', 'org.traceed1.manage-rules',
             what='AccessDenied')
    _, err = env.expect(5, 'rules', 'disable', '--no-ask-password', 'TRC-LOCKED')
    contains(err, 'org.traceed1.manage-rules', what='InteractiveAuthorizationRequired')
    res = env.expect_json('--json', 'rules', 'enable', 'TRC-102') if True else None
    testlib.check(res == [{'id': 'TRC-102', 'ok': True, 'exit_code': 0}], 'enable json: %r' % res)


def case_reload(env):
    out, _ = env.expect(0, 'reload')
    testlib.check(out == '', 'reload prints nothing: %r' % out)
    testlib.check(env.expect_json('reload', '--json') == {'reloaded': True}, 'reload json')
    env.test_call('SetReloadFail', True)
    try:
        _, err = env.expect(1, 'reload')
        contains(err, '/etc/traceed/rules.d/x.yaml:3:7: unknown field', 'unchanged', what='reload')
    finally:
        env.test_call('SetReloadFail', False)


def case_detections(env):
    out, _ = env.expect(0, 'detections')
    lines = out.splitlines()
    testlib.check(lines[0].split() == ['ID', 'TIME', 'SEVERITY', 'RULE', 'PID', 'COMM', 'OUTPUT'],
                  'header %r' % lines[0])
    testlib.check(len(lines) == 6 and lines[-1] == '3 detections listed.', 'detections:\n' + out)
    for bad in ('\x1b', '\x07', '\u202e'):
        testlib.check(bad not in out, 'raw %r reached the terminal:\n%r' % (bad, out))
    contains(out, 'ev\\x1b]0;pwned\\x07il', 'ptrace TRACEME \\x1b[2J again (+4 repeats)',
             what='escaped comm/output')
    testlib.check(env.test_call('LastFilters') == {}, 'no options, no filters')

    ds = env.expect_json('detections', '--json')
    testlib.check(len(ds) == 3, 'json detections: %r' % ds)
    testlib.check(sorted(ds[1]) == sorted(DETECTION_KEYS), 'keys: %r' % sorted(ds[1]))
    d = ds[1]
    testlib.check(d['comm'] == EVIL_COMM and d['cmdline'] == 'evil\nsecond line'
                  and d['exe'] == '/tmp/\u202eexe.txt' and d['suppressed'] == 4
                  and d['container_id'] == 'abc123' and d['uid'] == 0 and d['pid'] == 200,
                  'json detection: %r' % d)
    testlib.check(d['time'] == (T0 + 3600) * 1000000
                  and d['time_rfc3339'] == '2026-01-02T04:04:05.000000Z', 'time: %r' % d)
    testlib.check(env.expect_json('detections', '--json', '--rule', 'TRC-NONE') == [],
                  'empty result is []')
    out, _ = env.expect(0, 'detections', '--rule', 'TRC-NONE')
    testlib.check(out == '0 detections listed.\n', 'empty table: %r' % out)


def case_detection_filters(env):
    import dbus
    out, _ = env.expect(0, 'detections', '--since', '@%d' % (T0 + 1), '--rule', 'TRC-102',
                        '--severity', 'high', '--limit', '2', '--no-legend')
    f = env.test_call('LastFilters')
    testlib.check(f == {'since': (T0 + 1) * 1000000, 'rule': 'TRC-102', 'min_severity': 'high',
                        'limit': 2}, 'filters: %r' % f)
    testlib.check(isinstance(f['since'], dbus.UInt64) and isinstance(f['limit'], dbus.UInt32),
                  'filter types: since %s, limit %s' % (type(f['since']), type(f['limit'])))
    testlib.check(len(out.splitlines()) == 1 and out.split()[0] == '2', 'filtered:\n' + out)

    def since(value, tz='UTC'):
        env.expect(0, 'detections', '--since', value, env={'TZ': tz})
        return int(env.test_call('LastFilters')['since'])

    now = time.time() * 1e6
    for rel in ('-1h', '1h ago', '60min ago', '-3600s', '-59min60s'):
        got = since(rel)
        testlib.check(abs(got - (now - 3600e6)) < 30e6, '--since %s: %d, now %d' % (rel, got, now))
    testlib.check(since('2026-01-02 03:04:05') == T0 * 1000000, 'local time (TZ=UTC)')
    testlib.check(since('2026-01-02 04:04:05', 'CET-1') == T0 * 1000000, 'local time (CET)')
    testlib.check(since('2026-01-02 03:04') == (T0 - 5) * 1000000, 'without seconds')
    testlib.check(since('2026-01-02T04:04:05.5+01:00') == T0 * 1000000 + 500000, 'RFC 3339')
    testlib.check(since('2026-01-02T03:04:05Z', 'CET-1') == T0 * 1000000, 'RFC 3339 Z')
    midnight = calendar.timegm(datetime.datetime.utcnow().date().timetuple()) * 1000000
    got = since('today')
    # the day may turn between our clock and tracectl's
    testlib.check(got in (midnight, midnight + 86400000000), 'today: %d vs %d' % (got, midnight))
    testlib.check(since('yesterday') in (midnight - 86400000000, midnight), 'yesterday')


def case_outputs_test(env):
    out, _ = env.expect(0, 'outputs', 'test')
    contains(out, 'queued to 2 outputs', what='outputs test')
    testlib.check(env.expect_json('outputs', 'test', '--json') == {'queued': 2}, 'outputs json')


DETECTION_SIG = 'ttssssssuuussssts'


def emit(env, n, comm):
    import dbus
    u64, u32, s = dbus.UInt64, dbus.UInt32, dbus.String
    args = [u64(n), u64((T0 + n) * 1000000), s('TRC-102'), s('Anti-Debugging detected'),
            s('high'), s('T1622'), s('defense-evasion'), s('live one'), u32(4242), u32(1),
            u32(0), s(comm), s('/bin/x'), s('x --y'), s(''), u64(0), s('{"eventName":"ptrace"}')]
    env.obj.EmitSignal('org.traceed1.Manager', 'Detection', DETECTION_SIG,
                       dbus.Array(args, signature='v'), dbus_interface=MOCK_IFACE)


def monitor_lines(env, args, sig, meanwhile=None):
    """Start monitor, emit until it prints a line (its match may not be in
    place at once), run meanwhile(p), stop it with @sig; its output, exit
    status and stderr."""
    p = subprocess.Popen([env.tracectl, 'monitor'] + args, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = b''
        deadline = time.time() + 15
        n = 100
        while time.time() < deadline:
            emit(env, n, EVIL_COMM)
            n += 1
            r, _, _ = select.select([p.stdout], [], [], 0.3)
            if r:
                line = p.stdout.readline()
                break
        testlib.check(line, 'monitor printed nothing in 15 s; stderr: %r'
                      % (p.stderr.read1() if p.poll() is not None else b''))
        if meanwhile:
            meanwhile(p)
        p.send_signal(sig)
        rest, err = p.communicate(timeout=10)
        return line.decode() + rest.decode(), p.returncode, err.decode()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def case_monitor(env):
    out, rc, err = monitor_lines(env, [], signal.SIGINT)
    testlib.check(rc == 0, 'monitor after SIGINT: exit %d, stderr %s' % (rc, err))
    first = out.splitlines()[0]
    testlib.check('\x1b' not in out and '\x07' not in out, 'raw control bytes: %r' % out)
    contains(first, 'high TRC-102 pid=4242 comm=ev\\x1b]0;pwned\\x07il: live one', what='monitor')
    out, rc, err = monitor_lines(env, ['--json'], signal.SIGTERM)
    testlib.check(rc == 0, 'monitor --json after SIGTERM: exit %d, stderr %s' % (rc, err))
    objs = [json.loads(l) for l in out.splitlines()]
    testlib.check(objs and objs[0]['comm'] == EVIL_COMM and objs[0]['pid'] == 4242
                  and sorted(objs[0]) == sorted(DETECTION_KEYS), 'monitor json: %r' % objs)


def case_tty_truncation(env):
    master, slave = pty.openpty()
    e = dict(os.environ, COLUMNS='60', LC_ALL='C.UTF-8')
    p = subprocess.Popen([env.tracectl, 'rules', 'list'], stdin=subprocess.DEVNULL, stdout=slave,
                         stderr=subprocess.PIPE, env=e)
    os.close(slave)
    data = b''
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # EIO: the other side is closed
            break
        if not chunk:
            break
        data += chunk
    os.close(master)
    p.wait(10)
    text = data.decode('utf-8').replace('\r\n', '\n')
    testlib.check(p.returncode == 0, 'rules list on a tty: exit %d' % p.returncode)
    lines = text.splitlines()
    too_long = [l for l in lines if len(l) > 60]
    testlib.check(not too_long, 'lines wider than COLUMNS=60: %r' % too_long)
    testlib.check(any(l.startswith('TRC-103') and l.endswith('\u2026') for l in lines),
                  'long name not truncated with an ellipsis:\n' + text)


def case_not_running(env):
    # a running monitor says so on stderr when traceed goes away, and
    # keeps waiting for it
    stopped = []

    def stop(p):
        env.stop_mock()
        r, _, _ = select.select([p.stderr], [], [], 5)
        stopped.append(p.stderr.readline().decode() if r else '')
    _, rc, _ = monitor_lines(env, [], signal.SIGINT, meanwhile=stop)
    testlib.check(rc == 0, 'monitor across a daemon stop: exit %d' % rc)
    contains(stopped[0], 'traceed stopped', what='monitor when traceed stops')
    for args in (['status'], ['rules', 'list'], ['rules', 'enable', 'TRC-102'], ['monitor'],
                 ['detections', '--json']):
        _, err = env.expect(3, *args)
        contains(err, 'traceed is not running (start it with: systemctl start traceed)',
                 what=' '.join(args))
    _, err = env.expect(3, 'status', env={
        'DBUS_SYSTEM_BUS_ADDRESS': 'unix:path=' + os.path.join(env.tmp, 'no-such-socket')})
    contains(err, 'cannot connect to the system bus', what='no bus socket')


CASES = [case_help_and_usage, case_status, case_rules_list, case_rules_show,
         case_rules_enable_disable, case_reload, case_detections, case_detection_filters,
         case_outputs_test, case_monitor, case_tty_truncation, case_not_running]


def main():
    testlib.exit_on_sigterm()
    env = None

    def body():
        nonlocal env
        import_dbus()
        env = Env()
        env.start_bus()
        env.start_mock()
        failed = []
        for case in CASES:
            try:
                case(env)
                print('ok   %s' % case.__name__)
            except testlib.Failure as e:
                print('FAIL %s: %s' % (case.__name__, e))
                failed.append(case.__name__)
        if failed:
            raise testlib.Failure('%d of %d cases failed: %s' % (len(failed), len(CASES),
                                                                 ', '.join(failed)))

    return testlib.guarded(body, cleanup=lambda: env and env.cleanup())


if __name__ == '__main__':
    sys.exit(main())
