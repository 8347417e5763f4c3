#!/usr/bin/env python3
"""Webhook outputs end to end, without BPF: webhook_driver (daemon/outputs/webhook/
linked into a small program that submits synthetic detections) against
receiver.py on 127.0.0.1.

    webhook_test.py CASE      (--list prints the cases)

Environment: WEBHOOK_DRIVER (the built driver), RULES (tests/webhook/rules.yaml).
Exit 0 pass, 1 fail, 77 skip (testlib).
"""
import json
import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)
import testlib  # noqa: E402
from testlib import Failure, Skip, check  # noqa: E402
from receiver import Receiver, falcosidekick_problem, parse_time  # noqa: E402

DRIVER = os.environ.get('WEBHOOK_DRIVER')
RULES = os.environ.get('RULES', os.path.join(HERE, 'rules.yaml'))


class Driver:
    """webhook_driver with its stdin/stdout command protocol."""

    def __init__(self, tmp, config, env=None, name='driver'):
        self.cfg = os.path.join(tmp, name + '.yaml')
        with open(self.cfg, 'w') as f:
            f.write(config)
        e = dict(os.environ)
        e.pop('TRACEED_WEBHOOK_URL', None)
        e['no_proxy'] = e['NO_PROXY'] = '127.0.0.1'
        e.update(env or {})
        self.err = []
        self.lines = queue.Queue()
        self.proc = subprocess.Popen([DRIVER, self.cfg, os.path.join(tmp, 'spool'), RULES],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True, env=e,
                                     preexec_fn=testlib.die_with_parent)
        threading.Thread(target=self._read, args=(self.proc.stdout, self.lines.put),
                         daemon=True).start()
        threading.Thread(target=self._read, args=(self.proc.stderr, self.err.append),
                         daemon=True).start()
        self.ready = self.line(10)

    @staticmethod
    def _read(stream, sink):
        for l in iter(stream.readline, ''):
            sink(l.rstrip('\n'))

    def line(self, timeout=30):
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise Failure('webhook_driver did not answer within %d s; stderr:\n%s'
                          % (timeout, '\n'.join(self.err[-20:])))

    def send(self, cmd):
        self.proc.stdin.write(cmd + '\n')
        self.proc.stdin.flush()

    def submit(self, rule, count, start, interval_us=0):
        self.send('submit %s %d %d %d' % (rule, count, start, interval_us))
        l = self.line(120)
        m = re.match(r'submitted (\d+) max_us=([\d.]+) p50_us=([\d.]+) p99_us=([\d.]+)', l)
        check(m, 'unexpected answer to submit: %r' % l)
        return {'max_us': float(m.group(2)), 'p50_us': float(m.group(3)),
                'p99_us': float(m.group(4))}

    def test(self):
        self.send('test')
        return int(self.line().split()[1])

    def stats(self):
        self.send('stats')
        out = {}
        for l in iter(self.line, 'end'):
            f = l.split()
            check(f[0] == 'stats' and len(f) == 9, 'bad stats line %r' % l)
            out[f[1]] = dict(kind=f[2], url=f[3], queued=int(f[4]), delivered=int(f[5]),
                             retried=int(f[6]), rejected=int(f[7]), dropped=int(f[8]))
        return out

    def wait(self, n, timeout_s):
        self.send('wait %d %d' % (n, timeout_s * 1000))
        return self.line(timeout_s + 10).startswith('settled')

    def wait_stats(self, pred, timeout_s, what):
        end = time.time() + timeout_s
        while True:
            st = self.stats()
            if pred(st):
                return st
            if time.time() > end:
                raise Failure('%s: not reached within %d s; stats %s; log:\n%s'
                              % (what, timeout_s, st, '\n'.join(self.err[-10:])))
            time.sleep(0.1)

    def quit(self):
        self.send('quit')
        l = self.line(30)
        check(l.startswith('freed '), 'unexpected answer to quit: %r' % l)
        rc = self.proc.wait(10)
        check(rc == 0, 'webhook_driver exited with %d (sanitizer report?):\n%s'
              % (rc, '\n'.join(self.err[-30:])))
        return float(l.split()[1])

    def kill9(self):
        self.proc.kill()
        self.proc.wait()

    def log(self):
        return '\n'.join(self.err)


