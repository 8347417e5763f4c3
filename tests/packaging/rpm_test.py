#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Build rpm/traceed.spec with rpmbuild and check the package.

    rpm_test.py            build and check (about 2 minutes on 2 cores: the
                           whole project is configured, compiled and its
                           %check run inside rpmbuild; killed after 540 s)

What it does, all inside one temporary directory (removed at the end; set
TRACEED_RPM_KEEP=1 to keep it):

1. the spec's Version: equals project(version:) of meson.build;
2. a source tarball traceed-VERSION.tar.gz with top directory
   traceed-VERSION, made from the *working tree*: the files
   `git ls-files -co --exclude-standard` names (tracked and untracked, not
   ignored, as they are on disk now), so that uncommitted changes -- the
   spec itself included -- are what is built.  `git archive HEAD` or
   `git stash create` would leave out untracked files and test the last
   commit instead of the tree in front of you;
3. `rpmbuild -bb --nodeps --load=rpm/test/fedora-compat.macros` with
   _topdir, _tmppath and _dbpath in the temporary directory and HOME pointing
   there too (no ~/.rpmmacros, nothing written elsewhere).  --nodeps because
   Debian's rpm database is empty: it cannot tell that pkgconfig(libbpf) and
   the other BuildRequires are installed (as .debs).  The compat macros supply
   what Fedora's redhat-rpm-config, meson and systemd-rpm-macros define and
   Debian's rpm lacks; the spec itself stays Fedora's;
4. the package: its files (exactly the expected set, derived from the source
   tree: a file missing from %files fails rpmbuild, a file installed but not
   packaged fails it too, and a file packaged but not expected fails here),
   the directories it owns, /etc/traceed/traceed.yaml as
   %config(noreplace), /var/lib/traceed as %ghost, the systemd scriptlets
   for traceed.service and traceed.socket, Requires/Recommends, that %check
   ran the unit, replay and client suites, and that the packaged binaries
   run (--version).

