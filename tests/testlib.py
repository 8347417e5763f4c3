"""Shared pieces of the Python test harnesses (tests/*/*.py).

meson runs each harness as `python3 path/to/script.py`; a script finds this
module with

    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    import testlib

Exit status of every harness: 0 pass, 1 fail, 77 skip; with
TRACEED_TEST_STRICT=1 in the environment a skip is a failure (1), except a
HostSkip (the host lacks what is tested, whatever the harness does).
"""
import ctypes
import errno
import os
import platform
import re
import signal
import subprocess
import sys
import threading

SKIP = 77
READY_LINE = 'traceed: ready'
# What traceed says when BPF cannot be used here (the only start-up failure
# that is a skip rather than a failure).
NO_BPF_RE = re.compile(r'\bCAP_(BPF|SYS_ADMIN|PERFMON)\b|'
                       r'\bBPF\b[^\n]*\b(unavailable|not available|not supported|not permitted)\b',
                       re.IGNORECASE)


def strict():
    return os.environ.get('TRACEED_TEST_STRICT') == '1'


# --- immediate exit (the small scripts) --------------------------------------

def skip(why):
    print('SKIP: ' + why)
    sys.exit(1 if strict() else SKIP)


def fail(why):
    print('FAIL: ' + why)
    sys.exit(1)


# --- exceptions and the main wrapper (the case-table harnesses) ------------

class Failure(Exception):
    pass


class Skip(Exception):
    pass


class HostSkip(Skip):
    """This kernel/host lacks what the test watches: a skip even when strict."""


def check(cond, msg):
    if not cond:
        raise Failure(msg)


def skip_status(e):
    """Print a caught Skip and return the exit status it stands for."""
    if strict() and not isinstance(e, HostSkip):
        print('FAIL (TRACEED_TEST_STRICT=1 turns this skip into a failure): %s' % e)
        return 1
    print('SKIP: %s' % e)
    return SKIP


def report(msg):
    print('FAIL: %s' % msg)


def guarded(body, on_failure=report, cleanup=None):
    """Run body(); Skip and Failure become exit statuses (77/1).

    body's own return value (None means 0) is returned otherwise; cleanup()
    runs in any case, before the status is returned."""
    try:
        return body() or 0
    except Skip as e:
        return skip_status(e)
    except Failure as e:
        on_failure(str(e))
        return 1
    finally:
        if cleanup:
            cleanup()


def exit_on_sigterm():
    """meson test sends SIGTERM on timeout: make it unwind through finally."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit('killed by SIGTERM (timeout?)'))


# --- BPF and processes ------------------------------------------------------

def bpf_map_create_errno(syscall_numbers):
    """Try bpf(BPF_MAP_CREATE, {ARRAY, key 4, value 4, 1 entry}).

    None if it worked or this machine's bpf(2) number is unknown, else errno
    when it is EPERM, EACCES or ENOSYS (other errors count as working)."""
    nr = syscall_numbers.get(platform.machine())
    if nr is None:
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    attr = (ctypes.c_uint32 * 32)(2, 4, 4, 1)
    fd = libc.syscall(ctypes.c_long(nr), ctypes.c_int(0), attr, ctypes.c_uint(ctypes.sizeof(attr)))
    if fd >= 0:
        os.close(fd)
        return None
    err = ctypes.get_errno()
    return err if err in (errno.EPERM, errno.EACCES, errno.ENOSYS) else None


def die_with_parent():
    """preexec_fn: PR_SET_PDEATHSIG SIGTERM."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM, 0, 0, 0)


