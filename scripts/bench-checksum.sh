#!/usr/bin/env bash
# make bench-checksum: client CPU seconds per GiB of each --checksum mode, uploading one
# 1 GiB file to a local MinIO whose data is on tmpfs. Runs are interleaved across modes
# (BENCH_RUNS rounds, default 3) and medians printed. Reports; asserts nothing.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
haul="$repo/bin/haul" minio="$repo/.tools/bin/minio"
runs="${BENCH_RUNS:-3}" mib="${BENCH_MIB:-1024}" tmp="${BENCH_TMPFS:-/dev/shm}"
modes=(none crc32c crc32 crc64nvme sha256 sha1 md5)
[ -x "$haul" ] && [ -x "$minio" ] || { echo "bench-checksum: run make build tools first" >&2; exit 1; }
[ -x /usr/bin/time ] || { apt-get install -y time >/dev/null 2>&1 || { echo "bench-checksum: needs /usr/bin/time" >&2; exit 1; }; }

work=$(mktemp -d "$tmp/haul-bench-checksum.XXXXXX")
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
p1=$(port) p2=$(port)
MINIO_ROOT_USER=benchaccess MINIO_ROOT_PASSWORD=benchsecret MINIO_BROWSER=off MINIO_UPDATE=off \
  "$minio" server --quiet --address "127.0.0.1:$p1" --console-address "127.0.0.1:$p2" "$work/data" >"$work/minio.log" 2>&1 &
pid=$!
export AWS_ACCESS_KEY_ID=benchaccess AWS_SECRET_ACCESS_KEY=benchsecret AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$p1" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
for _ in $(seq 100); do "$haul" ls >/dev/null 2>&1 && break; sleep 0.1; done
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
    rm -rf "$work/data/.minio.sys/tmp/.trash/"* # MinIO frees deleted data only after minutes
    echo "bench-checksum: round $r $m wall ${e}s cpu $(echo "$u + $s" | bc)s (load $(cut -d' ' -f1 /proc/loadavg))" >&2
  done
done
median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
printf '\n%-10s %12s %12s %14s\n' checksum "wall s" "CPU s" "CPU s per GiB"
for m in "${modes[@]}"; do
  c=$(echo "${cpu[$m]}" | median) w=$(echo "${wall[$m]}" | median)
  printf '%-10s %12.2f %12.2f %14.2f\n' "$m" "$w" "$c" "$(echo "$c * 1024 / $mib" | bc -l)"
done
