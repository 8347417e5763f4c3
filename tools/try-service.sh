#!/bin/sh
# Try the service and tracectl without installing anything (as root): a
# private system bus (dbus-daemon with this tree's bus policy) in
# /tmp/traceed-try, and `traceed --service` on it with the rules of this
# tree, rule state in /tmp/traceed-try/state and journal output to the
# host's journal when journald runs.  In another shell:
#   export DBUS_SYSTEM_BUS_ADDRESS=unix:path=/tmp/traceed-try/bus
#   build/client/tracectl rules list
# Ctrl-C stops both.  Assumes tools/install-deps.sh has run (run-foreground.sh
# or run-tests.sh do that).
set -eu
cd "$(dirname "$0")/.."
[ -d build ] || meson setup build
ninja -C build
dir=/tmp/traceed-try
mkdir -p "$dir/state"
chmod 0755 "$dir"
sed -e "s|@SOCK@|$dir/bus|" -e "s|@POLICY@|$PWD/dbus/org.traceed1.conf|" -e "s|@EXTRA@||" \
    tools/private-system-bus.conf.in > "$dir/bus.conf"
printf 'rule_paths: [%s/rules]\nstate_dir: %s/state\noutputs:\n  event_socket: false\n' \
    "$PWD" "$dir" > "$dir/traceed.yaml"
dbus-daemon --config-file="$dir/bus.conf" --nofork --nosyslog &
bus=$!
trap 'kill $bus 2>/dev/null' EXIT INT TERM
while [ ! -S "$dir/bus" ]; do sleep 0.1; done
echo "traceed: private bus at unix:path=$dir/bus; in another shell:" >&2
echo "  export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$dir/bus; build/client/tracectl rules list" >&2
DBUS_SYSTEM_BUS_ADDRESS="unix:path=$dir/bus" build/daemon/traceed --service \
    --config "$dir/traceed.yaml" "$@"
