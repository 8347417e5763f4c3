#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# flood.sh — does a flood of failing opens push detections out?
#
#   sudo bench/flood.sh [options] PATH/TO/traceed
#
#   -n N         flood processes (default 4)
#   -t SECS      length of the flood (default 10)
#   -b MIB       traceed --buffer-size (default: traceed's own, 8)
#   -r DIR       rules (default: the rules/ next to this script, the shipped set)
#   -u USER      the flood runs as USER (default nobody: any local user can do it)
#   -E           event mode instead: traceed prints `--events openat,ptrace`, so
#                the failed opens are sent (and fill the main ring); the
#                canaries are then counted as printed events, not detections
#   -o DIR       keep traceed's log and detections in DIR (default: a temp dir)
#
# Method.  traceed runs in detection mode with the default rules
# (`--foreground --rules DIR --output json`, detections to a file).  N
# unprivileged processes (bench/loops.c openrate, unpaced) open a path of
# about 4 KB that does not exist, as fast as they can, for SECS seconds:
# every call fails with ENOENT, and each one is a ~4 KB record if the kernel
# side sends it.  Meanwhile two canaries are fired once a second, both of
# which the default rules detect:
#   - ptrace: a small program (tests/live/triggers/trg_traceme.c, built here
#     as flood_ptrace) calls ptrace(PTRACE_TRACEME)        -> TRC-102
#   - shadow: a copy of cat named flood_shadow reads /etc/shadow -> TRD-2001
# With -E, traceed prints the events openat and ptrace instead: the flood's
# records are sent, so this measures what a full main ring costs the
# canaries (ptrace travels on the rare ring, the shadow open on the main).
# After the flood traceed gets a second to catch up and is stopped with
# SIGINT.  Reported: traceed's summary (events seen, lost, per event type),
# and per canary how many were fired and how many detections name that
# process.  Nothing on the host changes (the flood's path does not exist;
# /etc/shadow is only read); no network.  Bounded: SECS plus traceed's
# start and stop (30 s at most each).
set -euo pipefail

NPROC=4
DUR=10
BUFSZ=
RULES=
USER_=nobody
EVMODE=0
OUTDIR=
CMDLINE="$0 $*"

usage() { sed -n '2,/^set -euo/p' "$0" | sed -e '/^set -euo/d' -e 's/^# \{0,1\}//'; exit "${1:-2}"; }

while getopts "n:t:b:r:u:Eo:h" opt; do
	case $opt in
	n) NPROC=$OPTARG ;;
	t) DUR=$OPTARG ;;
	b) BUFSZ=$OPTARG ;;
	r) RULES=$OPTARG ;;
	u) USER_=$OPTARG ;;
	E) EVMODE=1 ;;
	o) OUTDIR=$OPTARG ;;
	h) usage 0 ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -eq 1 ] || usage
TRACEED=$(readlink -f "$1")
[ -x "$TRACEED" ] || { echo "flood.sh: $1 is not executable" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "flood.sh: must run as root (BPF)" >&2; exit 1; }
[[ "$NPROC" =~ ^[1-9][0-9]*$ && "$DUR" =~ ^[1-9][0-9]*$ ]] || usage
[ "$DUR" -le 600 ] || { echo "flood.sh: -t is at most 600 s" >&2; exit 1; }
id -u "$USER_" >/dev/null 2>&1 || { echo "flood.sh: no user $USER_" >&2; exit 1; }

BENCHDIR=$(dirname "$(readlink -f "$0")")
SRCDIR=$(dirname "$BENCHDIR")
[ -n "$RULES" ] || RULES=$SRCDIR/rules
# shellcheck disable=SC2034  # lib.sh's te_start: traceed is not pinned
TPIN=()
# shellcheck source=lib.sh
. "$BENCHDIR/lib.sh"

