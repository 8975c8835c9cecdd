#!/bin/sh
# Runs havip's failover and footprint benchmarks against keepalived in the
# test/lab namespaces and prints the figures side by side.
#
# Needs root (network namespaces, keepalived, ping intervals below 2 ms),
# keepalived, tshark, iproute2 and iputils ping. Takes about 3 minutes.
# Extra arguments go to `go test`, e.g. -bench Footprint. HAVIP_BIN=PATH
# measures that havip binary instead of building this tree's.
set -eu

if [ "$(id -u)" -ne 0 ]; then
	echo "run.sh: needs root (the benchmarks build network namespaces)" >&2
	exit 1
fi

cd "$(dirname "$0")/../.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT

status=0
go test -run '^$' -bench . -benchtime 1x -timeout 20m "$@" ./test/bench | tee "$out" || status=$?

awk '
# BenchmarkFailover/KIND/MODE/TIMING-P  N  X ns/op  V unit ...
/^Benchmark/ && NF >= 4 {
	name = $1
	sub(/-[0-9]+$/, "", name)
	n = split(name, part, "/")
	for (i = 5; i < NF; i += 2) {
		unit = $(i + 1)
		if (part[1] == "BenchmarkFailover" && n == 4) {
			key = part[3] " " part[4]
			if (!(key in seen)) { seen[key] = 1; order[++rows] = key }
			v[part[2], key, unit] = $i
			if (unit == "floor-ms") floor[key] = $i
		} else if (part[1] == "BenchmarkFootprint250" && n == 2) {
			if (!(unit in fseen)) { fseen[unit] = 1; forder[++frows] = unit }
			fp[part[2], unit] = $i
		}
	}
}
function f(x) { return x == "" ? "-" : sprintf("%.1f", x) }
function d(x) { return x == "" ? "-" : sprintf("%d", x) }
END {
	print ""
	printf "%-22s | %17s | %17s | %8s | %s\n", "failover (ms)", "keepalived", "havip", "floor", "flaps"
	printf "%-22s | %17s | %17s | %8s | %s\n", "", "gap (takeover)", "gap (takeover)", "", "k/h"
	for (r = 1; r <= rows; r++) {
		k = order[r]
		printf "%-22s | %7s (%7s) | %7s (%7s) | %8s | %s/%s\n", k,
			f(v["keepalived", k, "gap-ms"]), f(v["keepalived", k, "takeover-ms"]),
			f(v["havip", k, "gap-ms"]), f(v["havip", k, "takeover-ms"]), f(floor[k]),
			d(v["keepalived", k, "flaps"]), d(v["havip", k, "flaps"])
	}
	if (frows) {
		print ""
		printf "%-22s | %17s | %17s\n", "250 instances, 100 ms", "keepalived", "havip"
		for (r = 1; r <= frows; r++) {
			u = forder[r]
			printf "%-22s | %17s | %17s\n", u, f(fp["keepalived", u]), f(fp["havip", u])
		}
	}
	print ""
	print "gap: longest gap between echo replies seen by the client (ping every 1 ms, adds <= 1 ms);"
	print "takeover: old master last (node loss) / priority-0 (graceful) advert -> new master first advert, on the wire;"
	print "floor: Master_Down_Interval (node loss), Skew_Time (graceful stop); backup priority 110;"
	print "flaps: unexpected MASTER entries (failover) or state changes after settling (footprint)."
}' "$out"
exit "$status"