def config(*outputs):
    """outputs.webhooks YAML from dicts (headers: a dict)."""
    s = 'outputs:\n  journal: false\n  webhooks:\n'
    for o in outputs:
        first = True
        for k, v in o.items():
            s += ('    - ' if first else '      ') + k + ':'
            first = False
            if isinstance(v, dict):
                s += '\n' + ''.join('        %s: %s\n' % (hk, json.dumps(hv)) for hk, hv in v.items())
            else:
                s += ' %s\n' % (json.dumps(v) if isinstance(v, str) else v)
    return s


def expect_seqs(rcv, want, what):
    expect_seqs_list(rcv.seqs(), want, what)


def expect_seqs_list(got, want, what):
    if got != want:
        missing = sorted(set(want) - set(got))
        dups = len(got) - len(set(got))
        raise Failure('%s: received %d payloads, want %d in order; missing %s, %d duplicates, '
                      'first out of order at %s'
                      % (what, len(got), len(want), missing[:10], dups,
                         next((i for i, (a, b) in enumerate(zip(got, want)) if a != b), None)))


def check_payloads(rcv):
    check(not rcv.invalid, 'the receiver refused payloads: %s' % rcv.invalid[:3])


# ---- cases ---------------------------------------------------------------

def case_schema(tmp):
    rcv = Receiver().start()
    d = Driver(tmp, config({'name': 'sidekick', 'url': rcv.url('/'), 'kind': 'falcosidekick'}))
    check(d.ready == 'ready 1', d.ready)
    d.submit('TEST-WH-1', 5, 0)
    check(d.wait(5, 20), 'not delivered: %s\n%s' % (d.stats(), d.log()))
    check_payloads(rcv)
    expect_seqs(rcv, list(range(5)), 'schema')
    r = rcv.records[0]
    p = r.payload
    check(r.method == 'POST' and r.path == '/', '%s %s' % (r.method, r.path))
    check(r.headers.get('Content-Type') == 'application/json', r.headers)
    check(r.headers.get('User-Agent', '').startswith('traceed/'), r.headers)
    check(falcosidekick_problem(p) is None, falcosidekick_problem(p))
    check(set(p) == {'uuid', 'output', 'priority', 'rule', 'time', 'output_fields', 'source',
                     'tags', 'hostname'}, 'keys %s' % sorted(p))
    check(p['priority'] == 'Error', p['priority'])
    check(p['rule'] == 'Webhook test anti-debugging', p['rule'])
    check(p['source'] == 'syscall', p['source'])
    check(p['hostname'] == 'driverhost', p['hostname'])
    check(re.match(r'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$', p['time']), p['time'])
    check(abs(parse_time(p['time']).timestamp() - time.time()) < 60, p['time'])
    check(p['output'] == 'ptrace by rt_trigger (seq=0) request=PTRACE_TRACEME', p['output'])
    f = p['output_fields']
    for k, v in {'rule.id': 'TEST-WH-1', 'mitre.technique': 'T1622',
                 'mitre.tactic': 'defense-evasion', 'proc.name': 'rt_trigger',
                 'proc.exe': '/tmp/rt_trigger', 'proc.pid': 3646, 'evt.name': 'ptrace',
                 'evt.arg.request': 'PTRACE_TRACEME', 'container.id': 'host'}.items():
        check(f.get(k) == v, 'output_fields[%s] = %r, want %r' % (k, f.get(k), v))
    check(p['tags'] == ['test', 'anti-debugging', 'T1622', 'defense-evasion'], p['tags'])
    check(len({x.payload['uuid'] for x in rcv.records}) == 5, 'uuids not unique')
    st = d.stats()['sidekick']
    check(st == dict(kind='falcosidekick', url=rcv.url('/'), queued=0, delivered=5, retried=0,
                     rejected=0, dropped=0), st)
    d.quit()
    segs = [f for f in os.listdir(os.path.join(tmp, 'spool', 'sidekick')) if f.endswith('.seg')]
    check(not segs, 'delivered detections left in the spool: %s' % segs)


