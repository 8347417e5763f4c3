#!/bin/sh
# Rule engine throughput (bench/engine-bench.c), pinned to one CPU.
#
#   bench/engine-bench.sh [-b BUILDDIR] [-c CPU] [-- ENGINE-BENCH-ARGS...]
#     -b BUILDDIR  meson build directory (default: build)
#     -c CPU       CPU to pin to with taskset (default: the last one)
#   ENGINE-BENCH-ARGS: -n EVENTS -r RUNS -p POOL -g NRULES -R RULES
#                      -e EVENTS.jsonl -k GENERATED.yaml (engine-bench -h)
#
# Uses BUILDDIR/bench/engine-bench when the build has it (meson subdir
# bench); otherwise compiles bench/engine-bench.c with cc -O2 against
# BUILDDIR/daemon/libtraceed-core.a into a temporary directory.  Run from
# anywhere; the default rules are the source tree's rules/.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build
cpu=
while getopts b:c:h opt; do
	case $opt in
	b) build=$(cd "$OPTARG" && pwd) ;;
	c) cpu=$OPTARG ;;
	*) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ -n "$cpu" ] || cpu=$(($(nproc) - 1))

bin=$build/bench/engine-bench
if [ ! -x "$bin" ]; then
	lib=$build/daemon/libtraceed-core.a
	[ -f "$lib" ] || { echo "engine-bench.sh: no $lib: build first (ninja -C $build)" >&2; exit 1; }
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	# shellcheck disable=SC2046
	${CC:-cc} -std=gnu11 -O2 -g -D_GNU_SOURCE -I"$top/daemon" -I"$top/bpf" \
		$(pkg-config --cflags yaml-0.1 json-c) "$top/bench/engine-bench.c" "$lib" \
		$(pkg-config --libs yaml-0.1 json-c) -o "$tmp/engine-bench"
	bin=$tmp/engine-bench
fi
echo "engine-bench.sh: $bin on CPU $cpu, $(date -u +%Y-%m-%dT%H:%M:%SZ), $(git -C "$top" describe --always --dirty 2>/dev/null || echo no-git)"
cd "$top"
taskset -c "$cpu" "$bin" "$@"
