#!/usr/bin/env bash
# make bench-sendcost: what sending a big file costs the client alone. haul uploads one
# file (BENCH_MIB, 1024 MiB, on tmpfs) to scripts/sink (an endpoint that discards bodies),
# with --checksum crc32c and none, beside `curl -T` of the same file and `curl -T` after a
# one-pass CRC32C of it (what a client that must send the checksum in a header, before the
# body, pays at least: read once to sum, once to send). BENCH_RUNS rounds (default 5),
# interleaved; medians of client CPU seconds (user + sys) and the ratios. HAUL_BASELINE (a
# haul binary) runs beside as haul-base. Reports; asserts nothing.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${BENCH_RUNS:-5}" MIB="${BENCH_MIB:-1024}" TMPFS_DIR="${BENCH_TMPFS:-/dev/shm}"
die() {
	echo "bench-sendcost: $*" >&2
	exit 1
}
log() { echo "bench-sendcost: $*" >&2; }
[ -x /usr/bin/time ] || die "needs /usr/bin/time (apt-get install time)"
command -v curl >/dev/null || die "needs curl"
HAUL="${HAUL_BIN:-$REPO/bin/haul}"
[ -x "$HAUL" ] || (cd "$REPO" && go build -o bin/haul ./cmd/haul) || die "go build failed"
WORK="$(mktemp -d "$TMPFS_DIR/haul-sendcost.XXXXXX")"
SINK_PID=""
cleanup() {
	[ -n "$SINK_PID" ] && kill "$SINK_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT
(cd "$REPO" && go build -o "$WORK/sink" scripts/sink/main.go) || die "building scripts/sink failed"
"$WORK/sink" >"$WORK/addr" 2>"$WORK/sink.log" &
SINK_PID=$!
for _ in $(seq 50); do [ -s "$WORK/addr" ] && break; sleep 0.1; done
ADDR="$(head -n 1 "$WORK/addr")"
[ -n "$ADDR" ] || die "the sink did not start: $(cat "$WORK/sink.log")"
export AWS_ACCESS_KEY_ID=sink AWS_SECRET_ACCESS_KEY=sink AWS_REGION=us-east-1 AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
head -c $((MIB << 20)) /dev/urandom >"$WORK/big"

tools=(haul-crc32c haul-none curl curl+crc32c)
[ -n "${HAUL_BASELINE:-}" ] && tools+=(haul-base-crc32c haul-base-none)
cpu() { # prints user+sys seconds of the command, which must succeed
	local out
	out=$({ /usr/bin/time -f '%U %S' "$@" >/dev/null; } 2>&1 | tail -n 1) || die "failed: $* ($out)"
	awk '{ printf "%.3f", $1 + $2 }' <<<"$out"
}
declare -A got
for r in $(seq "$RUNS"); do
	for t in "${tools[@]}"; do
		case $t in
		haul-crc32c | haul-none) c=$(cpu "$HAUL" -q --endpoint-url "http://$ADDR" --provider minio cp --checksum "${t#haul-}" "$WORK/big" s3://sink/big) ;;
		haul-base-*) c=$(cpu "$HAUL_BASELINE" -q --endpoint-url "http://$ADDR" --provider minio cp --checksum "${t#haul-base-}" "$WORK/big" s3://sink/big) ;;
		curl) c=$(cpu curl -sf -T "$WORK/big" "http://$ADDR/sink/big") ;;
		curl+crc32c)
			s=$(cpu "$WORK/sink" -sum "$WORK/big")
			c=$(cpu curl -sf -T "$WORK/big" -H "x-amz-checksum-crc32c: AAAAAA==" "http://$ADDR/sink/big")
			c=$(awk -v a="$s" -v b="$c" 'BEGIN { printf "%.3f", a + b }')
			;;
		esac
		got[$t]+="$c "
		log "round $r $t: cpu ${c}s (load $(cut -d' ' -f1 /proc/loadavg))"
	done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "# client CPU seconds to send ${MIB} MiB to a discarding endpoint over loopback; medians of $RUNS; $(nproc) CPUs"
echo "# haul: $HAUL ($(cd "$REPO" && git describe --always --dirty 2>/dev/null))"
printf '%-18s %8s %8s %14s\n' tool cpu_s s/GiB vs_curl+crc32c
base=$(median <<<"${got[curl+crc32c]}")
for t in "${tools[@]}"; do
	m=$(median <<<"${got[$t]}")
	printf '%-18s %8s %8.3f %14.2f\n' "$t" "$m" "$(awk -v m="$m" -v g="$MIB" 'BEGIN { print m * 1024 / g }')" "$(awk -v m="$m" -v b="$base" 'BEGIN { print m / b }')"
done