class Daemon:
    """A traceed process whose stdout/stderr lines are collected by threads.

    Subclasses set self.argv, then call self.spawn() and self.wait_ready()."""

    decode_stdout = True

    def __init__(self, argv):
        self.argv = argv
        self.out = []      # stdout lines (str, or bytes without decode_stdout)
        self.err = []      # stderr lines (str)
        self.proc = None
        self.cond = threading.Condition()
        self.eof = 0

    def _reader(self, stream, sink, decode):
        for raw in iter(stream.readline, b''):
            with self.cond:
                if decode:
                    sink.append(raw.decode('utf-8', 'replace').rstrip('\n'))
                else:
                    sink.append(raw[:-1] if raw.endswith(b'\n') else raw)
                self.cond.notify_all()
        with self.cond:
            self.eof += 1
            self.cond.notify_all()

    def spawn(self, env=None):
        self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, preexec_fn=die_with_parent, env=env)
        self.threads = [threading.Thread(target=self._reader,
                                         args=(self.proc.stdout, self.out, self.decode_stdout),
                                         daemon=True),
                        threading.Thread(target=self._reader, args=(self.proc.stderr, self.err, True),
                                         daemon=True)]
        for t in self.threads:
            t.start()

    def wait_ready(self, timeout):
        """True once "traceed: ready" is on stderr; False if both streams
        closed first or timeout seconds passed."""
        ready = lambda: any(READY_LINE in l for l in self.err)
        with self.cond:
            self.cond.wait_for(lambda: ready() or self.eof == 2, timeout=timeout)
            return ready()

    def wait_ready_or_raise(self, timeout, note=''):
        """After spawn(): return once traceed is ready; raise Skip when it
        exited saying it cannot use BPF here, Failure otherwise (@note is
        added to the message)."""
        if self.wait_ready(timeout):
            return
        try:
            rc = self.proc.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Failure('no "%s" on stderr within %.0f s' % (READY_LINE, timeout))
        for t in self.threads:
            t.join(5)
        text = '\n'.join(self.err)
        if rc != 0 and NO_BPF_RE.search(text):
            raise Skip('traceed cannot use BPF here (exit %d): %s' % (rc, text.strip()))
        raise Failure('traceed exited with %d before "%s"%s: %s'
                      % (rc, READY_LINE, note, text.strip()[-2000:]))

    def interrupt(self, timeout):
        """Stop with SIGINT as a person at the terminal would; raise Failure
        unless traceed exits 0 within @timeout seconds.  The reader
        threads are joined, so self.out and self.err are complete."""
        self.proc.send_signal(signal.SIGINT)
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise Failure('traceed did not exit within %.0f s of SIGINT' % timeout)
        for t in self.threads:
            t.join(10)
        check(rc == 0, 'traceed exit status after SIGINT: %d' % rc)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


# --- a private system bus ----------------------------------------------------

# tools/private-system-bus.conf.in, shared with tools/try-service.sh
BUS_CONF_IN = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                           'tools', 'private-system-bus.conf.in')

# What polkit's own bus policy (org.freedesktop.PolicyKit1.conf) allows, for
# a mock polkitd on the private bus.
POLKIT_POLICY = '''  <policy user="root">
    <allow own="org.freedesktop.PolicyKit1"/>
  </policy>
  <policy context="default">
    <allow send_destination="org.freedesktop.PolicyKit1"/>
  </policy>'''


class PrivateBus:
    """dbus-daemon with the system bus's default policy plus @conf (a bus
    policy file, e.g. dbus/org.traceed1.conf) and @extra policy XML, on a
    socket in @tmpdir (made world-searchable so other users can connect).
    self.address is the bus address; stop() ends it."""

    def __init__(self, tmpdir, conf, extra=''):
        os.chmod(tmpdir, 0o755)
        self.sock = os.path.join(tmpdir, 'system_bus_socket')
        self.cfg = os.path.join(tmpdir, 'bus.conf')
        with open(BUS_CONF_IN) as f:
            text = f.read()
        text = text.replace('@SOCK@', self.sock).replace('@EXTRA@', extra)
        with open(self.cfg, 'w') as f:
            f.write(text.replace('@POLICY@', os.path.abspath(conf)))
        # without the server's guid, as on a real system: a client may
        # connect again to a restarted bus
        self.plain_address = 'unix:path=' + self.sock
        self.start()

    def start(self):
        self.proc = subprocess.Popen(['dbus-daemon', f'--config-file={self.cfg}', '--nofork',
                                      '--nosyslog', '--print-address=1'],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     preexec_fn=die_with_parent)
        self.address = self.proc.stdout.readline().strip()
        if not self.address:
            self.proc.wait(timeout=5)
            self.error = self.proc.stderr.read().strip()
        else:
            self.error = None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=5)


def reexec_with_modules(modules):
    """Make sure this script runs under a python3 that has @modules (Debian's
    /usr/bin/python3 has python3-dbus and python3-dbusmock when the one that
    started us, e.g. a pyenv, does not).  Returns a missing module's name
    when no interpreter has them all, else None (or does not return)."""
    probe = 'import ' + ', '.join(modules)
    try:
        exec(probe, {})
        return None
    except ImportError:
        pass
    py = '/usr/bin/python3'
    if os.path.realpath(sys.executable) != os.path.realpath(py) and os.access(py, os.X_OK) and \
            subprocess.run([py, '-c', probe], cwd='/', capture_output=True).returncode == 0:
        os.execv(py, [py] + sys.argv)
    for m in modules:
        try:
            __import__(m)
        except ImportError:
            return m
    return None
