#!/usr/bin/env bash
# make bench-concurrency: the curve haul's concurrency default is chosen from. haul's wall
# time and client CPU against --concurrency (BENCH_CONC, default "1 2 4 8 16 32 64") for
# one big file (BENCH_BIG_MIB, 1024) and many small ones (BENCH_SMALL_COUNT files of
# BENCH_SMALL_KIB, 2000 x 64 KiB), up and down, against a MinIO on tmpfs; BENCH_RUNS
# rounds (default 3), the settings interleaved within each round, medians printed with
# throughput (MiB/s, and files/s for the small files). Also one run per workload with no
# --concurrency: the default haul picks. Reports; asserts nothing.
set -euo pipefail
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${BENCH_RUNS:-3}"
read -r -a CONCS <<<"${BENCH_CONC:-1 2 4 8 16 32 64}"
BIG_MIB="${BENCH_BIG_MIB:-1024}"
SMALL_COUNT="${BENCH_SMALL_COUNT:-2000}"
SMALL_KIB="${BENCH_SMALL_KIB:-64}"
# shellcheck disable=SC2034 # read by scripts/lib/minio.sh
TMPFS_DIR="${BENCH_TMPFS:-/dev/shm}"
WORKLOADS=(big-up big-down small-up small-down)

die() {
	echo "bench-concurrency: $*" >&2
	exit 1
}
log() { echo "bench-concurrency: $*" >&2; }

# shellcheck disable=SC2034 # read by scripts/lib/minio.sh
WORK="" MOUNTED="" MINIO_PID=""
# shellcheck source=scripts/lib/minio.sh
. "$REPO/scripts/lib/minio.sh"
trap 'stop_bench' EXIT
trap 'exit 130' INT
[ -x /usr/bin/time ] || apt_install time
bench_binaries
tmpfs_work haul-bench-conc $(((BIG_MIB * 1024 + SMALL_COUNT * SMALL_KIB) * 4 + 512 * 1024))
META="$WORK/meta"
mkdir -p "$META" "$WORK/src/small" "$WORK/minio"
start_minio

head -c $((BIG_MIB << 20)) /dev/urandom >"$WORK/src/big"
head -c $((SMALL_COUNT * SMALL_KIB * 1024)) /dev/urandom |
	split -b $((SMALL_KIB * 1024)) -a 5 -d - "$WORK/src/small/f"
"$HAUL" -q mb s3://conc
"$HAUL" -q cp "$WORK/src/big" s3://conc/seed/big
"$HAUL" -q cp -r "$WORK/src/small" s3://conc/seed/small/

# run WORKLOAD CONC: one timed run; CONC "default" gives no --concurrency.
run() {
	local wl=$1 c=$2 args=() out
	[[ $c == default ]] || args=(--concurrency "$c")
	rm -rf "$WORK/dl"
	mkdir -p "$WORK/dl"
	case $wl in
	big-up) args+=("$WORK/src/big" s3://conc/up/big) ;;
	small-up) args+=(-r "$WORK/src/small" s3://conc/up/small/) ;;
	big-down) args+=(s3://conc/seed/big "$WORK/dl/big") ;;
	small-down) args+=(-r s3://conc/seed/small/ "$WORK/dl/small") ;;
	esac
	out=$({ /usr/bin/time -f '%e %U %S %M' "$HAUL" -q cp "${args[@]}"; } 2>&1 | tail -n 1)
	read -r e u s m <<<"$out"
	[[ $e =~ ^[0-9.]+$ ]] || die "$wl at $c failed: $out"
	echo "$wl $c $e $(echo "$u + $s" | bc) $m" >>"$META/raw"
	log "$wl concurrency $c: wall ${e}s cpu $(echo "$u + $s" | bc)s rss $((m / 1024)) MiB"
	if [[ $wl == *-up ]]; then
		"$HAUL" -q rm -r s3://conc/up/ >/dev/null
		rm -rf "$WORK/minio/.minio.sys/tmp/.trash/"* # MinIO frees deleted data only after minutes
	fi
}

: >"$META/raw"
for r in $(seq "$RUNS"); do
	for wl in "${WORKLOADS[@]}"; do
		# rotate the order each round, so that drift hits every setting alike
		order=("${CONCS[@]}" default)
		n=${#order[@]}
		for i in $(seq 0 $((n - 1))); do
			run "$wl" "${order[$(((i + r) % n))]}"
		done
	done
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
echo "# haul --concurrency curve: $(date -u +%FT%TZ), $(nproc) CPUs, runs=$RUNS, MinIO on tmpfs on the same machine"
echo "# big = one $BIG_MIB MiB file; small = $SMALL_COUNT files of $SMALL_KIB KiB; medians"
printf '%-11s %-8s %8s %8s %8s %10s\n' workload conc wall_s cpu_s MiB/s files/s
for wl in "${WORKLOADS[@]}"; do
	for c in "${CONCS[@]}" default; do
		w=$(awk -v w="$wl" -v c="$c" '$1 == w && $2 == c { print $3 }' "$META/raw" | median)
		cpu=$(awk -v w="$wl" -v c="$c" '$1 == w && $2 == c { print $4 }' "$META/raw" | median)
		case $wl in
		big-*) mib=$BIG_MIB files=1 ;;
		*) mib=$((SMALL_COUNT * SMALL_KIB / 1024)) files=$SMALL_COUNT ;;
		esac
		printf '%-11s %-8s %8s %8s %8.0f %10.0f\n' "$wl" "$c" "$w" "$cpu" "$(echo "$mib / $w" | bc -l)" "$(echo "$files / $w" | bc -l)"
	done
done
