#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# Webhook sender benchmark: detections/s delivered to a local
# falcosidekick-compatible receiver, and the event loop's cost per detection
# (te_webhooks_submit latency) while the endpoint is up, down or slow — the
# latter two must stay flat (ratios near 1).  No root, no BPF: it runs
# tests/webhook/webhook_driver (the webhook module linked alone).
#
#   bench/webhook-bench.sh [BUILD_DIR] [-- webhook_bench.py options]
#   e.g. bench/webhook-bench.sh build -- --n 10000 --delay 1
# Results: docs/webhooks.md ("Performance").
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
[ "${1:-}" ] && shift
[ "${1:-}" = "--" ] && shift
driver=$build/tests/webhook/webhook_driver
if [ ! -x "$driver" ]; then
	echo "webhook-bench: $driver not built (meson setup with tests enabled, then ninja)" >&2
	exit 1
fi
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
te_warn_others webhook-bench
echo "webhook-bench: $(uname -r), $(nproc) CPUs, libcurl $(curl-config --version 2>/dev/null | cut -d' ' -f2)"
WEBHOOK_DRIVER=$driver RULES=$here/../tests/webhook/rules.yaml PYTHONDONTWRITEBYTECODE=1 \
	exec python3 "$here/webhook_bench.py" "$@"
