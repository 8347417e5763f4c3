# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash disable=SC2034,SC2153
# Shared by the bench/ scripts (sourced, not run).
#
# Expects: TRACEED (path), TPIN (array: CPU pinning prefix, may be empty).
# Provides: te_start, te_stop (TE_SEEN, TE_LOST), te_kill, te_busy, TPID.

TPID=

# te_start LOG STDOUT [traceed args...] — start traceed in the foreground
# mode with JSON output, wait for its "ready" line, set TPID.
te_start() {
	local log=$1 out=$2
	shift 2
	# background jobs of a non-interactive shell start with SIGINT ignored;
	# give traceed the default disposition so it sees the SIGINT we send
	env --default-signal=INT "${TPIN[@]}" "$TRACEED" --foreground --output json "$@" \
		>"$out" 2>"$log" &
	TPID=$!
	for _ in $(seq 300); do
		grep -q '^traceed: ready' "$log" && return 0
		if ! kill -0 "$TPID" 2>/dev/null; then
			echo "bench: traceed exited before ready:" >&2
			tail -n 30 "$log" >&2
			exit 1
		fi
		sleep 0.1
	done
	echo "bench: traceed not ready after 30 s" >&2
	tail -n 30 "$log" >&2
	exit 1
}

# te_stop LOG — SIGINT, wait (20 s at most, then SIGKILL), set TE_SEEN and
# TE_LOST from traceed's summary line ("?" when there is none).  Call it in
# the main shell (not in $(...)): only the parent can reap traceed.
te_stop() {
	local log=$1 line
	kill -INT "$TPID"
	for _ in $(seq 200); do
		kill -0 "$TPID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$TPID" 2>/dev/null; then
		echo "bench: traceed did not stop on SIGINT within 20 s; killing" >&2
		kill -KILL "$TPID" 2>/dev/null || true
	fi
	wait "$TPID" 2>/dev/null || true
	TPID=
	TE_SEEN='?' TE_LOST='?'
	line=$(grep -o '[0-9]* events seen, [0-9]* lost' "$log" | tail -1)
	if [ -z "$line" ]; then
		echo "bench: no summary from traceed; log:" >&2
		tail -n 30 "$log" >&2
		return
	fi
	read -r TE_SEEN _ _ TE_LOST _ <<<"$line"
}

# te_kill — for EXIT traps
te_kill() {
	if [ -n "$TPID" ] && kill -0 "$TPID" 2>/dev/null; then
		kill -INT "$TPID" 2>/dev/null || true
		wait "$TPID" 2>/dev/null || true
	fi
}

# te_busy — percent of all CPU time used over one second (before our own
# runs start: anything above a few percent is someone else's load, and
# the numbers will be noisier than usual)
te_busy() {
	local a b
	a=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
	sleep 1
	b=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat)
	awk -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ")
		busy = y[1] - x[1]; idle = y[2] - x[2]
		printf "%.0f", ((busy + idle) > 0 ? 100 * busy / (busy + idle) : 0) }'
}

# te_warn_others SCRIPT — warn about other traceed instances and CPU load
te_warn_others() {
	local others busy
	if others=$(pgrep -x traceed); then
		echo "$1: warning: other traceed processes are running (${others//$'\n'/ }); results will be skewed" >&2
	fi
	busy=$(te_busy)
	TE_BUSY=$busy
	if [ "$busy" -gt 10 ]; then
		echo "$1: warning: the machine is ${busy}% busy before the benchmark starts; expect noise" >&2
		ps -eo pid,pcpu,etime,comm --sort=-pcpu | sed -n '2,4p' >&2
	fi
}
