#!/usr/bin/env bash
# bench-bwlimit.sh measures how closely `haul cp --bwlimit` holds its cap: a file (1 GiB)
# is uploaded to and downloaded from a local MinIO whose data dir is on tmpfs (as in
# scripts/bench.sh) under --bwlimit BENCH_RATE (default 50MiB/s), BENCH_RUNS times each,
# and each run's achieved rate is printed beside the cap: bytes over the wall seconds of
# the whole haul process, and over the seconds of the run that haul's --json summary gives
# (without starting the process and setting up the connection). Every download is compared
# with the file.
#
# Usage: scripts/bench-bwlimit.sh     (normally via `make bench-bwlimit`)
#
# Environment:
#   BENCH_RUNS   runs of each direction (default 3)
#   BENCH_MIB    size of the file in MiB (default 1024)
#   BENCH_RATE   the cap, as --bwlimit takes a single rate in MiB/s (default 50MiB/s)
#   BENCH_TMPFS  tmpfs dir to work in (default /dev/shm)
#   HAUL_BIN     haul binary to use (default: build bin/haul from the tree)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${BENCH_RUNS:-3}"
MIB="${BENCH_MIB:-1024}"
RATE="${BENCH_RATE:-50MiB/s}"
TMPFS_DIR="${BENCH_TMPFS:-/dev/shm}"

die() {
	echo "bench-bwlimit: $*" >&2
	exit 1
}
log() { echo "bench-bwlimit: $*" >&2; }

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, got '$RUNS'"
[[ $MIB =~ ^[1-9][0-9]*$ ]] || die "BENCH_MIB must be a positive integer, got '$MIB'"
[[ $RATE =~ ^([0-9]+)MiB/s$ ]] || die "BENCH_RATE must be a whole number of MiB/s such as 50MiB/s, got '$RATE'"
CAP_MIB="${BASH_REMATCH[1]}"

WORK=""
MOUNTED=""
MINIO_PID=""
# shellcheck source=scripts/lib/minio.sh
. "$(dirname "$0")/lib/minio.sh"
trap 'stop_bench' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bench_binaries
BYTES=$((MIB * 1024 * 1024))
tmpfs_work haul-bench-bwlimit $((BYTES * 3 / 1024 + 512 * 1024))
META="$WORK/meta"
mkdir -p "$META" "$WORK/minio"
SRC="$WORK/big.bin"
BACK="$WORK/back.bin"
head -c "$BYTES" /dev/urandom >"$SRC"
start_minio
"$HAUL" -q mb s3://bench >/dev/null

# timed ARGS...: runs haul --json with ARGS and prints its wall seconds and the seconds its
# summary gives (the run, without the process's start and the connection's setup).
timed() {
	local t0 t1 out run
	t0=$(date +%s.%N)
	out="$("$HAUL" --json "$@")" || die "haul $* failed: $out"
	t1=$(date +%s.%N)
	run="$(grep '"event":"summary"' <<<"$out" | sed -E 's/.*"seconds":([0-9.e+-]+).*/\1/')"
	[[ -n $run ]] || die "haul $* printed no summary: $out"
	echo "$(echo "$t1 - $t0" | bc -l) $run"
}

printf '%-9s %4s %9s %9s %11s %11s %9s\n' direction run wall_s run_s 'wall MiB/s' 'run MiB/s' 'cap MiB/s'
for dir in upload download; do
	for run in $(seq 1 "$RUNS"); do
		if [[ $dir == upload ]]; then
			read -r wall secs < <(timed cp --bwlimit "$RATE" "$SRC" "s3://bench/big-$run")
		else
			rm -f "$BACK"
			read -r wall secs < <(timed cp --bwlimit "$RATE" "s3://bench/big-$run" "$BACK")
			cmp -s "$SRC" "$BACK" || die "download $run differs from the file"
		fi
		printf '%-9s %4d %9.2f %9.2f %11.2f %11.2f %9d\n' "$dir" "$run" "$wall" "$secs" \
			"$(echo "$MIB / $wall" | bc -l)" "$(echo "$MIB / $secs" | bc -l)" "$CAP_MIB"
	done
done