def case_webhook_put(tmp):
    rcv = Receiver().start()
    d = Driver(tmp, config({'name': 'siem', 'kind': 'webhook', 'method': 'PUT',
                            'url': rcv.url('/hook/traceed?token=s3cret'),
                            'headers': {'Authorization': 'Bearer s3cret', 'X-Env': 'test'}}))
    d.submit('TEST-WH-1', 3, 0)
    check(d.wait(3, 20), 'not delivered: %s\n%s' % (d.stats(), d.log()))
    check_payloads(rcv)
    expect_seqs(rcv, [0, 1, 2], 'webhook')
    r = rcv.records[0]
    check(r.method == 'PUT', r.method)
    check(r.path == '/hook/traceed?token=s3cret', r.path)
    check(r.headers.get('Authorization') == 'Bearer s3cret', r.headers)
    check(r.headers.get('X-Env') == 'test', r.headers)
    p = r.payload
    check(p['rule_id'] == 'TEST-WH-1' and p['severity'] == 'high', p)
    check(p['event']['eventName'] == 'ptrace', p['event'])
    st = d.stats()['siem']
    check(st['url'] == rcv.url('/hook/traceed'), 'the status URL shows the query: %s' % st['url'])
    check('s3cret' not in d.log(), 'a secret in the log')
    d.quit()


def case_min_severity(tmp):
    rcv = Receiver().start()
    d = Driver(tmp, config({'name': 'high', 'url': rcv.url('/high'), 'min_severity': 'high'},
                           {'name': 'all', 'url': rcv.url('/all')}))
    d.submit('TEST-WH-2', 3, 0)
    d.submit('TEST-WH-1', 2, 3)
    st = d.wait_stats(lambda s: s['all']['delivered'] == 5 and s['high']['delivered'] == 2, 20,
                      'delivery')
    time.sleep(0.3)
    check(d.stats() == st, 'more delivered than expected: %s' % d.stats())
    by_path = {}
    for r in rcv.records:
        by_path.setdefault(r.path, []).append(r.seq())
    check(by_path.get('/high') == [3, 4], by_path)
    check(by_path.get('/all') == [0, 1, 2, 3, 4], by_path)
    check(rcv.records[-1].payload['priority'] in ('Error', 'Notice'), rcv.records[-1].payload)
    check([r.payload['priority'] for r in rcv.records if r.path == '/all'][:3] == ['Notice'] * 3,
          'low -> Notice')
    d.quit()


def case_test_output(tmp):
    rcv = Receiver().start()
    d = Driver(tmp, config({'name': 'sk', 'url': rcv.url('/'), 'min_severity': 'critical'},
                           {'name': 'own', 'url': rcv.url('/hook'), 'kind': 'webhook'}))
    check(d.test() == 2, 'TestOutputs did not queue to both outputs')
    # settled by the sender, not just received (the answer may still be on its way)
    check(d.wait(1, 20), 'test detections not delivered: %s' % d.stats())
    check_payloads(rcv)
    sk = next(r.payload for r in rcv.records if r.path == '/')
    own = next(r.payload for r in rcv.records if r.path == '/hook')
    check(sk['rule'] == 'Test rule' and sk['output'] == 'This is a test from traceed', sk)
    check(sk['priority'] == 'Informational', sk)
    check(sk['output_fields']['rule.id'] == 'TRD-TEST', sk)
    check(own['rule_id'] == 'TRD-TEST' and own['severity'] == 'info', own)
    check(own['output'] == 'This is a test from traceed', own)
    st = d.stats()
    check(st['sk']['delivered'] == 1 and st['own']['delivered'] == 1, st)
    d.quit()


