#!/usr/bin/env bash
# bench-shard.sh measures what splitting a job with --shard I/N costs: `haul cp -r` up and
# down of BENCH_SHARD_FILES small files against a local MinIO on tmpfs, as 1, 2, 4 and 8
# shards run at the same time (as the pods of an Indexed Job would), each shard given its
# index as Kubernetes gives it (JOB_COMPLETION_INDEX). It prints, per direction and shard
# count: the wall time of the whole job (first start to last exit), the requests of all
# shards by operation (from --debug, one line per request), and checks that the union is
# exact and no key was sent twice (PutObject/GetObject counts equal the file count; the
# download's files compared with the source by diff -r).
#
# This machine has 2 cores: the table shows the overhead per shard (every shard lists the
# whole prefix, or walks the whole tree), not a speed-up.
#
# Usage: scripts/bench-shard.sh
# Environment:
#   BENCH_SHARD_FILES   files (default 10000), of 1 KiB each, in directories of 1,000
#   BENCH_SHARD_COUNTS  shard counts (default "1 2 4 8")
#   BENCH_TMPFS         tmpfs dir to work in (default /dev/shm)
#   HAUL_BIN            haul binary to use (default: build bin/haul from the tree)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FILES="${BENCH_SHARD_FILES:-10000}"
read -r -a SHARDS <<<"${BENCH_SHARD_COUNTS:-1 2 4 8}"
TMPFS_DIR="${BENCH_TMPFS:-/dev/shm}"
BUCKET=haul-shard

die() {
	echo "bench-shard: $*" >&2
	exit 1
}
log() { echo "bench-shard: $*" >&2; }
[[ $FILES =~ ^[1-9][0-9]*$ ]] || die "BENCH_SHARD_FILES must be a positive integer"

WORK="" MOUNTED="" MINIO_PID="" BASE_DIR=""
# shellcheck source=scripts/lib/minio.sh
. "$(dirname "$0")/lib/minio.sh"
bench_traps

bench_binaries
tmpfs_work haul-bench-shard $((1024 * 1024 + FILES * 40)) $((FILES * 20 + 10000))
SRC="$WORK/src" META="$WORK/meta"
mkdir -p "$SRC" "$META" "$WORK/minio"
start_minio
for ((i = 0; i < FILES; i++)); do
	d="$SRC/d$((i / 1000))"
	[[ -d $d ]] || mkdir -p "$d"
	head -c 1024 /dev/urandom >"$d/f$i"
done
"$HAUL" mb "s3://$BUCKET" >/dev/null

# ops FILE... sums the --debug lines of the files by operation: "PutObject=10000 ...".
ops() {
	cat "$@" | awk '/^debug: [A-Za-z0-9]+ bucket=/ { n[$2]++ } END { for (o in n) printf "%s=%d ", o, n[o] }' | tr ' ' '\n' | sort | tr '\n' ' '
}

printf '%-9s %6s %9s  %s\n' direction shards "wall (s)" "requests of all shards"
for n in "${SHARDS[@]}"; do
	for dir in up down; do
		rm -f "$META"/run-*.log
		if [[ $dir == up ]]; then
			args=(-r "$SRC" "s3://$BUCKET/n$n/")
		else
			rm -rf "$WORK/dl"
			args=(-r "s3://$BUCKET/n$n/" "$WORK/dl")
		fi
		start=$(date +%s.%N)
		pids=()
		for ((i = 0; i < n; i++)); do
			JOB_COMPLETION_INDEX=$i "$HAUL" --debug -q cp "${args[@]}" --shard "\$JOB_COMPLETION_INDEX/$n" 2>"$META/run-$i.log" &
			pids+=($!)
		done
		for p in "${pids[@]}"; do wait "$p" || die "a shard of $n failed ($dir); logs in $META"; done
		end=$(date +%s.%N)
		o=$(ops "$META"/run-*.log)
		want=PutObject
		[[ $dir == down ]] && want=GetObject
		[[ " $o " == *" $want=$FILES "* ]] || die "$dir in $n shards: $o; want $want=$FILES"
		[[ $dir == down ]] && { diff -r "$SRC" "$WORK/dl" >/dev/null || die "download in $n shards differs from the source"; }
		printf '%-9s %6d %9.2f  %s\n' "$dir" "$n" "$(echo "$end - $start" | bc)" "$o"
	done
done
