#!/bin/sh
# From a fresh Debian 12 machine: install dependencies, build, and run the
# whole test suite (as root, so the live BPF tests run).  Set
# TRACEED_TEST_STRICT=1 to turn skipped tests (missing root/BPF) into failures.
set -eu
cd "$(dirname "$0")/.."
tools/install-deps.sh
rm -rf build-test build-asan build-release
status=0

# A release build (-O3), as a distribution makes it, must be warning-free:
# built once with -Werror, without the tests.
meson setup build-release --buildtype=release -Dwerror_strict=true -Dtests=disabled
ninja -C build-release

meson setup build-test -Dwerror_strict=true
ninja -C build-test
meson test -C build-test --print-errorlogs || status=1

# The unit tests once more under AddressSanitizer and UBSan.
meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false
ninja -C build-asan
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --suite unit --print-errorlogs || status=1

# One closing line over both runs.
python3 - build-test/meson-logs/testlog.json build-asan/meson-logs/testlog.json <<'PY'
import json, sys
counts = {"OK": 0, "FAIL": 0, "SKIP": 0}
for path in sys.argv[1:]:
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            t = json.loads(line)
            r = t["result"]
            key = r if r in counts else "FAIL"   # TIMEOUT, ERROR, UNEXPECTEDPASS
            counts[key] += 1
            if key == "SKIP":
                # a skip is named with its reason, never just counted
                why = [l for l in (t.get("stdout") or "").splitlines() if l.strip()]
                print("skipped: %s: %s" % (t["name"], why[-1] if why else "(no reason given)"))
print("traceed: %d passed, %d failed, %d skipped" % (counts["OK"], counts["FAIL"], counts["SKIP"]))
PY
exit $status