OUTAGE_N = 200


def case_outage(tmp):
    rcv = Receiver().start()
    rcv.stop()                      # a known port, nobody listening
    d = Driver(tmp, config({'name': 'sk', 'url': rcv.url('/'), 'max_backoff': 1}))
    d.submit('TEST-WH-1', OUTAGE_N, 0, 1000)
    st = d.wait_stats(lambda s: s['sk']['retried'] >= 2, 20, 'retries during the outage')['sk']
    check(st['delivered'] == 0 and st['queued'] == OUTAGE_N, st)
    check('delivery to %s failed' % rcv.url('/') in d.log(), 'no failure logged:\n' + d.log())
    rcv.start()
    check(d.wait(OUTAGE_N, 60), 'not all delivered after the outage: %s' % d.stats())
    check_payloads(rcv)
    expect_seqs(rcv, list(range(OUTAGE_N)), 'outage')
    st = d.stats()['sk']
    check(st['delivered'] == OUTAGE_N and st['queued'] == 0 and st['dropped'] == 0, st)
    check(re.search(r'delivering to \S+ again after \d+ failed attempts', d.log()),
          'recovery not logged:\n' + d.log())
    d.quit()


def case_restart(tmp):
    """Outage with the sender killed (SIGKILL right after submit returned)
    and restarted twice, once cleanly: nothing lost, order kept."""
    rcv = Receiver().start()
    rcv.stop()
    cfg = config({'name': 'sk', 'url': rcv.url('/'), 'max_backoff': 1})
    d = Driver(tmp, cfg, name='d1')
    d.submit('TEST-WH-1', 100, 0)
    d.kill9()                                       # just after submit() returned
    d = Driver(tmp, cfg, name='d2')
    st = d.stats()['sk']
    check(st['queued'] == 100, 'after kill -9 the spool holds %d, want 100' % st['queued'])
    d.submit('TEST-WH-1', 50, 100)
    check(d.quit() < 3000, 'te_webhooks_free took too long')
    d = Driver(tmp, cfg, name='d3')
    check(d.stats()['sk']['queued'] == 150, 'after a clean stop: %s' % d.stats())
    d.submit('TEST-WH-1', 50, 150)
    d.kill9()
    d = Driver(tmp, cfg, name='d4')
    check(d.stats()['sk']['queued'] == 200, 'after the second kill -9: %s' % d.stats())
    rcv.start()
    check(d.wait(200, 60), 'not all delivered: %s\n%s' % (d.stats(), d.log()))
    check_payloads(rcv)
    expect_seqs(rcv, list(range(200)), 'restart')
    check('undelivered detections in the spool, sending them first' in d.log(), d.log())
    d.quit()


DROP_LOG = r'spool full \(spool_max_mib 1\): dropped (\d+) undelivered detections'


