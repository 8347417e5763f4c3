#!/bin/sh
# From a fresh Debian 12 machine: install dependencies, build, and run
# `traceed --foreground` with the rules of this tree (as root): detections
# are printed as they happen.  Extra arguments go to traceed, e.g.
#   sudo tools/run-foreground.sh --output json
#   sudo tools/run-foreground.sh --events ptrace,openat    # print these events too
set -eu
cd "$(dirname "$0")/.."
tools/install-deps.sh
[ -d build ] || meson setup build
ninja -C build
exec build/daemon/traceed --foreground --rules rules "$@"
