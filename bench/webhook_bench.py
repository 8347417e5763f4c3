#!/usr/bin/env python3
"""Webhook sender benchmark (run through bench/webhook-bench.sh).

webhook_driver (daemon/outputs/webhook/ without BPF) against the test receiver
(tests/webhook/receiver.py) on 127.0.0.1:
  1. throughput: N detections submitted at once, time until all are
     acknowledged -> detections/s delivered;
  2. te_webhooks_submit() latency (what the event loop pays per detection)
     with the endpoint up, down (connection refused, detections spooled)
     and slow (answers after DELAY s), in the same run, as ratios to "up".
"""
import argparse
import os
import shutil
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, 'tests'))
sys.path.insert(0, os.path.join(ROOT, 'tests', 'webhook'))
import webhook_test as wt  # noqa: E402
from receiver import Receiver  # noqa: E402


def run(args):
    res = {}
    tmp = tempfile.mkdtemp(prefix='webhook-bench.')
    try:
        # 1. throughput
        rcv = Receiver().start()
        d = wt.Driver(tmp, wt.config({'name': 'sk', 'url': rcv.url('/')}), name='tp')
        t0 = time.monotonic()
        d.submit('TEST-WH-1', args.n, 0)
        if not d.wait(args.n, 600):
            sys.exit('not all delivered: %s' % d.stats())
        dt = time.monotonic() - t0
        wt.check(rcv.seqs() == list(range(args.n)), 'order or count wrong')
        res['throughput'] = args.n / dt
        d.quit()
        rcv.stop()
        shutil.rmtree(os.path.join(tmp, 'spool'))

        # 2. submit latency: up, down, slow
        for mode in ('up', 'down', 'slow'):
            rcv = Receiver().start()
            if mode == 'down':
                rcv.stop()
            if mode == 'slow':
                rcv.delay = args.delay
            d = wt.Driver(tmp, wt.config({'name': 'sk', 'url': rcv.url('/'), 'timeout': 30}),
                          name=mode)
            d.submit('TEST-WH-1', 50, 0, 1000)          # warm-up
            res[mode] = d.submit('TEST-WH-1', args.m, 50, args.interval_us)
            d.kill9()                                  # no waiting for a slow drain
            if mode != 'down':
                rcv.stop()
            shutil.rmtree(os.path.join(tmp, 'spool'))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--n', type=int, default=5000, help='detections for the throughput run')
    ap.add_argument('--m', type=int, default=2000, help='detections per latency run')
    ap.add_argument('--interval-us', type=int, default=500)
    ap.add_argument('--delay', type=float, default=0.5, help='slow endpoint delay, s')
    args = ap.parse_args()
    r = run(args)
    print('throughput: %d detections delivered in order, %.0f detections/s '
          '(one POST each, keep-alive, Python receiver)' % (args.n, r['throughput']))
    print('submit() latency, %d detections %d us apart (us):' % (args.m, args.interval_us))
    print('  %-28s %8s %8s %8s' % ('endpoint', 'p50', 'p99', 'max'))
    for mode, label in (('up', 'up'), ('down', 'down (refused, spooling)'),
                        ('slow', 'slow (%.1f s per answer)' % args.delay)):
        x = r[mode]
        print('  %-28s %8.1f %8.1f %8.1f' % (label, x['p50_us'], x['p99_us'], x['max_us']))
    for mode in ('down', 'slow'):
        print('  ratio %-5s/up: p50 %.2f, p99 %.2f' % (
            mode, r[mode]['p50_us'] / r['up']['p50_us'], r[mode]['p99_us'] / r['up']['p99_us']))
    return 0


if __name__ == '__main__':
    sys.exit(main())
