#!/bin/sh
# Build the libFuzzer targets with clang (ASan + UBSan) straight from the
# sources and run each for a while.  Exits 0 when nothing crashed, 1 on a
# crash, leak, timeout or build failure, 77 (skip) when clang, libFuzzer or
# a library is missing -- a failure instead under TRACEED_TEST_STRICT=1.
#
#   tests/fuzz/run-fuzz.sh [-t SECONDS] [-o DIR] [TARGET...]
#     -t SECONDS  run time per target (default 60)
#     -o DIR      build and work directory (default: a new one under /tmp);
#                 kept, with the binaries, the grown corpora and any crash-*
#     TARGET      fuzz_condition, fuzz_ruleset (default: both)
#
# Reproduce a crash:   DIR/fuzz_condition DIR/fuzz_condition-crash-XXXX
# Fuzz longer:         tests/fuzz/run-fuzz.sh -t 3600 fuzz_ruleset
# CLANG=clang-16 picks the compiler.  The meson test 'fuzz' (suite fuzz)
# runs this with -t 30.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
secs=60
out=
while getopts t:o:h opt; do
	case $opt in
	t) secs=$OPTARG ;;
	o) out=$OPTARG ;;
	*) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
targets=${*:-fuzz_condition fuzz_ruleset}

skip() {
	if [ "${TRACEED_TEST_STRICT:-0}" = 1 ]; then
		echo "FAIL (TRACEED_TEST_STRICT=1 turns this skip into a failure): $*"
		exit 1
	fi
	echo "SKIP: $*"
	exit 77
}

cc=${CLANG:-}
if [ -z "$cc" ]; then
	for c in clang clang-19 clang-18 clang-17 clang-16 clang-15 clang-14; do
		if command -v "$c" >/dev/null 2>&1; then cc=$c; break; fi
	done
fi
[ -n "$cc" ] || skip "no clang (install clang and libclang-rt-14-dev)"
command -v pkg-config >/dev/null 2>&1 || skip "no pkg-config"
pkg-config --exists yaml-0.1 json-c || skip "libyaml or json-c development files missing"

if [ -z "$out" ]; then
	out=$(mktemp -d /tmp/traceed-fuzz.XXXXXX)
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)

# libFuzzer present?  (Debian: libclang-rt-NN-dev)
printf '#include <stdint.h>\n#include <stddef.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' \
	>"$out/probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$out/probe.c" -o "$out/probe" >"$out/probe.log" 2>&1; then
	cat "$out/probe.log"
	skip "$cc cannot link -fsanitize=fuzzer,address,undefined (install libclang-rt-14-dev)"
fi

# The targets link the rule library as meson builds it (tests/fuzz/meson.build
# with -Dfuzzing=true), compiled by clang with ASan, UBSan and libFuzzer's
# coverage instrumentation.
command -v meson >/dev/null 2>&1 || skip "no meson"
command -v ninja >/dev/null 2>&1 || skip "no ninja"
san="-fsanitize=address,undefined -fno-sanitize-recover=all"
echo "run-fuzz: building with $cc into $out/build"
if [ ! -f "$out/build/build.ninja" ]; then
	if ! CC=$cc meson setup "$out/build" "$top" -Dfuzzing=true -Dwerror_strict=false \
		-Dbuildtype=debugoptimized -Db_lundef=false \
		-Dc_args="$san -fsanitize=fuzzer-no-link -fno-omit-frame-pointer" \
		-Dc_link_args="$san" >"$out/setup.log" 2>&1; then
		cat "$out/setup.log"
		echo "run-fuzz: FAIL: meson setup"
		exit 1
	fi
fi
for t in $targets; do
	[ -f "$here/$t.c" ] || { echo "run-fuzz: no target $t"; exit 2; }
	if ! ninja -C "$out/build" "tests/fuzz/$t" >"$out/build-$t.log" 2>&1; then
		cat "$out/build-$t.log"
		echo "run-fuzz: FAIL: building $t"
		exit 1
	fi
	ln -sf "build/tests/fuzz/$t" "$out/$t"
done

status=0
for t in $targets; do
	case $t in
	fuzz_condition) seeds="$here/corpus/condition"; dict="$here/condition.dict"; max=4096 ;;
	fuzz_ruleset) seeds="$here/corpus/rules $top/rules"; dict="$here/rules.dict"; max=65536 ;;
	*) seeds=; dict=; max=4096 ;;
	esac
	work="$out/corpus-$t"
	mkdir -p "$work"
	set -- -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len="$max" \
		-print_final_stats=1 -artifact_prefix="$out/$t-"
	[ -n "$dict" ] && [ -f "$dict" ] && set -- "$@" -dict="$dict"
	echo "run-fuzz: $t for ${secs}s (seeds: $seeds)"
	# shellcheck disable=SC2086
	if ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0} \
	   UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
	   "$out/$t" "$@" "$work" $seeds >"$out/$t.log" 2>&1; then
		grep -E '^stat::(number_of_executed_units|peak_rss_mb)|cov:' "$out/$t.log" | tail -3
		echo "run-fuzz: $t: ok"
	else
		tail -60 "$out/$t.log"
		echo "run-fuzz: $t: FAIL; reproducer(s):"
		for a in "$out/$t"-*; do
			[ -f "$a" ] && echo "    $out/$t $a"
		done
		status=1
	fi
done
echo "run-fuzz: logs, corpora and binaries in $out"
exit $status