def spool_limit_run(tmp, batches, what):
    """Submit @batches [(rule, count)] (seq from 0 on) to an output with a
    1 MiB spool while its endpoint is down, then bring it up: returns the
    seqs received and the number dropped, after checking the counters, the
    spool's size and that every drop was logged (during the outage too)."""
    n = sum(c for _, c in batches)
    os.makedirs(tmp, exist_ok=True)
    rcv = Receiver().start()
    rcv.stop()
    d = Driver(tmp, config({'name': 'sk', 'url': rcv.url('/'), 'spool_max_mib': 1,
                            'max_backoff': 1}))
    seq = 0
    for rule, count in batches:
        d.submit(rule, count, seq)
        seq += count
    st = d.stats()['sk']
    check(st['dropped'] > 0, '%s: nothing dropped: %s' % (what, st))
    check(st['queued'] + st['dropped'] == n, '%s: %s' % (what, st))
    spool = os.path.join(tmp, 'spool', 'sk')
    size = sum(os.path.getsize(os.path.join(spool, f)) for f in os.listdir(spool)
               if f.endswith('.seg'))
    check(size <= 1 << 20, '%s: spool is %d bytes, over 1 MiB' % (what, size))
    end = time.time() + 15
    while not re.search(DROP_LOG, d.log()):
        check(time.time() < end, '%s: drops not logged:\n%s' % (what, d.log()))
        time.sleep(0.1)
    rcv.start()
    check(d.wait(n, 60), '%s: not settled: %s' % (what, d.stats()))
    check_payloads(rcv)
    st = d.stats()['sk']
    check(st['delivered'] + st['dropped'] == n and st['queued'] == 0, '%s: %s' % (what, st))
    got = rcv.seqs()
    check(len(got) == st['delivered'], '%s: received %d, delivered %d' % (what, len(got), st['delivered']))
    d.quit()
    logged = sum(int(x) for x in re.findall(DROP_LOG, d.log()))
    check(logged == st['dropped'], '%s: logged %d drops, counted %d' % (what, logged, st['dropped']))
    return got, st['dropped']


def case_spool_limit(tmp):
    n = 3000
    # one severity: the oldest go, the newest are kept, in order
    got, dropped = spool_limit_run(os.path.join(tmp, 'same'),
                                   [('TEST-WH-1', n)], 'one severity')
    expect_seqs_list(got, list(range(dropped, n)), 'spool limit (the newest kept)')
    # the attack: one high detection buried under a flood of low ones (an
    # attacker's decoy) while the endpoint is down: the low ones go, the
    # oldest first, the high one is kept and sent first
    got, dropped = spool_limit_run(os.path.join(tmp, 'mixed'),
                                   [('TEST-WH-1', 1), ('TEST-WH-2', n)], 'high among low ones')
    check(got[:1] == [0], 'spool limit: the high detection was dropped (received first: %s)'
          % got[:5])
    expect_seqs_list(got, [0] + list(range(1 + dropped, n + 1)),
                     'spool limit (the high one and the newest low ones kept)')


def case_reject(tmp):
    rcv = Receiver().start()
    rcv.status, rcv.body = 400, b'bad payload\n\x01 {"x":1}'
    d = Driver(tmp, config({'name': 'sk', 'url': rcv.url('/'), 'max_backoff': 1}))
    d.submit('TEST-WH-1', 3, 0)
    st = d.wait_stats(lambda s: s['sk']['rejected'] == 3, 20, 'rejections')['sk']
    check(st['delivered'] == 0 and st['retried'] == 0 and st['queued'] == 0, st)
    check(rcv.requests == 3, 'a rejected detection was retried (%d requests)' % rcv.requests)
    check('rejected a detection, not retried: HTTP 400: bad payload\\x0a\\x01 {"x":1}' in d.log(),
          'rejection not logged with the escaped body:\n' + d.log())
    rcv.status = 200
    d.submit('TEST-WH-1', 1, 3)
    check(d.wait(4, 20), 'later detections blocked: %s' % d.stats())
    expect_seqs(rcv, [3], 'after the rejections')
    d.quit()


def case_retry_429(tmp):
    rcv = Receiver().start()
    rcv.statuses = [429, 408, 503]
    d = Driver(tmp, config({'name': 'sk', 'url': rcv.url('/'), 'max_backoff': 1}))
    d.submit('TEST-WH-1', 3, 0)
    check(d.wait(3, 30), 'not delivered: %s\n%s' % (d.stats(), d.log()))
    st = d.stats()['sk']
    check(st == dict(kind='falcosidekick', url=rcv.url('/'), queued=0, delivered=3, retried=3,
                     rejected=0, dropped=0), st)
    check(rcv.requests == 6, '%d requests, want 6' % rcv.requests)
    expect_seqs(rcv, [0, 1, 2], '429/408/503 retried in order')
    d.quit()