WORK=$(mktemp -d /tmp/traceed-flood.XXXXXX)
[ -n "$OUTDIR" ] || OUTDIR=$WORK/out
mkdir -p "$OUTDIR"
FLOOD_PID=
cleanup() {
	[ -z "$FLOOD_PID" ] || kill "$FLOOD_PID" 2>/dev/null || true
	te_kill
	rm -rf "${WORK:?}/bin"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# the flood runs as another user: it must be able to run the binaries
mkdir -p "$WORK/bin"
chmod 755 "$WORK" "$WORK/bin"
${CC:-cc} -O2 -Wall -o "$WORK/bin/loops" "$BENCHDIR/loops.c"
${CC:-cc} -O2 -Wall -o "$WORK/bin/flood_ptrace" "$SRCDIR/tests/live/triggers/trg_traceme.c"
cp "$(command -v cat)" "$WORK/bin/flood_shadow"

# ~4 KB, absolute, and absent from its first component on
FPATH=/nonexistent-traceed-flood
for _ in $(seq 15); do FPATH+=/$(printf 'x%.0s' $(seq 250)); done
FPATH+=/end

te_warn_others flood.sh

LOG=$OUTDIR/traceed.log
DET=$OUTDIR/detections.json
if [ "$EVMODE" -eq 1 ]; then
	args=(--events 'openat,ptrace')
else
	args=(--rules "$RULES")
fi
[ -z "$BUFSZ" ] || args+=(--buffer-size "$BUFSZ")
te_start "$LOG" "$DET" "${args[@]}"

setpriv --reuid="$USER_" --regid="$(id -g "$USER_")" --clear-groups -- \
	"$WORK/bin/loops" openrate 0 "$DUR" "$NPROC" "$FPATH" >"$OUTDIR/flood.out" &
FLOOD_PID=$!

FIRED=0
END=$((SECONDS + DUR))
sleep 0.5
while [ "$SECONDS" -lt "$END" ]; do
	"$WORK/bin/flood_ptrace" >/dev/null
	"$WORK/bin/flood_shadow" /etc/shadow >/dev/null
	FIRED=$((FIRED + 1))
	sleep 1
done
wait "$FLOOD_PID" || true
FLOOD_PID=
sleep 1
te_stop "$LOG"

# detections of the canaries: the rule, and the canary's own process name
# detection mode: the rule's detections naming the canary's process; event
# mode: the canary's event itself
count() { # RULE EVENT COMM
	python3 - "$DET" "$EVMODE" "$1" "$2" "$3" <<'PY'
import json, sys
path, evmode, rule, event, comm = sys.argv[1:]
n = 0
with open(path, errors='replace') as f:
    for line in f:
        try:
            d = json.loads(line)
        except ValueError:
            continue
        if not isinstance(d, dict):
            continue
        if evmode == '1':
            args = {a.get('name'): a.get('value') for a in d.get('args', [])}
            n += (d.get('eventName') == event and d.get('processName') == comm and
                  (event != 'openat' or args.get('pathname') == '/etc/shadow'))
        else:
            n += d.get('rule_id') == rule and d.get('event', {}).get('processName') == comm
print(n)
PY
}
PTRACE_SEEN=$(count TRC-102 ptrace flood_ptrace)
SHADOW_SEEN=$(count TRD-2001 openat flood_shadow)
OPS=$(sed -n 's/.* ops=\([0-9]*\) .*/\1/p' "$OUTDIR/flood.out")
SUMMARY=$(grep -o '[0-9]* events seen, .*' "$LOG" | tail -1 || true)

{
	echo "# traceed flood: $(date -u +%Y-%m-%dT%H:%MZ) kernel $(uname -r), $(nproc) CPUs"
	echo "# command: $CMDLINE"
	echo "# traceed ${args[*]}"
	echo "# $NPROC x $USER_ opening a ${#FPATH}-byte path that does not exist for ${DUR}s: ${OPS:-?} failed opens"
	echo "# traceed: $SUMMARY"
	printf 'buffer_mib\tflood_opens\tevents_seen\tevents_lost\tptrace_fired\tptrace_seen\tshadow_fired\tshadow_seen\n'
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${BUFSZ:-8}" "${OPS:-?}" "$TE_SEEN" "$TE_LOST" \
		"$FIRED" "$PTRACE_SEEN" "$FIRED" "$SHADOW_SEEN"
} | tee "$OUTDIR/result.tsv"
