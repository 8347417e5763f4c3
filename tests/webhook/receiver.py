"""A falcosidekick-compatible HTTP(S) receiver on 127.0.0.1 for the webhook
tests and bench/webhook-bench.sh.

It validates a payload the way falcosidekick's POST / handler does
(FalcoPayload.Check(): priority a known, non-empty value; rule non-empty;
time parseable and not zero; output_fields non-empty; and, as older
versions did, output non-empty) and answers 400
"Please send a valid request body" otherwise.  Requests to a path starting
with /hook are traceed's own detection JSON (kind webhook): any JSON object.

Controls (attributes, thread-safe enough for tests):
  status        HTTP status of the answers (default 200); statuses, a list,
                is consumed first, one per request
  body          response body for a non-2xx answer
  delay         seconds to wait before answering
  stop()/start()  take the server down (open connections are cut) and back
                on the same port
TLS: Receiver(tls=dict(cert=..., key=..., client_ca=None)); with client_ca
a client certificate signed by it is required.

Run alone to look at what traceed sends (docs/webhooks.md):
    python3 tests/webhook/receiver.py --port 2801
"""
import datetime
import json
import re
import socket
import ssl
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

PRIORITIES = {'emergency', 'alert', 'critical', 'error', 'warning', 'notice',
              'informational', 'info', 'debug'}
RFC3339 = re.compile(r'^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?'
                     r'(Z|[+-]\d\d:\d\d)$')


def parse_time(s):
    """datetime of an RFC 3339 string (nanoseconds cut to micro), or None."""
    m = RFC3339.match(s) if isinstance(s, str) else None
    if not m:
        return None
    y, mo, d, h, mi, sec, frac, tz = m.groups()
    try:
        tzinfo = datetime.timezone.utc if tz == 'Z' else datetime.timezone(
            datetime.timedelta(hours=int(tz[1:3]), minutes=int(tz[4:6])) * (1 if tz[0] == '+' else -1))
        return datetime.datetime(int(y), int(mo), int(d), int(h), int(mi), int(sec),
                                 int((frac or '0').ljust(9, '0')[:6]), tzinfo=tzinfo)
    except ValueError:
        return None


def falcosidekick_problem(p):
    """None if falcosidekick would accept payload p, else why not."""
    if not isinstance(p, dict):
        return 'not a JSON object'
    if not isinstance(p.get('priority'), str) or p['priority'].lower() not in PRIORITIES:
        return 'priority %r is not valid' % p.get('priority')
    if not isinstance(p.get('rule'), str) or not p['rule']:
        return 'rule is empty'
    t = parse_time(p.get('time'))
    if t is None or t.timestamp() <= 0:
        return 'time %r is not parseable or zero' % p.get('time')
    if not isinstance(p.get('output_fields'), dict) or not p['output_fields']:
        return 'output_fields is empty'
    if not isinstance(p.get('output'), str) or not p['output']:
        return 'output is empty'     # older falcosidekick versions check this
    if 'tags' in p and not (isinstance(p['tags'], list) and all(isinstance(t, str) for t in p['tags'])):
        return 'tags is not a list of strings'
    return None