def openssl(*args, cwd):
    subprocess.run(['openssl'] + list(args), cwd=cwd, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)


def make_pki(tmp):
    """ca (right), wrongca, server (127.0.0.1, signed by ca), client (signed by ca)."""
    if not shutil.which('openssl'):
        raise Skip('openssl not installed')
    pki = os.path.join(tmp, 'pki')
    os.mkdir(pki)
    for ca in ('ca', 'wrongca'):
        openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj',
                '/CN=traceed test %s' % ca, '-keyout', ca + '.key', '-out', ca + '.pem', cwd=pki)
    with open(os.path.join(pki, 'san.ext'), 'w') as f:
        f.write('subjectAltName=IP:127.0.0.1\n')
    with open(os.path.join(pki, 'client.ext'), 'w') as f:
        f.write('extendedKeyUsage=clientAuth\n')
    for name, ext, cn in (('server', 'san.ext', '127.0.0.1'), ('client', 'client.ext', 'traceed')):
        openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=' + cn, '-keyout',
                name + '.key', '-out', name + '.csr', cwd=pki)
        openssl('x509', '-req', '-in', name + '.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key',
                '-CAcreateserial', '-days', '2', '-extfile', ext, '-out', name + '.pem', cwd=pki)
    return lambda n: os.path.join(pki, n)


def case_tls(tmp):
    pki = make_pki(tmp)
    rcv = Receiver(tls={'cert': pki('server.pem'), 'key': pki('server.key')}).start()
    d = Driver(tmp, config(
        {'name': 'wrongca', 'url': rcv.url('/'), 'ca_file': pki('wrongca.pem'), 'max_backoff': 1},
        {'name': 'rightca', 'url': rcv.url('/'), 'ca_file': pki('ca.pem')},
        {'name': 'nocheck', 'url': rcv.url('/'), 'ca_file': pki('wrongca.pem'),
         'checkcert': 'false'}))
    check(d.ready == 'ready 3', d.ready)
    d.submit('TEST-WH-1', 2, 0)
    st = d.wait_stats(lambda s: s['rightca']['delivered'] == 2 and s['nocheck']['delivered'] == 2
                      and s['wrongca']['retried'] >= 2, 30, 'TLS delivery')
    check(st['wrongca']['delivered'] == 0, 'delivered despite a wrong CA: %s' % st)
    check(st['rightca']['url'].startswith('https://'), st)
    check(re.search(r'webhook wrongca: delivery to \S+ failed: (SSL|Peer certificate)', d.log()),
          'certificate failure not logged:\n' + d.log())
    check(len(rcv.records) == 4, '%d payloads' % len(rcv.records))
    check_payloads(rcv)
    d.quit()


def case_mtls(tmp):
    pki = make_pki(tmp)
    rcv = Receiver(tls={'cert': pki('server.pem'), 'key': pki('server.key'),
                        'client_ca': pki('ca.pem')}).start()
    d = Driver(tmp, config(
        {'name': 'withcert', 'url': rcv.url('/'), 'ca_file': pki('ca.pem'),
         'client_cert': pki('client.pem'), 'client_key': pki('client.key')},
        {'name': 'nocert', 'url': rcv.url('/'), 'ca_file': pki('ca.pem'), 'max_backoff': 1}))
    d.submit('TEST-WH-1', 2, 0)
    st = d.wait_stats(lambda s: s['withcert']['delivered'] == 2 and s['nocert']['retried'] >= 2,
                      30, 'mTLS delivery')
    check(st['nocert']['delivered'] == 0, 'accepted without a client certificate: %s' % st)
    expect_seqs(rcv, [0, 1], 'mTLS')
    d.quit()


