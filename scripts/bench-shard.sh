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
# Each job is run BENCH_RUNS times (default 3); the table gives the medians of the wall time
# and of the peak RSS of the largest shard (each shard under /usr/bin/time -f %M), the
# requests of one run (they are the same in every run, or the script says so), and the load
# average (1 min) before the first run. With BENCH_LOCK=FILE each job runs under flock FILE,
# so that it does not overlap other measurements taking the same lock.
#
# This machine has 2 cores: the table shows the overhead per shard (every shard lists the
# whole prefix, or walks the whole tree), not a speed-up.
#
# Usage: scripts/bench-shard.sh
# Environment:
#   BENCH_SHARD_FILES   files (default 10000), of 1 KiB each, in directories of 1,000
#   BENCH_SHARD_COUNTS  shard counts (default "1 2 4 8")
#   BENCH_TMPFS         tmpfs dir to work in (default /dev/shm)
#   BENCH_RUNS          runs of each job (default 3)
#   BENCH_LOCK          a lock file each job runs under (flock), if set
#   HAUL_BIN            haul binary to use (default: build bin/haul from the tree)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FILES="${BENCH_SHARD_FILES:-10000}"
read -r -a SHARDS <<<"${BENCH_SHARD_COUNTS:-1 2 4 8}"
TMPFS_DIR="${BENCH_TMPFS:-/dev/shm}"
RUNS="${BENCH_RUNS:-3}"
LOCK="${BENCH_LOCK:-}"
BUCKET=haul-shard

die() {
	echo "bench-shard: $*" >&2
	exit 1
}
log() { echo "bench-shard: $*" >&2; }
[[ $FILES =~ ^[1-9][0-9]*$ ]] || die "BENCH_SHARD_FILES must be a positive integer"
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer"

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

# median prints the median of its arguments.
median() {
	printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# job N DIR runs the N shards of one job at once (under the lock, if any), checks the
# result, and sets WALL (seconds), RSS (peak RSS of the largest shard, KiB) and OPS.
job() {
	local n=$1 dir=$2 args want start end i p
	local -a pids=()
	rm -f "$META"/run-*.log "$META"/rss-*
	if [[ $dir == up ]]; then
		args=(-r "$SRC" "s3://$BUCKET/n$n/")
	else
		rm -rf "$WORK/dl"
		args=(-r "s3://$BUCKET/n$n/" "$WORK/dl")
	fi
	start=$(date +%s.%N)
	for ((i = 0; i < n; i++)); do
		JOB_COMPLETION_INDEX=$i /usr/bin/time -f %M -o "$META/rss-$i" \
			"$HAUL" --debug -q cp "${args[@]}" --shard "\$JOB_COMPLETION_INDEX/$n" 2>"$META/run-$i.log" &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p" || die "a shard of $n failed ($dir); logs in $META"; done
	end=$(date +%s.%N)
	WALL=$(echo "$end - $start" | bc)
	RSS=$(cat "$META"/rss-* | sort -n | tail -n 1)
	OPS=$(ops "$META"/run-*.log)
	want=PutObject
	[[ $dir == down ]] && want=GetObject
	[[ " $OPS " == *" $want=$FILES "* ]] || die "$dir in $n shards: $OPS; want $want=$FILES"
	if [[ $dir == down ]]; then diff -r "$SRC" "$WORK/dl" >/dev/null || die "download in $n shards differs from the source"; fi
}

printf 'Medians of %d runs; %d files of 1 KiB; MinIO and all data on tmpfs; %s cores\n' "$RUNS" "$FILES" "$(nproc)"
printf '%-9s %6s %9s %13s %6s  %s\n' direction shards "wall (s)" "max RSS (MiB)" load1 "requests of all shards (one run)"
for n in "${SHARDS[@]}"; do
	for dir in up down; do
		load=$(cut -d' ' -f1 /proc/loadavg)
		walls=() rsss=() ops1=""
		for ((r = 1; r <= RUNS; r++)); do
			if [[ -n $LOCK ]]; then
				exec {lockfd}>>"$LOCK"
				flock "$lockfd"
			fi
			job "$n" "$dir"
			if [[ -n $LOCK ]]; then exec {lockfd}>&-; fi
			walls+=("$WALL") rsss+=("$RSS")
			[[ -z $ops1 ]] && ops1=$OPS
			[[ $OPS == "$ops1" ]] || log "$dir in $n shards: run $r sent $OPS, run 1 $ops1"
		done
		printf '%-9s %6d %9.2f %13.1f %6s  %s\n' "$dir" "$n" "$(median "${walls[@]}")" \
			"$(awk -v k="$(median "${rsss[@]}")" 'BEGIN { print k / 1024 }')" "$load" "$ops1"
	done
done
