#!/bin/bash
# The Debian packaging: `dpkg-buildpackage -us -uc -b` builds the .deb from
# this tree (working-tree files, so uncommitted changes are what is tested),
# `dpkg-source -b` makes the .dsc, the .deb holds the expected files and
# conffile, and lintian reports no error and no warning on either (the
# overrides in debian/traceed.lintian-overrides say why each is there).
# Tests run in the build are skipped (nocheck): CI runs them itself.
#
# Exit 77 when dpkg-buildpackage or lintian is missing (1 under
# TRACEED_TEST_STRICT=1).  SRC_DIR: the source tree.
set -u
SRC_DIR=${SRC_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}

skip() {
	echo "SKIP: $*"
	if [ "${TRACEED_TEST_STRICT:-}" = 1 ]; then exit 1; fi
	exit 77
}
fail() {
	echo "FAIL: $*"
	exit 1
}

for t in dpkg-buildpackage dpkg-source lintian dh git setpriv; do
	command -v "$t" >/dev/null || skip "$t not installed (dpkg-dev, debhelper, lintian, git)"
done

tmp=$(mktemp -d /tmp/traceed-deb.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
version=$(dpkg-parsechangelog -l "$SRC_DIR/debian/changelog" -S Version)
for d in bin src; do
	mkdir -p "$tmp/$d/traceed-$version"
	(cd "$SRC_DIR" && git ls-files -co --exclude-standard -z) |
		(cd "$SRC_DIR" && xargs -0 cp --parents -t "$tmp/$d/traceed-$version") ||
		fail "copying the tree"
done

(cd "$tmp/src/traceed-$version" && dpkg-source -b . >"$tmp/source.log" 2>&1) ||
	{ cat "$tmp/source.log"; fail "dpkg-source -b"; }
echo "ok: dpkg-source -b made traceed_$version.dsc"
(cd "$tmp/bin/traceed-$version" &&
	DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b >"$tmp/build.log" 2>&1) ||
	{ tail -50 "$tmp/build.log"; fail "dpkg-buildpackage -us -uc -b"; }
deb=$tmp/bin/traceed_${version}_amd64.deb
[ -f "$deb" ] || fail "no $deb"
echo "ok: dpkg-buildpackage -us -uc -b made $(basename "$deb")"

missing=0
for f in ./usr/sbin/traceed ./usr/bin/tracectl ./lib/systemd/system/traceed.service \
	./lib/systemd/system/traceed.socket ./usr/share/dbus-1/system.d/org.traceed1.conf \
	./usr/share/dbus-1/system-services/org.traceed1.service \
	./usr/share/dbus-1/interfaces/org.traceed1.Manager.xml \
	./usr/share/polkit-1/actions/org.traceed1.policy ./usr/lib/systemd/catalog/traceed.catalog \
	./usr/share/traceed/rules/10-tracee-signatures.yaml ./etc/traceed/traceed.yaml \
	./etc/traceed/rules.d/ ./usr/share/man/man8/traceed.8.gz ./usr/share/man/man1/tracectl.1.gz \
	./usr/share/man/man5/traceed.conf.5.gz ./usr/share/man/man5/traceed.rules.5.gz \
	./usr/share/bash-completion/completions/tracectl; do
	if ! dpkg-deb -c "$deb" | awk '{print $6}' | grep -qx -- "$f"; then
		echo "missing from the .deb: $f"
		missing=1
	fi
done
[ $missing = 0 ] || fail "the .deb lacks files"
dpkg-deb -I "$deb" conffiles | grep -qx /etc/traceed/traceed.yaml ||
	fail "/etc/traceed/traceed.yaml is not a conffile"
dpkg-deb -I "$deb" postinst | grep -q deb-systemd-helper ||
	fail "the postinst does not enable the units"
echo "ok: the .deb holds the binaries, units, D-Bus, polkit, catalog, rules, man pages and conffile"

# lintian refuses to be trusted as root: run it as nobody.
chmod -R a+rX "$tmp"
out=$(cd / && setpriv --reuid=65534 --regid=65534 --clear-groups -- \
	lintian --pedantic --display-info "$deb" "$tmp/src/traceed_$version.dsc" 2>&1)
rc=$?
echo "$out" | sed 's/^/lintian: /'
# 0: clean, 1: tags found (judged below); anything else: lintian did not run
[ $rc -le 1 ] || fail "lintian exited $rc"
if echo "$out" | grep -qE '^[EW]: '; then
	fail "lintian reported errors or warnings"
fi
echo "ok: lintian: no errors, no warnings"
