"""python-dbusmock template: a canned org.traceed1 for tracectl_mock_test.py.

Loaded into `python3 -m dbusmock` by path (DBusTestCase.spawn_server_template).
Methods are Python functions (AddMethod accepts them in-process); state
(enabled flags, the last ListDetections filters, whether Reload fails) lives
on the mock object.  org.traceed1.Test is the test's remote control.
"""
import dbus

BUS_NAME = 'org.traceed1'
MAIN_OBJ = '/org/traceed1'
MAIN_IFACE = 'org.traceed1.Manager'
SYSTEM_BUS = True

TEST_IFACE = 'org.traceed1.Test'
SEVERITIES = ['info', 'low', 'medium', 'high', 'critical']

# id, name, severity, technique, tactic, enabled, hits, source_file
RULES = [
    ['TRC-102', 'Anti-Debugging detected', 'high', 'T1622', 'defense-evasion', True, 3,
     '/usr/share/traceed/rules/anti_debugging.yaml'],
    ['TRC-103', 'Code injection through ptrace POKETEXT into another process, '
     'a rule name long enough to need truncation on an 80 column terminal',
     'critical', 'T1055', 'privilege-escalation', True, 0,
     '/usr/share/traceed/rules/injection.yaml'],
    ['TRC-LOCKED', 'A rule polkit refuses to touch', 'low', '', '', False, 0,
     '/etc/traceed/rules.d/locked.yaml'],
]

# The nasty strings: a terminal title escape and BEL in comm, a clear-screen
# in the output, a newline in the cmdline, a bidi override in exe.
EVIL_COMM = 'ev\x1b]0;pwned\x07il'
DETECTIONS = [
    [1, 1767323045000000, 'TRC-102', 'Anti-Debugging detected', 'high', 'T1622',
     'defense-evasion', 'ptrace TRACEME by gdb', 100, 1, 1000, 'gdb', '/usr/bin/gdb',
     'gdb -p 1', '', 0, '{"eventName":"ptrace"}'],
    [2, 1767326645000000, 'TRC-102', 'Anti-Debugging detected', 'high', 'T1622',
     'defense-evasion', 'ptrace TRACEME \x1b[2J again', 200, 1, 0, EVIL_COMM,
     '/tmp/\u202eexe.txt', 'evil\nsecond line', 'abc123', 4, '{"eventName":"ptrace"}'],
    [3, 1767330245000000, 'TRC-103', 'Code injection', 'critical', 'T1055',
     'privilege-escalation', 'POKETEXT into pid 1', 300, 2, 0, 'inject', '/usr/bin/inject',
     'inject 1', '', 0, '{}'],
]


def _detection(d):
    return dbus.Struct([dbus.UInt64(d[0]), dbus.UInt64(d[1])] + [dbus.String(s) for s in d[2:8]] +
                       [dbus.UInt32(d[8]), dbus.UInt32(d[9]), dbus.UInt32(d[10])] +
                       [dbus.String(s) for s in d[11:15]] +
                       [dbus.UInt64(d[15]), dbus.String(d[16])],
                       signature='ttssssssuuussssts')


def _find(rid):
    for r in RULES:
        if r[0] == rid:
            return r
    raise dbus.exceptions.DBusException('no such rule ' + rid, name='org.traceed1.Error.NoSuchRule')


def list_rules(self):
    return dbus.Array([dbus.Struct(r[:5] + [dbus.Boolean(r[5]), dbus.UInt64(r[6]), r[7]],
                                   signature='sssssbts') for r in RULES], signature='(sssssbts)')


def get_rule(self, rid):
    r = _find(rid)
    return (r[0], r[1], r[2], r[3], r[4], dbus.Boolean(r[5]), dbus.UInt64(r[6]), r[7],
            'Detects a process that asks to be traced.',
            dbus.Array(['process', 'mitre_defense_evasion'], signature='s'), dbus.UInt32(12),
            'evt.name = ptrace and\nevt.arg.request = PTRACE_TRACEME\n',
            'ptrace TRACEME by %proc.name')


def _set(self, rid, value):
    r = _find(rid)
    if rid == 'TRC-LOCKED':
        if value:
            raise dbus.exceptions.DBusException('polkit said no',
                                                name='org.freedesktop.DBus.Error.AccessDenied')
        raise dbus.exceptions.DBusException(
            'Interactive authentication required.',
            name='org.freedesktop.DBus.Error.InteractiveAuthorizationRequired')
    r[5] = value


def enable_rule(self, rid):
    _set(self, rid, True)


def disable_rule(self, rid):
    _set(self, rid, False)