Environment: TRACEED_SRC (the source tree; default: two levels up).  Exit 0
pass, 1 fail, 77 skip (rpmbuild, rpm or git missing, or the source is not a
git checkout); TRACEED_TEST_STRICT=1 makes a skip a failure.
"""
import glob
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
import testlib  # noqa: E402  (tests/testlib.py)
from testlib import Failure, Skip  # noqa: E402

SRC = os.path.abspath(os.environ.get('TRACEED_SRC') or os.path.dirname(os.path.dirname(HERE)))
SPEC = os.path.join(SRC, 'rpm', 'traceed.spec')
COMPAT = os.path.join(SRC, 'rpm', 'test', 'fedora-compat.macros')
UNITS = ('traceed.service', 'traceed.socket')
MAN_SUFFIX = re.compile(r'\.(gz|bz2|xz|zst)$')
BUILD_TIMEOUT = 540  # seconds; below the 600 of tests/packaging/meson.build, so the log tail gets printed

state = {'tmp': None, 'proc': None}
results = []


def note(name, ok, detail=''):
    results.append((name, ok))
    print('%s: %s%s' % ('PASS' if ok else 'FAIL', name, (' -- ' + detail) if detail else ''))
    sys.stdout.flush()


def meson_version():
    with open(os.path.join(SRC, 'meson.build')) as f:
        text = f.read()
    m = re.search(r"project\s*\((?:[^)]|\n)*?\bversion\s*:\s*'([^']+)'", text)
    if not m:
        raise Failure('no project(version : ...) in meson.build')
    return m.group(1)


def spec_tag(tag):
    with open(SPEC) as f:
        for line in f:
            m = re.match(r'%s:\s*(\S.*?)\s*$' % tag, line)
            if m:
                return m.group(1)
    raise Failure('no %s: in %s' % (tag, SPEC))


def clean_env(tmp):
    """What rpmbuild sees: a minimal environment, as in a build chroot.

    Nothing of the outer meson test run (MESON_*, TRACEED_TEST_STRICT,
    sanitizer options, CFLAGS) leaks into the package build."""
    return {
        'PATH': '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        'HOME': tmp,
        'TMPDIR': os.path.join(tmp, 'tmp'),
        'LANG': 'C.UTF-8',
        'PYTHONDONTWRITEBYTECODE': '1',
    }


def run(cmd, tmp, **kw):
    return subprocess.run(cmd, env=clean_env(tmp), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, **kw)


def make_tarball(tmp, version):
    top = 'traceed-%s' % version
    ls = subprocess.run(['git', '-C', SRC, 'ls-files', '-co', '--exclude-standard', '-z'],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if ls.returncode != 0:
        raise Skip('%s is not a git checkout (git ls-files: %s)' % (SRC, ls.stderr.decode().strip()))
    names = sorted(set(n for n in ls.stdout.decode().split('\0') if n))
    path = os.path.join(tmp, 'SOURCES', top + '.tar.gz')
    count = 0
    with tarfile.open(path, 'w:gz') as tar:
        for n in names:
            full = os.path.join(SRC, n)
            if not os.path.lexists(full):      # tracked but deleted in the tree
                continue
            tar.add(full, arcname=top + '/' + n, recursive=False)
            count += 1
    print('tarball: %s (%d files from the working tree)' % (path, count))
    return path


def rpm_eval(tmp, expr):
    r = run(['rpm', '--load=' + COMPAT, '--define', '_dbpath ' + os.path.join(tmp, 'rpmdb'),
             '--eval', expr], tmp)
    val = r.stdout.strip()
    if r.returncode != 0 or not val or '%' in val:
        raise Failure('rpm --eval %s: %r' % (expr, r.stdout))
    return val


def rpmbuild(tmp, log_path):
    cmd = ['rpmbuild', '-bb', '--nodeps',
           '--load=' + COMPAT,
           '--define', '_topdir ' + tmp,
           '--define', '_tmppath ' + os.path.join(tmp, 'tmp'),
           '--define', '_dbpath ' + os.path.join(tmp, 'rpmdb'),
           SPEC]
    print('+ ' + ' '.join(cmd))
    sys.stdout.flush()
    with open(log_path, 'w') as log:
        # Own session, so that a timeout (SIGTERM from meson) can take the
        # whole build down with it rather than leave it running.
        p = subprocess.Popen(cmd, env=clean_env(tmp), stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
        state['proc'] = p
        try:
            rc = p.wait(timeout=BUILD_TIMEOUT)
        except subprocess.TimeoutExpired:
            rc = None
        state['proc'] = None
        if rc is None:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()
    with open(log_path, errors='replace') as f:
        text = f.read()
    return rc, text


def query(tmp, rpmfile, *args):
    r = run(['rpm', '-qp', '--define', '_dbpath ' + os.path.join(tmp, 'rpmdb')] + list(args) + [rpmfile], tmp)
    if r.returncode != 0:
        raise Failure('rpm -qp %s: %s' % (' '.join(args), r.stdout))
    return r.stdout


def expected_files(unitdir, catalogdir):
    """The files the package must hold (the regular files meson installs plus
    what the spec adds), derived from the source tree."""
    files = {
        '/usr/sbin/traceed',
        '/usr/bin/tracectl',
        '/etc/traceed/traceed.yaml',
        catalogdir + '/traceed.catalog',
        '/usr/share/dbus-1/system.d/org.traceed1.conf',
        '/usr/share/dbus-1/system-services/org.traceed1.service',
        '/usr/share/dbus-1/interfaces/org.traceed1.Manager.xml',
        '/usr/share/polkit-1/actions/org.traceed1.policy',
        '/usr/share/bash-completion/completions/tracectl',
        '/usr/share/doc/traceed/README.md',
        '/usr/share/doc/traceed/webhooks.md',
        '/usr/share/licenses/traceed/COPYING',
        '/usr/share/licenses/traceed/COPYING.LGPL-2.1',
    }
    files |= {unitdir + '/' + u for u in UNITS}
    rules = sorted(os.path.basename(p) for p in glob.glob(os.path.join(SRC, 'rules', '*.yaml')))
    if not rules:
        raise Failure('no rules/*.yaml in the source tree')
    files |= {'/usr/share/traceed/rules/' + r for r in rules}
    man = [os.path.basename(p) for p in glob.glob(os.path.join(SRC, 'docs', '*.[1-8]'))]
    if not man:
        raise Failure('no man pages docs/*.[1-8] in the source tree')
    files |= {'/usr/share/man/man%s/%s' % (m[-1], m) for m in man}
    return files


OWNED_DIRS = ('/etc/traceed', '/etc/traceed/rules.d', '/usr/share/traceed',
              '/usr/share/traceed/rules', '/usr/share/doc/traceed', '/usr/share/licenses/traceed',
              '/var/lib/traceed')


def check_package(tmp, rpmfile, version, log):
    # --- %check ran the suites it names -------------------------------------
    ok = re.findall(r'^Ok:\s+(\d+)', log, re.M)
    fails = re.findall(r'^Fail:\s+(\d+)', log, re.M)
    seen = [s for s in ('test_decode', 'replay-', 'tracectl-util') if s not in log]
    note('check-ran', bool(ok) and int(ok[-1]) > 0 and fails and int(fails[-1]) == 0 and not seen,
         'meson test summary Ok=%s Fail=%s, missing from the log: %s' % (ok[-1:] or '?', fails[-1:] or '?', seen or 'none'))
    bad = [s for s in ('live', 'bus-', 'webhook-', 'journal-service', 'units-', 'socket-detection')
           if re.search(r'^\s*\d+/\d+ .*\b%s' % re.escape(s), log, re.M)]
    note('check-suites-restricted', not bad, 'root/BPF tests run in %%check: %s' % bad if bad else '')

    # --- header ---------------------------------------------------------------
    hdr = query(tmp, rpmfile, '--qf', '%{NAME}|%{VERSION}|%{ARCH}|%{LICENSE}').strip().split('|')
    note('header', hdr[0] == 'traceed' and hdr[1] == version and hdr[2] == 'x86_64' and 'GPL' in hdr[3],
         'name|version|arch|license = %s' % '|'.join(hdr))

    # --- files ----------------------------------------------------------------
    unitdir = rpm_eval(tmp, '%{_unitdir}')
    catalogdir = rpm_eval(tmp, '%{_journalcatalogdir}')
    rows = query(tmp, rpmfile, '--qf', '[%{FILEMODES:perms} %{FILEFLAGS:fflags}|%{FILENAMES}\n]')
    entries = {}
    for line in rows.splitlines():
        if not line.strip():
            continue
        meta, name = line.split('|', 1)
        perms, _, flags = meta.partition(' ')
        entries[name] = (perms, flags)
    listed = {MAN_SUFFIX.sub('', n) if n.startswith('/usr/share/man/') else n
              for n, (perms, _) in entries.items()
              if not perms.startswith('d') and not n.startswith('/usr/lib/.build-id')}
    want = expected_files(unitdir, catalogdir)
    missing = sorted(want - listed)
    extra = sorted(listed - want)
    note('files', not missing and not extra,
         'missing: %s; unexpected: %s' % (missing or 'none', extra or 'none'))
    print('  ' + '\n  '.join(sorted(entries)))

    notdir = [d for d in OWNED_DIRS if not entries.get(d, ('-', ''))[0].startswith('d')]
    note('directories', not notdir, 'not owned as directories: %s' % notdir if notdir else '')

    ghost = entries.get('/var/lib/traceed', ('', ''))[1]
    note('state-dir-ghost', 'g' in ghost, 'flags of /var/lib/traceed: %r' % ghost)

    conf = query(tmp, rpmfile, '--configfiles').split()
    flags = entries.get('/etc/traceed/traceed.yaml', ('', ''))[1]
    note('config', conf == ['/etc/traceed/traceed.yaml'] and 'c' in flags and 'n' in flags,
         '--configfiles %s, flags %r (want c and n: %%config(noreplace))' % (conf, flags))

    # --- scriptlets -----------------------------------------------------------
    scripts = query(tmp, rpmfile, '--scripts')
    parts = dict(re.findall(r'^(\w+) scriptlet \(using [^)]*\):\n(.*?)(?=^\w+ scriptlet \(|\Z)',
                            scripts, re.M | re.S))
    units = ' '.join(UNITS)
    want_scripts = {
        'postinstall': [r'\$1 -eq 1', r'preset ' + units, r'journalctl --update-catalog'],
        'preuninstall': [r'\$1 -eq 0', r'disable --now ' + units],
        'postuninstall': [r'\$1 -ge 1', r'try-restart ' + units],
    }
    for part, pats in want_scripts.items():
        body = parts.get(part, '')
        miss = [p for p in pats if not re.search(p, body)]
        note('scriptlet-' + part, not miss, 'missing %s in:\n%s' % (miss, body or scripts) if miss else '')

    # --- dependencies -----------------------------------------------------------
    reqs = query(tmp, rpmfile, '--requires')
    recs = query(tmp, rpmfile, '--recommends')
    need = [r for r in (r'^dbus\b', r'^systemd\b', r'^libbpf\.so', r'^libsystemd\.so', r'^libcurl\.so')
            if not re.search(r, reqs, re.M)]
    note('requires', not need and re.search(r'^polkit\b', recs, re.M),
         'missing requires %s; recommends: %s' % (need, recs.split()))

    # --- the packaged binaries run ---------------------------------------------
    root = os.path.join(tmp, 'extract')
    os.makedirs(root)
    # rpm2archive FILE writes FILE.tgz (the payload as a tar; no cpio needed)
    r = run(['rpm2archive', rpmfile], tmp)
    tgz = rpmfile + '.tgz'
    if r.returncode != 0 or not os.path.exists(tgz):
        note('binaries-run', False, 'rpm2archive: ' + r.stdout)
        return
    with tarfile.open(tgz) as tar:
        tar.extractall(root, **({'filter': 'tar'} if hasattr(tarfile, 'tar_filter') else {}))
    outs = []
    for b in ('usr/sbin/traceed', 'usr/bin/tracectl'):
        v = run([os.path.join(root, b), '--version'], tmp)
        outs.append(v.stdout.strip())
        if v.returncode != 0 or version not in v.stdout:
            note('binaries-run', False, '%s --version: rc %d, %r' % (b, v.returncode, v.stdout))
            return
    note('binaries-run', True, '; '.join(outs))


def body():
    testlib.exit_on_sigterm()
    for tool in ('rpmbuild', 'rpm', 'rpm2archive', 'git'):
        if not shutil.which(tool):
            raise Skip('%s not installed (Debian: apt-get install rpm git)' % tool)

    version = meson_version()
    spec_version = spec_tag('Version')
    note('version', spec_version == version,
         'rpm/traceed.spec Version: %s, meson.build project version %s' % (spec_version, version))

    tmp = state['tmp'] = tempfile.mkdtemp(prefix='traceed-rpm-')
    for d in ('SOURCES', 'SPECS', 'BUILD', 'BUILDROOT', 'RPMS', 'SRPMS', 'tmp', 'rpmdb'):
        os.makedirs(os.path.join(tmp, d))
    make_tarball(tmp, spec_version)

    log_path = os.path.join(tmp, 'rpmbuild.log')
    rc, log = rpmbuild(tmp, log_path)
    if rc != 0:
        tail = '\n'.join(log.splitlines()[-60:])
        note('rpmbuild', False, 'exit %s; last lines of the log:\n%s' % (
            'timeout after %ds' % BUILD_TIMEOUT if rc is None else rc, tail))
        raise Failure('rpmbuild failed')
    rpms = sorted(glob.glob(os.path.join(tmp, 'RPMS', '*', '*.rpm')))
    note('rpmbuild', len(rpms) == 1, 'packages: %s' % [os.path.basename(p) for p in rpms])
    if len(rpms) != 1:
        raise Failure('expected exactly one binary package')

    check_package(tmp, rpms[0], version, log)

    failed = [n for n, ok in results if not ok]
    if failed:
        raise Failure('%d of %d checks failed: %s' % (len(failed), len(results), ', '.join(failed)))
    print('all %d checks passed' % len(results))


def cleanup():
    p = state['proc']
    if p and p.poll() is None:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        p.wait()
    tmp = state['tmp']
    if tmp:
        if os.environ.get('TRACEED_RPM_KEEP') == '1':
            print('kept %s' % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    sys.exit(testlib.guarded(body, cleanup=cleanup))
