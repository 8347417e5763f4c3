#!/bin/sh
# Rule engine throughput (bench/engine-bench.c), pinned to one CPU.
#
#   bench/engine-bench.sh [-b BUILDDIR] [-c CPU] [-- ENGINE-BENCH-ARGS...]
#     -b BUILDDIR  meson build directory (default: build)
#     -c CPU       CPU to pin to with taskset (default: the last one)
#   ENGINE-BENCH-ARGS: -n EVENTS -r RUNS -p POOL -g NRULES -R RULES
#                      -e EVENTS.jsonl -k GENERATED.yaml (engine-bench -h)
#
# Runs BUILDDIR/bench/engine-bench, which meson builds against the engine
# library (bench/meson.build).  Run from anywhere; the default rules are the
# source tree's rules/.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
cpu=
while getopts b:c:h opt; do
	case $opt in
	b) build=$(cd "$OPTARG" && pwd) ;;
	c) cpu=$OPTARG ;;
	*) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ -n "$cpu" ] || cpu=$(($(nproc) - 1))

bin=$build/bench/engine-bench
[ -x "$bin" ] || { echo "engine-bench.sh: no $bin: build first (ninja -C $build)" >&2; exit 1; }
echo "engine-bench.sh: $bin on CPU $cpu, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(git -C "$top" describe --always --dirty 2>/dev/null || echo no-git)"
cd "$top"
taskset -c "$cpu" "$bin" "$@"