class Record:
    def __init__(self, method, path, headers, payload):
        self.method, self.path, self.headers, self.payload = method, path, headers, payload

    def seq(self):
        """The webhook_driver sequence number (proc.cmdline "seq=N")."""
        f = self.payload.get('output_fields') or {}
        m = re.match(r'seq=(\d+)$', str(f.get('proc.cmdline', '')))
        return int(m.group(1)) if m else None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = 'HTTP/1.1'   # keep-alive, as falcosidekick

    def log_message(self, *a):
        pass

    def setup(self):
        super().setup()
        self.server.rcv._conn_opened(self.connection)

    def finish(self):
        try:
            super().finish()
        finally:
            self.server.rcv._conn_closed(self.connection)

    def _answer(self, status, body=b''):
        self.send_response(status)
        self.send_header('Content-Type', 'text/plain')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _handle(self):
        rcv = self.server.rcv
        n = int(self.headers.get('Content-Length') or 0)
        raw = self.rfile.read(n)
        with rcv.cond:
            rcv.requests += 1
            status = rcv.statuses.pop(0) if rcv.statuses else rcv.status
            delay = rcv.delay
        if delay:
            time.sleep(delay)
        if rcv.down:
            self.close_connection = True
            return
        try:
            payload = json.loads(raw)
        except ValueError:
            payload = None
        own = self.path.startswith('/hook')
        problem = (None if isinstance(payload, dict) else 'not a JSON object') if own \
            else falcosidekick_problem(payload)
        if problem:
            with rcv.cond:
                rcv.invalid.append((problem, raw))
                rcv.cond.notify_all()
            self._answer(400, b'Please send a valid request body\n')
            return
        if not 200 <= status < 300:
            with rcv.cond:
                rcv.refused += 1
            self._answer(status, rcv.body)
            return
        with rcv.cond:
            rcv.records.append(Record(self.command, self.path, dict(self.headers), payload))
            rcv.cond.notify_all()
        self._answer(status, b'')

    do_POST = _handle
    do_PUT = _handle


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        pass  # TLS handshakes refused on purpose, connections cut by stop()


class Receiver:
    def __init__(self, tls=None):
        self.tls = tls
        self.port = 0
        self.records = []       # accepted payloads (Record), in arrival order
        self.invalid = []       # (why, raw body) of refused payloads
        self.requests = 0
        self.refused = 0        # answered with a non-2xx status on purpose
        self.status = 200
        self.statuses = []
        self.body = b''
        self.delay = 0
        self.down = True
        self.cond = threading.Condition()
        self._conns = set()
        self._srv = None

    def _conn_opened(self, c):
        with self.cond:
            self._conns.add(c)

    def _conn_closed(self, c):
        with self.cond:
            self._conns.discard(c)

    @property
    def scheme(self):
        return 'https' if self.tls else 'http'

    def url(self, path='/'):
        return '%s://127.0.0.1:%d%s' % (self.scheme, self.port, path)

    def start(self):
        srv = _Server(('127.0.0.1', self.port), _Handler)
        srv.rcv = self
        if self.tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(self.tls['cert'], self.tls['key'])
            if self.tls.get('client_ca'):
                ctx.verify_mode = ssl.CERT_REQUIRED
                ctx.load_verify_locations(self.tls['client_ca'])
            srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        self.port = srv.server_address[1]
        self.down = False
        self._srv = srv
        threading.Thread(target=srv.serve_forever, kwargs={'poll_interval': 0.05},
                         daemon=True).start()
        return self

    def stop(self):
        """Down: no listener, and open keep-alive connections are cut."""
        self.down = True
        if self._srv:
            self._srv.shutdown()
            self._srv.server_close()
            self._srv = None
        with self.cond:
            conns = list(self._conns)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def wait_for(self, n, timeout):
        """True once n payloads were accepted."""
        with self.cond:
            return self.cond.wait_for(lambda: len(self.records) >= n, timeout=timeout)

    def seqs(self):
        with self.cond:
            return [r.seq() for r in self.records]


def main():
    import argparse
    ap = argparse.ArgumentParser(description='print what a webhook output sends')
    ap.add_argument('--port', type=int, default=2801)
    ap.add_argument('--status', type=int, default=200)
    args = ap.parse_args()
    r = Receiver()
    r.port, r.status = args.port, args.status
    r.start()
    print('listening on %s' % r.url(), flush=True)
    nrec = nbad = 0
    while True:
        with r.cond:
            r.cond.wait_for(lambda: len(r.records) > nrec or len(r.invalid) > nbad)
            recs, bad = r.records[nrec:], r.invalid[nbad:]
        for rec in recs:
            print('%s %s %s' % (rec.method, rec.path, json.dumps(rec.payload, indent=2)),
                  flush=True)
        for why, raw in bad:
            print('REFUSED (%s): %r' % (why, raw[:200]), flush=True)
        nrec += len(recs)
        nbad += len(bad)


if __name__ == '__main__':
    sys.exit(main())
