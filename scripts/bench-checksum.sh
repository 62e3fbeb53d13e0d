#!/usr/bin/env bash
# make bench-checksum: client CPU seconds per GiB of each --checksum mode, uploading one
# 1 GiB file to a local MinIO whose data is on tmpfs. Runs are interleaved across modes
# (BENCH_RUNS rounds, default 3) and medians printed. Reports; asserts nothing.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
haul="$repo/bin/haul" minio="$repo/.tools/bin/minio"
runs="${BENCH_RUNS:-3}" mib="${BENCH_MIB:-1024}" tmp="${BENCH_TMPFS:-/dev/shm}"
modes=(none crc32c crc32 crc64nvme sha256 sha1 md5)
if [ ! -x "$haul" ] || [ ! -x "$minio" ]; then echo "bench-checksum: run make build tools first" >&2; exit 1; fi
[ -x /usr/bin/time ] || { apt-get install -y time >/dev/null 2>&1 || { echo "bench-checksum: needs /usr/bin/time" >&2; exit 1; }; }

die() { echo "bench-checksum: $*" >&2; exit 1; }
log() { echo "bench-checksum: $*" >&2; }
work=$(mktemp -d "$tmp/haul-bench-checksum.XXXXXX")
WORK=$work META=$work MINIO=$minio MINIO_PID=""
cleanup() { [ -n "$MINIO_PID" ] && kill "$MINIO_PID" 2>/dev/null && wait "$MINIO_PID" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
# shellcheck source=scripts/lib/minio.sh
. "$(dirname "$0")/lib/minio.sh"
start_minio
"$haul" -q mb s3://bench
head -c $((mib << 20)) /dev/urandom >"$work/big"
"$haul" -q cp "$work/big" s3://bench/warm && "$haul" -q rm s3://bench/warm

declare -A cpu wall
for r in $(seq "$runs"); do
  for m in "${modes[@]}"; do
    out=$( { /usr/bin/time -f '%e %U %S' "$haul" -q cp --checksum "$m" "$work/big" "s3://bench/$m-$r"; } 2>&1 | tail -n 1)
    read -r e u s <<<"$out"
    cpu[$m]+="$(echo "$u + $s" | bc) " wall[$m]+="$e "
    "$haul" -q rm "s3://bench/$m-$r"
    rm -rf "$work/minio/.minio.sys/tmp/.trash/"* # MinIO frees deleted data only after minutes
    echo "bench-checksum: round $r $m wall ${e}s cpu $(echo "$u + $s" | bc)s (load $(cut -d' ' -f1 /proc/loadavg))" >&2
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
printf '\n%-10s %12s %12s %14s\n' checksum "wall s" "CPU s" "CPU s per GiB"
for m in "${modes[@]}"; do
  c=$(echo "${cpu[$m]}" | median) w=$(echo "${wall[$m]}" | median)
  printf '%-10s %12.2f %12.2f %14.2f\n' "$m" "$w" "$c" "$(echo "$c * 1024 / $mib" | bc -l)"
done