def reload(self):
    if self.reload_fail:
        raise dbus.exceptions.DBusException('/etc/traceed/rules.d/x.yaml:3:7: unknown field',
                                            name='org.traceed1.Error.ReloadFailed')


def list_detections(self, filters):
    self.last_filters = dbus.Dictionary(filters, signature='sv')
    for k in filters:
        if k not in ('since', 'after_id', 'rule', 'min_severity', 'limit'):
            raise dbus.exceptions.DBusException('unknown filter ' + k,
                                                name='org.freedesktop.DBus.Error.InvalidArgs')
    out = [d for d in DETECTIONS
           if d[1] >= filters.get('since', 0)
           and ('rule' not in filters or d[2] == filters['rule'])
           and SEVERITIES.index(d[4]) >= SEVERITIES.index(filters.get('min_severity', 'info'))]
    limit = int(filters.get('limit', 0))
    if limit:
        out = out[-limit:]
    return dbus.Array([_detection(d) for d in out], signature='(ttssssssuuussssts)')


def get_status(self):
    return dbus.Dictionary({
        'Version': dbus.String('0.1.0'),
        'StartedAt': dbus.UInt64(1767323045000000),
        'EventsSeen': dbus.UInt64(123456),
        'EventsLost': dbus.UInt64(7),
        'DetectionsTotal': dbus.UInt64(3),
        'DetectionsSuppressed': dbus.UInt64(4),
        'RulesLoaded': dbus.UInt32(3),
        'RulesEnabled': dbus.UInt32(sum(1 for r in RULES if r[5])),
        'UnavailableEvents': dbus.Array(['security_file_open'], signature='s'),
        'UnavailableEventReasons': dbus.Dictionary({'security_file_open': 'BPF-LSM is not enabled'},
                                                   signature='ss'),
        'HistorySize': dbus.UInt32(3),
        'HistoryMax': dbus.UInt32(10000),
        'LastReload': dbus.UInt64(0),
        'LastReloadError': dbus.String(''),
        'EventSocketClients': dbus.UInt32(2),
        'WebhookQueued': dbus.UInt64(5),
        'WebhookDropped': dbus.UInt64(1),
        'Outputs': self.outputs,
        'SomeFutureKey': dbus.Struct([dbus.Int32(-1), dbus.Double(0.5)], signature='id'),
    }, signature='sv')


def test_outputs(self):
    return dbus.UInt32(len(self.outputs))


def load(mock, parameters):
    mock.reload_fail = False
    mock.last_filters = dbus.Dictionary({}, signature='sv')
    mock.outputs = dbus.Array([
        dbus.Struct(['sidekick', 'falcosidekick', 'http://sidekick.example:2801/',
                     dbus.UInt64(5), dbus.UInt64(120), dbus.UInt64(3), dbus.UInt64(0), dbus.UInt64(1)],
                    signature='sssttttt'),
        dbus.Struct(['webhook-2', 'webhook',
                     'https://hooks.example.org/a/very/long/path/that/goes/on/and/on/for/a/while',
                     dbus.UInt64(0), dbus.UInt64(9), dbus.UInt64(0), dbus.UInt64(2), dbus.UInt64(0)],
                    signature='sssttttt'),
    ], signature='(sssttttt)')
    mock.AddMethod(MAIN_IFACE, 'ListRules', '', 'a(sssssbts)', list_rules)
    mock.AddMethod(MAIN_IFACE, 'GetRule', 's', 'sssssbtssasuss', get_rule)
    mock.AddMethod(MAIN_IFACE, 'EnableRule', 's', '', enable_rule)
    mock.AddMethod(MAIN_IFACE, 'DisableRule', 's', '', disable_rule)
    mock.AddMethod(MAIN_IFACE, 'Reload', '', '', reload)
    mock.AddMethod(MAIN_IFACE, 'ListDetections', 'a{sv}', 'a(ttssssssuuussssts)', list_detections)
    mock.AddMethod(MAIN_IFACE, 'GetStatus', '', 'a{sv}', get_status)
    mock.AddMethod(MAIN_IFACE, 'TestOutputs', '', 'u', test_outputs)
    mock.AddProperties(MAIN_IFACE, {
        'Version': dbus.String('0.1.0'),
        'Outputs': mock.outputs,
    })
    mock.AddMethod(TEST_IFACE, 'SetReloadFail', 'b', '',
                   lambda self, b: setattr(self, 'reload_fail', bool(b)))
    mock.AddMethod(TEST_IFACE, 'LastFilters', '', 'a{sv}', lambda self: self.last_filters)
    mock.AddMethod(TEST_IFACE, 'RuleEnabled', 's', 'b', lambda self, rid: dbus.Boolean(_find(rid)[5]))
