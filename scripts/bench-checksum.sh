#!/usr/bin/env bash
# make bench-checksum: client CPU seconds per GiB of each --checksum mode, uploading one
# 1 GiB file to a local MinIO whose data is on tmpfs; then of downloading that file with
# --verify on and off, as three objects: written by haul (checked against its whole-file
# CRC32C), like aws-cli (8 MiB parts with CRC32s: each part checked against its own), and
# like rclone or s5cmd (50 MiB parts, no checksums: the MD5s of the parts against the
# multipart ETag). Runs are interleaved across modes (BENCH_RUNS rounds, default 3) and
# medians printed. BENCH_ONLY=upload or download runs one half. Reports; asserts nothing.
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

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
declare -A cpu wall
[ "${BENCH_ONLY:-}" = download ] || for r in $(seq "$runs"); do
  for m in "${modes[@]}"; do
    out=$( { /usr/bin/time -f '%e %U %S' "$haul" -q cp --checksum "$m" "$work/big" "s3://bench/$m-$r"; } 2>&1 | tail -n 1)
    read -r e u s <<<"$out"
    cpu[$m]+="$(echo "$u + $s" | bc) " wall[$m]+="$e "
    "$haul" -q rm "s3://bench/$m-$r"
    rm -rf "$work/minio/.minio.sys/tmp/.trash/"* # MinIO frees deleted data only after minutes
    echo "bench-checksum: round $r $m wall ${e}s cpu $(echo "$u + $s" | bc)s (load $(cut -d' ' -f1 /proc/loadavg))" >&2
  done
done
if [ "${BENCH_ONLY:-}" != download ]; then
  printf '\n%-10s %12s %12s %14s\n' checksum "wall s" "CPU s" "CPU s per GiB"
  for m in "${modes[@]}"; do
    c=$(echo "${cpu[$m]}" | median) w=$(echo "${wall[$m]}" | median)
    printf '%-10s %12.2f %12.2f %14.2f\n' "$m" "$w" "$c" "$(echo "$c * 1024 / $mib" | bc -l)"
  done
fi
[ "${BENCH_ONLY:-}" = upload ] && exit 0

# Downloads: the same bytes as three objects, each fetched with --verify on and off.
"$haul" -q cp "$work/big" s3://bench/haul
(cd "$repo" && go run scripts/mpupload/main.go -bucket bench -key awscli -file "$work/big" -part-mib 8 -checksum CRC32)
(cd "$repo" && go run scripts/mpupload/main.go -bucket bench -key s5cmd -file "$work/big" -part-mib 50 -checksum "")
objects=(haul awscli s5cmd)
declare -A dcpu dwall dver
for r in $(seq "$runs"); do
  for o in "${objects[@]}"; do
    for v in true false; do
      out=$( { /usr/bin/time -f '%e %U %S' "$haul" --json cp --verify="$v" "s3://bench/$o" "$work/out" >"$work/events"; } 2>&1 | tail -n 1)
      read -r e u s <<<"$out"
      dcpu[$o-$v]+="$(echo "$u + $s" | bc) " dwall[$o-$v]+="$e "
      dver[$o-$v]=$(grep -o '"verified":"[^"]*"' "$work/events" | cut -d'"' -f4 || true)
      cmp -s "$work/out" "$work/big" || die "$o --verify=$v: the downloaded file differs"
      rm -f "$work/out"
      log "round $r download $o --verify=$v wall ${e}s cpu $(echo "$u + $s" | bc)s verified ${dver[$o-$v]:--}"
    done
  done
done
printf '\n%-8s %-8s %-14s %10s %10s %14s\n' object verify verified "wall s" "CPU s" "CPU s per GiB"
for o in "${objects[@]}"; do
  for v in true false; do
    c=$(echo "${dcpu[$o-$v]}" | median) w=$(echo "${dwall[$o-$v]}" | median)
    printf '%-8s %-8s %-14s %10.2f %10.2f %14.2f\n' "$o" "$v" "${dver[$o-$v]:--}" "$w" "$c" "$(echo "$c * 1024 / $mib" | bc -l)"
  done
done
