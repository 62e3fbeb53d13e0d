#!/usr/bin/env bash
# make bench-checksum: client CPU seconds per GiB of each --checksum mode, uploading one
# 1 GiB file to a local MinIO whose data is on tmpfs; then of downloading that file with
# --verify on and off, as four objects: written by haul (checked against its whole-file
# CRC32C), by haul with --checksum crc64nvme (its whole-file CRC64NVME), like aws-cli (8 MiB
# parts with CRC32s: each part checked against its own), and like rclone or s5cmd (50 MiB
# parts, no checksums: the MD5s of the parts against the multipart ETag). Runs are
# interleaved across modes (BENCH_RUNS rounds, default 3) and medians printed. With a
# baseline (HAUL_BASELINE, a binary, or HAUL_BASELINE_REV, a commit built from git archive)
# each run is made by both binaries one after the other, and each row of the baseline is
# printed above haul's with haul's CPU over the baseline's. Reports; asserts nothing.
#
# Environment:
#   BENCH_ONLY         upload or download: run one half
#   BENCH_MODES        --checksum modes to upload with (default: none crc32c crc32
#                      crc64nvme sha256 sha1 md5)
#   BENCH_RUNS         rounds (default 3); BENCH_MIB file size in MiB (default 1024)
#   BENCH_TMPFS        tmpfs dir to work in (default /dev/shm)
#   HAUL_BIN           haul binary to measure (default bin/haul)
#   HAUL_BASELINE      a second haul binary, measured beside it as "base"
#   HAUL_BASELINE_REV  a git revision to build and measure as "base"; not with HAUL_BASELINE
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
haul="${HAUL_BIN:-$repo/bin/haul}" minio="$repo/.tools/bin/minio"
runs="${BENCH_RUNS:-3}" mib="${BENCH_MIB:-1024}" tmp="${BENCH_TMPFS:-/dev/shm}"
read -r -a modes <<<"${BENCH_MODES:-none crc32c crc32 crc64nvme sha256 sha1 md5}"
if [ ! -x "$haul" ] || [ ! -x "$minio" ]; then echo "bench-checksum: run make build tools first" >&2; exit 1; fi
[ -x /usr/bin/time ] || { apt-get install -y time >/dev/null 2>&1 || { echo "bench-checksum: needs /usr/bin/time" >&2; exit 1; }; }

die() { echo "bench-checksum: $*" >&2; exit 1; }
log() { echo "bench-checksum: $*" >&2; }
work=$(mktemp -d "$tmp/haul-bench-checksum.XXXXXX")
WORK=$work META=$work MINIO=$minio MINIO_PID="" REPO=$repo BASE_DIR=""
cleanup() {
  [ -n "$MINIO_PID" ] && kill "$MINIO_PID" 2>/dev/null && wait "$MINIO_PID" 2>/dev/null
  rm -rf "$work"
  [ -z "$BASE_DIR" ] || rm -rf "$BASE_DIR"
}
trap cleanup EXIT
# shellcheck source=scripts/lib/minio.sh
. "$(dirname "$0")/lib/minio.sh"
bench_baseline
# bins are the binaries measured, by label: the baseline's runs come first in each pair.
declare -A bin=([haul]=$haul)
bins=(haul)
if [ -n "$HAUL_BASE" ]; then
  bin[base]=$HAUL_BASE bins=(base haul)
  log "base: $HAUL_BASE_DESC; haul: $haul"
fi
start_minio
"$haul" -q mb s3://bench
head -c $((mib << 20)) /dev/urandom >"$work/big"
"$haul" -q cp "$work/big" s3://bench/warm && "$haul" -q rm s3://bench/warm

median() { tr ' ' '\n' | grep -v '^$' | sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# row KEY LABEL... prints the medians of runs KEY (cpu[KEY], wall[KEY]) after the labels,
# and with a baseline, on haul's row, haul's median CPU over the baseline's (KEY's "/haul"
# changed to "/base").
declare -A cpu wall
row() {
  local key=$1 c w vs=""
  shift
  c=$(echo "${cpu[$key]}" | median) w=$(echo "${wall[$key]}" | median)
  if [ -n "$HAUL_BASE" ] && [ "${key##*/}" = haul ]; then
    vs=$(printf '%.2f' "$(echo "$c / $(echo "${cpu[${key%/haul}/base]}" | median)" | bc -l)")
  fi
  printf '%-10s %-8s %-18s %10.2f %10.2f %14.2f %10s\n' "$@" "$w" "$c" "$(echo "$c * 1024 / $mib" | bc -l)" "$vs"
}
# timed KEY CMD... runs CMD under /usr/bin/time, its output to $work/events, and adds its
# wall and CPU seconds to KEY's.
timed() {
  local key=$1 out e u s
  shift
  out=$( { /usr/bin/time -f '%e %U %S' "$@" >"$work/events"; } 2>&1 | tail -n 1)
  read -r e u s <<<"$out"
  cpu[$key]+="$(echo "$u + $s" | bc) " wall[$key]+="$e "
  log "round $r $key wall ${e}s cpu $(echo "$u + $s" | bc)s (load $(cut -d' ' -f1 /proc/loadavg))"
}
[ "${BENCH_ONLY:-}" = download ] || for r in $(seq "$runs"); do
  for m in "${modes[@]}"; do
    for b in "${bins[@]}"; do
      timed "$m/$b" "${bin[$b]}" -q cp --checksum "$m" "$work/big" "s3://bench/$m-$b-$r"
      "$haul" -q rm "s3://bench/$m-$b-$r"
      rm -rf "$work/minio/.minio.sys/tmp/.trash/"* # MinIO frees deleted data only after minutes
    done
  done
done
if [ "${BENCH_ONLY:-}" != download ]; then
  printf '\n%-10s %-8s %-18s %10s %10s %14s %10s\n' checksum binary "what" "wall s" "CPU s" "CPU s per GiB" "CPU / base"
  for m in "${modes[@]}"; do
    for b in "${bins[@]}"; do row "$m/$b" "$m" "$b" upload; done
  done
fi
[ "${BENCH_ONLY:-}" = upload ] && exit 0

# Downloads: the same bytes as four objects, each fetched with --verify on and off.
"$haul" -q cp "$work/big" s3://bench/haul
"$haul" -q cp --checksum crc64nvme "$work/big" s3://bench/haul64
(cd "$repo" && go run scripts/mpupload/main.go -bucket bench -key awscli -file "$work/big" -part-mib 8 -checksum CRC32)
(cd "$repo" && go run scripts/mpupload/main.go -bucket bench -key s5cmd -file "$work/big" -part-mib 50 -checksum "")
objects=(haul haul64 awscli s5cmd)
declare -A ver
for r in $(seq "$runs"); do
  for o in "${objects[@]}"; do
    for v in true false; do
      for b in "${bins[@]}"; do
        timed "$o-$v/$b" "${bin[$b]}" --json cp --verify="$v" "s3://bench/$o" "$work/out"
        ver[$o-$v]=$(grep -o '"verified":"[^"]*"' "$work/events" | cut -d'"' -f4 || true)
        cmp -s "$work/out" "$work/big" || die "$b: $o --verify=$v: the downloaded file differs"
        rm -f "$work/out"
      done
    done
  done
done
printf '\n%-10s %-8s %-18s %10s %10s %14s %10s\n' object binary "verify: what" "wall s" "CPU s" "CPU s per GiB" "CPU / base"
for o in "${objects[@]}"; do
  for v in true false; do
    for b in "${bins[@]}"; do row "$o-$v/$b" "$o" "$b" "$v: ${ver[$o-$v]:--}"; done
  done
done
