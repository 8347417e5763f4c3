#!/bin/sh
# From a fresh Debian 12 machine: install dependencies, build, and run the
# whole test suite (as root, so the live BPF tests run).  Set
# TRACEED_TEST_STRICT=1 to turn skipped tests (missing root/BPF) into failures.
set -eu
cd "$(dirname "$0")/.."
tools/install-deps.sh
rm -rf build-test build-asan
meson setup build-test -Dwerror_strict=true
ninja -C build-test
meson test -C build-test --print-errorlogs
# The unit tests once more under AddressSanitizer and UBSan.
meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false
ninja -C build-asan
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
    meson test -C build-asan --suite unit --print-errorlogs
