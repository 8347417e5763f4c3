#!/bin/sh
# From a fresh Debian 12 machine: install dependencies, build, and run
# `traceed --foreground` (as root).  Extra arguments go to traceed, e.g.
#   sudo tools/run-foreground.sh --output json --events ptrace,openat
set -eu
cd "$(dirname "$0")/.."
tools/install-deps.sh
[ -d build ] || meson setup build
ninja -C build
exec build/daemon/traceed --foreground "$@"
