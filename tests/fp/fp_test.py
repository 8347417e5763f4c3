#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""False-positive test: the default rules stay quiet on ordinary work.

    TRACEED=build/daemon/traceed RULES_DIR=rules tests/fp/fp_test.py

Starts `traceed --foreground --rules RULES_DIR --output json` (detection
mode, every default rule enabled), runs a benign workload and requires zero
detections about it:

  dpkg -l; apt-cache policy; cc on a small C program; a shell script that
  makes, copies, greps and removes files; ssh-keygen into a temp dir; man -P
  cat ls; tar c and x in a temp dir; reading /etc/passwd; ls -la /proc/self

Steps whose program is not installed are left out and listed.  The
workload runs in its own PID namespace (unshare -pf --mount-proc) so that
its events are told apart from the rest of the machine by pidNamespace;
detections about other processes are printed but do not fail the test
(the unshare(CLONE_NEWPID) that sets this up is itself a TRD-2009 event).

Exit status: 0 pass, 1 fail, 77 skip (not root or no BPF; a failure with
TRACEED_TEST_STRICT=1).  python3 standard library only.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), 'live'))
import rules_test as live  # noqa: E402  (Traceed, prerequisites)
sys.path.insert(0, os.path.dirname(HERE))
import testlib  # noqa: E402  (tests/testlib.py)

C_PROGRAM = '#include <stdio.h>\nint main(void) { puts("hello"); return 0; }\n'
SCRIPT = '''#!/bin/sh
set -e
mkdir -p "$1/data"
for i in 1 2 3; do echo "line $i" > "$1/data/f$i.txt"; done
cp "$1/data/f1.txt" "$1/data/copy.txt"
grep -c line "$1"/data/*.txt > /dev/null
chmod 644 "$1/data/copy.txt"
mv "$1/data/copy.txt" "$1/data/moved.txt"
rm "$1/data/moved.txt"
date > /dev/null
'''


def steps(d):
    """(description, shell command, required program) of the workload."""
    return [
        ('dpkg -l', 'dpkg -l > /dev/null', 'dpkg'),
        ('apt-cache policy', 'apt-cache policy > /dev/null', 'apt-cache'),
        ('cc hello.c', 'cc -O2 -o {d}/hello {d}/hello.c', 'cc'),
        ('shell script', 'sh {d}/script.sh {d}', 'sh'),
        ('ssh-keygen', "ssh-keygen -q -t ed25519 -N '' -C fp-test -f {d}/key", 'ssh-keygen'),
        ('man -P cat ls', 'man -P cat ls > /dev/null 2>&1 || true', 'man'),
        ('tar c/x', 'tar -C {d} -cf {d}/a.tar data hello.c && mkdir {d}/x && tar -C {d}/x -xf {d}/a.tar', 'tar'),
        ('read /etc/passwd', 'cat /etc/passwd > /dev/null', 'cat'),
        ('ls -la /proc/self', 'ls -la /proc/self > /dev/null', 'ls'),
    ]


def main(argv):
    if len(argv) > 1 and argv[1] in ('-h', '--help'):
        print(__doc__)
        return 0
    testlib.exit_on_sigterm()
    d = None
    try:
        live.TRACEED = live.env_path('TRACEED')
        live.RULES_DIR = live.env_path('RULES_DIR', os.path.join(os.path.dirname(os.path.dirname(HERE)), 'rules'))
        live.check_prerequisites()
        if not shutil.which('unshare'):
            raise live.Skip('unshare (util-linux) is not installed')
        d = tempfile.mkdtemp(prefix='traceed-fp-')
        with open(os.path.join(d, 'hello.c'), 'w') as f:
            f.write(C_PROGRAM)
        with open(os.path.join(d, 'script.sh'), 'w') as f:
            f.write(SCRIPT)
        os.chmod(os.path.join(d, 'script.sh'), 0o755)
        run, left_out = [], []
        for desc, cmd, prog in steps(d):
            (run if shutil.which(prog) else left_out).append((desc, cmd.format(d=d)))
        for desc, _ in left_out:
            print('note: step left out, not installed: %s' % desc)
        # CI installs every program of the workload: a shorter workload
        # there would pass without testing what it claims
        live.check(not (left_out and testlib.strict()),
                   'steps left out under TRACEED_TEST_STRICT=1: %s' % ', '.join(d for d, _ in left_out))
        script = 'set -e\nstat -L -c %i /proc/self/ns/pid\n' + ''.join(
            'echo "step: %s" >&2\n%s\n' % (desc, cmd) for desc, cmd in run)
        t = live.Traceed().start()
        env = {k: v for k, v in os.environ.items() if k not in live.LD_VARS}
        env.setdefault('HOME', '/root')
        p = subprocess.run(['unshare', '--pid', '--fork', '--mount-proc', '/bin/sh', '-c', script],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, cwd=d, env=env,
                           timeout=600)
        live.check(p.returncode == 0, 'workload failed (exit %d): %s' % (p.returncode, p.stderr[-2000:]))
        pidns = int(p.stdout.split()[0])
        time.sleep(2.0)  # the ring buffer is polled every 100 ms
        dets = t.stop()
    except live.Skip as e:
        return testlib.skip_status(e)
    except live.Failure as e:
        live.report_failure(str(e))
        return 1
    finally:
        for t in live.RUNNING:
            t.kill()
        if d:
            shutil.rmtree(d, ignore_errors=True)
    ours = [x for x in dets if isinstance(x.get('event'), dict) and x['event'].get('pidNamespace') == pidns]
    others = [x for x in dets if x not in ours]
    for x in others:
        print('note: detection about a process outside the workload (not counted): %s %s'
              % (x.get('rule_id'), x.get('output')))
    print('workload steps: %s' % ', '.join(desc for desc, _ in run))
    if ours:
        print('FAIL: %d detections about the benign workload:' % len(ours))
        for x in ours:
            print('    %s %s: %s' % (x.get('rule_id'), x.get('rule_name'), x.get('output')))
            print('        event: %s' % json.dumps(x.get('event'))[:800])
        return 1
    print('PASS: no detections about the workload (%d events of other processes detected)' % len(others))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
