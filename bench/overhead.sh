#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# overhead.sh — what tracing costs the traced: three syscall loops run
# without traceed and with traceed attached, in the same round.
#
#   sudo bench/overhead.sh [options] PATH/TO/traceed
#
#   -r ROUNDS     rounds (default 7); the result is the median over rounds
#   -k RUNS       runs per phase, best (fastest) kept (default 5)
#   -w LIST       workloads, comma-separated (default getppid,openclose,forkexec)
#   -s LIST       restrict selections to these names (default: all listed below)
#   -C            no control phase (see below)
#   -n            no CPU pinning (default: workload on the last CPU, traceed on CPU 0)
#   -o DIR        keep raw results and traceed logs in DIR (default: a temp dir)
#   -q            quick: smaller loops, 3 rounds x 3 runs (smoke test, not a result)
#
# Loop sizes can be overridden: GETPPID_N, OPENCLOSE_N, FORKEXEC_N.
#
# Method.  For each round and each workload, one baseline phase (no traceed)
# and one traced phase per event selection run back to back; the order is
# reversed on every other round so slow drift (thermal, neighbours on the
# host) cancels.  A phase is K runs of the loop; the fastest run counts (the
# noise on these machines is one-sided: other things only ever make a run
# slower).  overhead(round) = best_traced / best_baseline - 1, and the
# reported number is the median over rounds.  That is wall-clock time; the
# same ratio of CPU time (user+sys of the loop and its children) is reported
# next to it: it includes the BPF programs that run in the loop's syscalls
# but not traceed's own consumer, and is less disturbed by other load.  traceed is started per traced
# phase, the runs start only after it printed "ready", and it is stopped
# with SIGINT afterwards; its "N events seen, M lost" summary and the CPU
# time it used during the runs are recorded.
#
# Control.  Each round also repeats the baseline at the far end of the
# round ("control": no traceed either time).  Its spread is the noise floor
# of this machine for the same comparison; a traced number inside it is not
# a measurable cost.
#
# Selections (what the traced phase passes to --events):
#   all        --events syscalls,proc: every event traceed knows
#   detection  the events the shipped detection rules need
#   openat     only openat ("open events selected")
# getppid and forkexec are measured under all and detection, openclose under
# openat, detection and all.
set -euo pipefail

ROUNDS=7
RUNS=5
WORKLOADS=getppid,openclose,forkexec
ONLY_SEL=
PIN=1
OUTDIR=
QUICK=0
CONTROL=1
CMDLINE="$0 $*"

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'; exit "${1:-2}"; }

while getopts "r:k:w:s:Cno:qh" opt; do
	case $opt in
	r) ROUNDS_OPT=$OPTARG ;;
	k) RUNS_OPT=$OPTARG ;;
	w) WORKLOADS=$OPTARG ;;
	s) ONLY_SEL=$OPTARG ;;
	C) CONTROL=0 ;;
	n) PIN=0 ;;
	o) OUTDIR=$OPTARG ;;
	q) QUICK=1 ;;
	h) usage 0 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
TRACEED=$(readlink -f "$1")
[ -x "$TRACEED" ] || { echo "overhead.sh: $1 is not executable" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "overhead.sh: must run as root (BPF)" >&2; exit 1; }

if [ "$QUICK" -eq 1 ]; then
	ROUNDS=3 RUNS=3
	: "${GETPPID_N:=100000}" "${OPENCLOSE_N:=30000}" "${FORKEXEC_N:=60}"
fi
ROUNDS=${ROUNDS_OPT:-$ROUNDS}
RUNS=${RUNS_OPT:-$RUNS}
# ~0.3 s per run on the reference machine (getppid ~1 us, open+close ~3 us,
# fork+exec ~2.4 ms per iteration there)
: "${GETPPID_N:=300000}" "${OPENCLOSE_N:=100000}" "${FORKEXEC_N:=150}"

