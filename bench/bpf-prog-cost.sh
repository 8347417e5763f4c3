#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bpf-prog-cost.sh — where the traced time goes: run one loop under traceed
# with the kernel's BPF run-time statistics on (kernel.bpf_stats_enabled)
# and print, per traceed BPF program, how often it ran and its mean
# run time.  The statistics themselves add two clock reads per program run,
# so use this for attribution, not for the overhead numbers
# (bench/overhead.sh).
#
#   sudo bench/bpf-prog-cost.sh [-e EVENTS] [-w WORKLOAD] [-N COUNT] PATH/TO/traceed
#
#   -e EVENTS    traceed --events (default: openat; "all" = every event)
#   -w WORKLOAD  getppid | openclose | forkexec (default openclose)
#   -N COUNT     loop iterations (default 300000; forkexec: 300)
set -euo pipefail

EVENTS=openat
WL=openclose
N=
while getopts "e:w:N:h" opt; do
	case $opt in
	e) EVENTS=$OPTARG ;;
	w) WL=$OPTARG ;;
	N) N=$OPTARG ;;
	*) sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || { echo "usage: $0 [-e EVENTS] [-w WORKLOAD] [-N COUNT] traceed" >&2; exit 2; }
TRACEED=$(readlink -f "$1")
[ "$(id -u)" -eq 0 ] || { echo "bpf-prog-cost.sh: must run as root" >&2; exit 1; }
command -v bpftool >/dev/null || { echo "bpf-prog-cost.sh: needs bpftool" >&2; exit 1; }
[ -n "$N" ] || { [ "$WL" = forkexec ] && N=300 || N=300000; }

WORK=$(mktemp -d /tmp/traceed-progcost.XXXXXX)
OLD_STATS=$(sysctl -n kernel.bpf_stats_enabled)
TPID=
cleanup() {
	if [ -n "$TPID" ] && kill -0 "$TPID" 2>/dev/null; then
		kill -INT "$TPID" 2>/dev/null || true
		wait "$TPID" 2>/dev/null || true
	fi
	sysctl -qw kernel.bpf_stats_enabled="$OLD_STATS"
	rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

${CC:-cc} -O2 -Wall -o "$WORK/loops" "$(dirname "$(readlink -f "$0")")/loops.c"
args=()
if [ "$EVENTS" = all ]; then args=(--events syscalls,proc); else args=(--events "$EVENTS"); fi
PIN=()
[ "$(nproc)" -lt 2 ] || PIN=(taskset -c 0)
WPIN=()
[ "$(nproc)" -lt 2 ] || WPIN=(taskset -c "$(($(nproc) - 1))")

env --default-signal=INT "${PIN[@]}" "$TRACEED" --foreground --output json "${args[@]}" \
	>/dev/null 2>"$WORK/log" &
TPID=$!
for _ in $(seq 300); do
	grep -q '^traceed: ready' "$WORK/log" && break
	kill -0 "$TPID" 2>/dev/null || { tail -n 20 "$WORK/log" >&2; exit 1; }
	sleep 0.1
done
grep -q '^traceed: ready' "$WORK/log" || { echo "traceed not ready" >&2; exit 1; }

# programs owned by traceed: the prog_id of each BPF fd it holds
IDS=$(grep -h '^prog_id:' /proc/"$TPID"/fdinfo/* 2>/dev/null | awk '{ print $2 }' | sort -u | tr '\n' ' ')
[ -n "$IDS" ] || { echo "bpf-prog-cost.sh: found no BPF program fds in traceed" >&2; exit 1; }
snap() {
	bpftool prog show -j | python3 -c '
import json, sys
ids = {int(x) for x in sys.argv[1].split()}
for p in json.load(sys.stdin):
    if p["id"] in ids:
        print(p["id"], p["name"], p.get("run_cnt", 0), p.get("run_time_ns", 0))
' "$IDS"
}
sysctl -qw kernel.bpf_stats_enabled=1
snap >"$WORK/before"
out=$("${WPIN[@]}" "$WORK/loops" "$WL" "$N")
snap >"$WORK/after"
sysctl -qw kernel.bpf_stats_enabled="$OLD_STATS"
kill -INT "$TPID"
wait "$TPID" 2>/dev/null || true
TPID=

echo "# $(date -u +%Y-%m-%dT%H:%MZ) kernel $(uname -r); traceed --events $EVENTS; $out"
echo "| program | runs | runs per op | mean ns per run | ns per op |"
echo "|---|---|---|---|---|"
join <(sort "$WORK/before") <(sort "$WORK/after") | awk -v n="$N" '
	{ c = $6 - $3; t = $7 - $4; if (c <= 0) next
	  printf "| %s | %d | %.2f | %.0f | %.0f |\n", $2, c, c / n, t / c, t / n; tot += t }
	END { printf "| **total** | | | | **%.0f** |\n", tot / n }'
grep -o '[0-9]* events seen, [0-9]* lost' "$WORK/log" | tail -1