def case_slow(tmp):
    delay = 1.5
    rcv = Receiver().start()
    rcv.delay = delay
    d = Driver(tmp, config({'name': 'sk', 'url': rcv.url('/'), 'timeout': 10}))
    lat = d.submit('TEST-WH-1', 3, 0, 20000)
    # while the worker waits on the slow endpoint (at least one transfer
    # of `delay` s is running now)
    time.sleep(0.2)
    lat2 = d.submit('TEST-WH-1', 3, 3, 20000)
    worst = max(lat['max_us'], lat2['max_us']) / 1e6
    print('submit() latency with a %.1f s endpoint: max %.3f ms, p50 %.3f ms'
          % (delay, worst * 1e3, lat2['p50_us'] / 1e3))
    check(worst < delay / 10, 'submit() took %.3f s with an endpoint that answers in %.1f s'
          % (worst, delay))
    check(d.stats()['sk']['queued'] >= 4, 'the slow endpoint did not hold the queue up: %s'
          % d.stats())
    # te_webhooks_free with a transfer in flight: aborted within ~1 s
    freed_ms = d.quit()
    print('te_webhooks_free with a transfer in flight: %.0f ms' % freed_ms)
    check(freed_ms < 1000 * (delay + 1), 'free took %.0f ms' % freed_ms)
    # what was not acknowledged is sent after the restart (at least once)
    rcv.delay = 0
    d = Driver(tmp, config({'name': 'sk', 'url': rcv.url('/'), 'timeout': 10}))
    check(d.wait(d.stats()['sk']['queued'], 30), 'not delivered after restart')
    got = rcv.seqs()
    check(sorted(set(got)) == list(range(6)), 'received %s' % got)
    d.quit()


def case_env(tmp):
    rcv = Receiver().start()
    d = Driver(tmp, 'outputs:\n  journal: false\n', env={'TRACEED_WEBHOOK_URL': rcv.url('/')})
    check(d.ready == 'ready 1', d.ready)
    d.submit('TEST-WH-1', 1, 0)
    check(d.wait(1, 20), 'not delivered: %s' % d.stats())
    st = d.stats()
    check(list(st) == ['env'] and st['env']['kind'] == 'falcosidekick', st)
    check_payloads(rcv)
    d.quit()
    bad = Driver(tmp, '', env={'TRACEED_WEBHOOK_URL': 'gopher://127.0.0.1/'}, name='bad')
    check(bad.ready == 'error: TRACEED_WEBHOOK_URL: only http:// and https:// URLs are supported',
          bad.ready)


CASES = {
    'schema': case_schema,
    'webhook-put': case_webhook_put,
    'min-severity': case_min_severity,
    'test-output': case_test_output,
    'outage': case_outage,
    'restart': case_restart,
    'spool-limit': case_spool_limit,
    'reject': case_reject,
    'retry-429': case_retry_429,
    'tls': case_tls,
    'mtls': case_mtls,
    'slow': case_slow,
    'env': case_env,
}


def main():
    if len(sys.argv) != 2:
        print('usage: webhook_test.py CASE|--list', file=sys.stderr)
        return 2
    if sys.argv[1] == '--list':
        print('\n'.join(CASES))
        return 0
    case = CASES.get(sys.argv[1])
    if not case:
        print('unknown case %s' % sys.argv[1], file=sys.stderr)
        return 2
    testlib.exit_on_sigterm()
    tmp = tempfile.mkdtemp(prefix='webhook-test.')

    def body():
        if not DRIVER or not os.access(DRIVER, os.X_OK):
            raise Skip('WEBHOOK_DRIVER is not set to the built webhook_driver')
        case(tmp)
        print('PASS: %s' % sys.argv[1])

    return testlib.guarded(body, cleanup=lambda: shutil.rmtree(tmp, ignore_errors=True))


if __name__ == '__main__':
    sys.exit(main())