DETECTION=sched_process_exec,execve,ptrace,openat,process_vm_writev,memfd_create,mprotect,connect,dup2,init_module,finit_module
sel_events() {
	case $1 in
	all) echo "syscalls,proc" ;;
	detection) echo "$DETECTION" ;;
	openat) echo "openat" ;;
	*) echo "overhead.sh: unknown selection $1" >&2; exit 1 ;;
	esac
}
workload_sels() {
	case $1 in
	getppid) echo "all detection" ;;
	openclose) echo "openat detection all" ;;
	forkexec) echo "all detection" ;;
	*) echo "overhead.sh: unknown workload $1" >&2; exit 1 ;;
	esac
}
workload_n() {
	case $1 in
	getppid) echo "$GETPPID_N" ;;
	openclose) echo "$OPENCLOSE_N" ;;
	forkexec) echo "$FORKEXEC_N" ;;
	esac
}

NCPU=$(nproc)
if [ "$PIN" -eq 1 ] && [ "$NCPU" -ge 2 ]; then
	WCPU=$((NCPU - 1))
	WPIN=(taskset -c "$WCPU")
	TPIN=(taskset -c 0)
	PINDESC="workload on CPU $WCPU, traceed on CPU 0"
else
	WPIN=()
	TPIN=()
	PINDESC="not pinned"
fi

WORK=$(mktemp -d /tmp/traceed-bench.XXXXXX)
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

te_warn_others overhead.sh

# run_phase WORKLOAD -> prints "WALL CPU": the best (lowest) wall-clock
# ns/op and the best CPU ns/op (user+sys of the loop and its children) of
# $RUNS runs
run_phase() {
	local w=$1 n out bw='' bc='' x c
	n=$(workload_n "$w")
	"${WPIN[@]}" "$LOOPS" "$w" "$((n / 10 + 1))" >/dev/null # warm-up (page cache, dentries)
	for _ in $(seq "$RUNS"); do
		out=$("${WPIN[@]}" "$LOOPS" "$w" "$n")
		x=$(echo "$out" | sed -n 's/.* ns_per_op=\([0-9.]*\) .*/\1/p')
		c=$(echo "$out" | sed -n 's/.* cpu_ns_per_op=\([0-9.]*\).*/\1/p')
		if [ -z "$x" ] || [ -z "$c" ]; then
			echo "overhead.sh: loops $w failed" >&2
			exit 1
		fi
		bw=$(awk -v a="$x" -v b="$bw" 'BEGIN { print (b == "" || a < b) ? a : b }')
		bc=$(awk -v a="$c" -v b="$bc" 'BEGIN { print (b == "" || a < b) ? a : b }')
	done
	echo "$bw $bc"
}

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# start_traceed SEL LOG -> sets TPID; waits for "ready"
start_traceed() {
	local ev args=()
	ev=$(sel_events "$1")
	[ -z "$ev" ] || args=(--events "$ev")
	te_start "$2" /dev/null "${args[@]}"
}

RAW=$OUTDIR/overhead.tsv
printf 'round\tworkload\tselection\tns_per_op\tbase_ns_per_op\toverhead_pct\tseen\tlost\ttraceed_cpu_s\tcpu_ns_per_op\tbase_cpu_ns_per_op\tcpu_overhead_pct\n' >"$RAW"
HZ=$(getconf CLK_TCK)

{
	echo "# traceed overhead: $(date -u +%Y-%m-%dT%H:%MZ) kernel $(uname -r), $NCPU CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'))"
	echo "# command: $CMDLINE  (rounds=$ROUNDS runs=$RUNS, $PINDESC)"
	echo "# before start: ${TE_BUSY}% CPU busy, load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "# loops: getppid N=$GETPPID_N, openclose N=$OPENCLOSE_N, forkexec N=$FORKEXEC_N; traceed: $TRACEED"
} | tee "$OUTDIR/header.txt"

