#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# event-rate.sh — the highest event rate that reaches traceed's user space
# with zero drops.
#
#   sudo bench/event-rate.sh [options] PATH/TO/traceed
#
#   -d SECS      length of one step (default 5)
#   -p PATH      file the generator opens (default /etc/hostname; a path that
#                does not exist, e.g. /nonexistent/x, gives failing openat
#                calls: still one event each, half the generator cost)
#   -w N         generator processes (default 1)
#   -O FILE      traceed's JSON output goes to FILE instead of /dev/null
#   -b MIB       traceed --buffer-size
#   -n           no CPU pinning (default: traceed on CPU 0, generator on the others)
#   -o DIR       keep logs and raw results in DIR (default: a temp dir)
#
# Method.  traceed runs with `--events openat --output json`; a paced
# generator (bench/loops.c openrate) does open+close at a fixed total rate
# for SECS seconds; traceed is stopped with SIGINT and its summary
# "N events seen, M lost" read.  The rate goes up step by step
# (x1.5) until events are lost or the generator cannot reach the target,
# then one unpaced step (as fast as the generator can), then a bisection
# between the highest clean step and the lowest lossy one.  A step is clean
# when lost == 0 and traceed saw at least as many events as the generator
# made.  The result is the generator rate of the highest clean step (the
# system's other openat calls, also seen, are not credited).  Every step starts a fresh traceed, so no step inherits
# a backlog.
set -euo pipefail

DUR=5
OPATH=/etc/hostname
WORKERS=1
OUTFILE=/dev/null
BUFSZ=
PIN=1
OUTDIR=
CMDLINE="$0 $*"

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'; exit "${1:-2}"; }

while getopts "d:p:w:O:b:no:h" opt; do
	case $opt in
	d) DUR=$OPTARG ;;
	p) OPATH=$OPTARG ;;
	w) WORKERS=$OPTARG ;;
	O) OUTFILE=$OPTARG ;;
	b) BUFSZ=$OPTARG ;;
	n) PIN=0 ;;
	o) OUTDIR=$OPTARG ;;
	h) usage 0 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
TRACEED=$(readlink -f "$1")
[ -x "$TRACEED" ] || { echo "event-rate.sh: $1 is not executable" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "event-rate.sh: must run as root (BPF)" >&2; exit 1; }

NCPU=$(nproc)
if [ "$PIN" -eq 1 ] && [ "$NCPU" -ge 2 ]; then
	GPIN=(taskset -c "1-$((NCPU - 1))")
	TPIN=(taskset -c 0)
	PINDESC="traceed on CPU 0, generator on CPU 1-$((NCPU - 1))"
else
	GPIN=()
	TPIN=()
	PINDESC="not pinned"
fi