for r in $(seq "$ROUNDS"); do
	for w in ${WORKLOADS//,/ }; do
		phases=(base)
		for s in $(workload_sels "$w"); do
			if [ -z "$ONLY_SEL" ] || [[ ",$ONLY_SEL," == *",$s,"* ]]; then
				phases+=("$s")
			fi
		done
		[ "$CONTROL" -eq 0 ] || phases+=(control)
		if [ $((r % 2)) -eq 0 ]; then # reverse order on even rounds
			rev=()
			for ((i = ${#phases[@]} - 1; i >= 0; i--)); do rev+=("${phases[i]}"); done
			phases=("${rev[@]}")
		fi
		declare -A res=() rcpu=() seen=() lost=() cpu=()
		for p in "${phases[@]}"; do
			if [ "$p" = base ] || [ "$p" = control ]; then
				read -r "res[$p]" "rcpu[$p]" < <(run_phase "$w")
				seen[$p]=- lost[$p]=- cpu[$p]=-
				continue
			fi
			log=$OUTDIR/traceed-r$r-$w-$p.log
			start_traceed "$p" "$log"
			t0=$(cpu_ticks "$TPID")
			read -r "res[$p]" "rcpu[$p]" < <(run_phase "$w")
			t1=$(cpu_ticks "$TPID")
			te_stop "$log"
			seen[$p]=$TE_SEEN lost[$p]=$TE_LOST
			cpu[$p]=$(awk -v a="$t0" -v b="$t1" -v hz="$HZ" 'BEGIN { printf "%.2f", (b - a) / hz }')
		done
		for p in "${phases[@]}"; do
			[ "$p" = base ] && continue
			pct=$(awk -v t="${res[$p]}" -v b="${res[base]}" 'BEGIN { printf "%.1f", (t / b - 1) * 100 }')
			cpct=$(awk -v t="${rcpu[$p]}" -v b="${rcpu[base]}" 'BEGIN { printf "%.1f", (t / b - 1) * 100 }')
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$r" "$w" "$p" "${res[$p]}" \
				"${res[base]}" "$pct" "${seen[$p]}" "${lost[$p]}" "${cpu[$p]}" \
				"${rcpu[$p]}" "${rcpu[base]}" "$cpct" >>"$RAW"
			if [ "$p" = control ]; then
				printf 'round %d  %-9s %-9s base %9.1f ns/op  again  %9.1f ns/op  %+6.1f%%  (no traceed either time)\n' \
					"$r" "$w" "$p" "${res[base]}" "${res[$p]}" "$pct"
			else
				printf 'round %d  %-9s %-9s base %9.1f ns/op  traced %9.1f ns/op  %+6.1f%%  (seen %s, lost %s, traceed cpu %ss)\n' \
					"$r" "$w" "$p" "${res[base]}" "${res[$p]}" "$pct" "${seen[$p]}" "${lost[$p]}" "${cpu[$p]}"
			fi
		done
		unset res rcpu seen lost cpu
	done
done

echo
echo "| workload | selection | baseline ns/op (median) | traced ns/op (median) | overhead, median of rounds | min..max | CPU-time overhead, median | lost (sum) | traceed CPU s (sum) |"
echo "|---|---|---|---|---|---|---|---|---|"
awk -F'\t' 'NR > 1 { k = $2 "\t" $3; if (!(k in n)) order[++nk] = k
	n[k]++; pct[k, n[k]] = $6; tr[k, n[k]] = $4; ba[k, n[k]] = $5; cp[k, n[k]] = $12
	if ($9 == "-") tcpu[k] = "-"; else tcpu[k] += $9
	if ($8 ~ /^[0-9]+$/) lost[k] += $8; else if ($8 == "-") lost[k] = "-"; else bad[k] = 1 }
	function median(arr, k, cnt,   i, j, t, v) {
		for (i = 1; i <= cnt; i++) v[i] = arr[k, i] + 0
		for (i = 2; i <= cnt; i++) { t = v[i]; for (j = i - 1; j >= 1 && v[j] > t; j--) v[j + 1] = v[j]; v[j + 1] = t }
		return cnt % 2 ? v[(cnt + 1) / 2] : (v[cnt / 2] + v[cnt / 2 + 1]) / 2
	}
	END { for (i = 1; i <= nk; i++) { k = order[i]; split(k, kk, "\t")
		lo = hi = pct[k, 1] + 0
		for (j = 2; j <= n[k]; j++) { v = pct[k, j] + 0; if (v < lo) lo = v; if (v > hi) hi = v }
		printf "| %s | %s | %.1f | %.1f | **%+.1f%%** | %+.1f..%+.1f%% | %+.1f%% | %s | %s |\n", kk[1], kk[2],
			median(ba, k, n[k]), median(tr, k, n[k]), median(pct, k, n[k]), lo, hi,
			median(cp, k, n[k]), bad[k] ? "?" : lost[k], tcpu[k] }
	}' "$RAW" | tee "$OUTDIR/summary.md"
echo
echo "raw results: $RAW"