WORK=$(mktemp -d /tmp/traceed-rate.XXXXXX)
[ -n "$OUTDIR" ] || OUTDIR=$WORK/out
mkdir -p "$OUTDIR"
BENCHDIR=$(dirname "$(readlink -f "$0")")
# shellcheck source=lib.sh
. "$BENCHDIR/lib.sh"
cleanup() {
	te_kill
	rm -rf "${WORK:?}/bin"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p "$WORK/bin"
${CC:-cc} -O2 -Wall -o "$WORK/bin/loops" "$BENCHDIR/loops.c"
LOOPS=$WORK/bin/loops

te_warn_others event-rate.sh

start_traceed() {
	local args=(--events openat)
	[ -z "$BUFSZ" ] || args+=(--buffer-size "$BUFSZ")
	te_start "$1" "$OUTFILE" "${args[@]}"
}

RAW=$OUTDIR/event-rate.tsv
printf 'step\ttarget_per_s\tgenerated\tgen_per_s\tbehind_slots\tseen\tlost\tseen_per_s\tclean\n' >"$RAW"
STEP=0
BEST=0 BEST_TARGET=0 BEST_SEEN=0
# step TARGET -> sets LAST_CLEAN (1/0), LAST_GEN_RATE, LAST_SEEN_RATE
step() {
	local target=$1 log out ops ns behind seen lost gps sps clean
	STEP=$((STEP + 1))
	log=$OUTDIR/traceed-step$STEP.log
	start_traceed "$log"
	out=$("${GPIN[@]}" "$LOOPS" openrate "$target" "$DUR" "$WORKERS" "$OPATH")
	te_stop "$log"
	seen=$TE_SEEN lost=$TE_LOST
	ops=$(echo "$out" | sed -n 's/.* ops=\([0-9]*\) .*/\1/p')
	ns=$(echo "$out" | sed -n 's/.* ns=\([0-9]*\) .*/\1/p')
	behind=$(echo "$out" | sed -n 's/.* behind_slots=\([0-9]*\).*/\1/p')
	gps=$(awk -v o="$ops" -v n="$ns" 'BEGIN { printf "%.0f", o * 1e9 / n }')
	if [[ "$seen" =~ ^[0-9]+$ ]]; then
		sps=$(awk -v o="$seen" -v n="$ns" 'BEGIN { printf "%.0f", o * 1e9 / n }')
		# clean: nothing lost, and every generated openat arrived
		clean=$([ "$lost" -eq 0 ] && [ "$seen" -ge "$ops" ] && echo 1 || echo 0)
	else
		sps='?' clean=0
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$STEP" "$target" "$ops" "$gps" "$behind" \
		"$seen" "$lost" "$sps" "$clean" >>"$RAW"
	printf 'step %2d  target %8s/s  generated %8s/s  seen %8s/s  lost %-9s %s\n' "$STEP" \
		"$([ "$target" -eq 0 ] && echo max || echo "$target")" "$gps" "$sps" "$lost" \
		"$([ "$clean" -eq 1 ] && echo clean || echo LOSSY)"
	LAST_CLEAN=$clean LAST_GEN_RATE=$gps
	# credit only the generator's events (all of which arrived when clean),
	# not the system's other openat calls that traceed also saw
	if [ "$clean" -eq 1 ] && [ "$gps" -gt "$BEST" ]; then
		BEST=$gps BEST_TARGET=$target BEST_SEEN=$sps
	fi
}

{
	echo "# traceed event rate: $(date -u +%Y-%m-%dT%H:%MZ) kernel $(uname -r), $NCPU CPUs"
	echo "# before start: ${TE_BUSY}% CPU busy, load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# command: $CMDLINE  (steps of ${DUR}s, $WORKERS generator process(es) opening $OPATH, output to $OUTFILE, $PINDESC)"
} | tee "$OUTDIR/header.txt"

rate=50000
first_bad=0
while :; do
	step "$rate"
	if [ "$LAST_CLEAN" -eq 0 ]; then
		first_bad=$rate
		break
	fi
	# the generator, not traceed, is the limit
	if [ "$LAST_GEN_RATE" -lt $((rate * 95 / 100)) ]; then
		break
	fi
	rate=$((rate * 3 / 2))
	[ "$rate" -le 5000000 ] || break
done
step 0 # unpaced: as fast as the generator goes while traced
if [ "$LAST_CLEAN" -eq 0 ] && { [ "$first_bad" -eq 0 ] || [ "$LAST_GEN_RATE" -lt "$first_bad" ]; }; then
	first_bad=$LAST_GEN_RATE
fi
# bisect between the best clean target and the first lossy rate
if [ "$first_bad" -gt 0 ]; then
	lo=$BEST_TARGET hi=$first_bad
	[ "$lo" -gt 0 ] || lo=$BEST
	for _ in 1 2 3; do
		[ $((hi - lo)) -gt $((hi / 20)) ] || break
		mid=$(((lo + hi) / 2))
		step "$mid"
		if [ "$LAST_CLEAN" -eq 1 ]; then lo=$mid; else hi=$mid; fi
	done
fi

echo
if [ "$BEST" -gt 0 ]; then
	echo "highest clean rate: $BEST generated events/s reached user space with 0 lost (traceed saw $BEST_SEEN/s in all)" | tee "$OUTDIR/summary.txt"
else
	echo "no clean step" | tee "$OUTDIR/summary.txt"
fi
[ "$first_bad" -gt 0 ] && echo "first lossy rate: ~$first_bad/s" | tee -a "$OUTDIR/summary.txt"
[ "$first_bad" -gt 0 ] || echo "no step lost events: the generator was the limit" | tee -a "$OUTDIR/summary.txt"
echo "raw results: $RAW"
