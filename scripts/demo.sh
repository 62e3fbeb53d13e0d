#!/usr/bin/env bash
# make demo: start a local versitygw (pinned, built by scripts/install-tools.sh), upload a
# sample directory concurrently with an ACL, metadata and a date prefix, list it, download
# it back and verify every byte. Everything lives in a temporary directory removed at exit.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
haul="$repo/bin/haul"
vgw="$repo/.tools/bin/versitygw"
[ -x "$haul" ] || { echo "demo: $haul is missing: run make build" >&2; exit 1; }
[ -x "$vgw" ] || { echo "demo: $vgw is missing: run make tools" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/haul-demo.XXXXXX")
pid=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir -p "$work/data"
"$vgw" --access demo-access --secret demo-secret-key --region us-east-1 --port "127.0.0.1:$port" --quiet posix "$work/data" >"$work/versitygw.log" 2>&1 &
pid=$!
export AWS_ACCESS_KEY_ID=demo-access AWS_SECRET_ACCESS_KEY=demo-secret-key AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
for _ in $(seq 50); do "$haul" ls >/dev/null 2>&1 && break; sleep 0.1; done

echo "== sample data: 200 log files and a 48 MiB dump"
mkdir -p "$work/logs/app" "$work/logs/db"
for i in $(seq -w 1 200); do
  head -c $((RANDOM * 4)) /dev/urandom | base64 >"$work/logs/app/app-$i.log"
done
head -c $((48 << 20)) /dev/urandom >"$work/logs/db/dump.bin"

today=$(date +%F)
echo "== haul cp -r logs s3://demo/$today/ (bucket created, ACL, metadata, 16 requests in flight)"
"$haul" cp -r "$work/logs" "s3://demo/$today/" --create-bucket --acl private \
  --metadata "stored=$today" --metadata source=demo --concurrency 16 | tail -n 3
echo "== haul ls s3://demo/$today/ and ls -r (first lines)"
"$haul" ls "s3://demo/$today/"
"$haul" ls -r "s3://demo/$today/" | head -n 3
echo "== haul cp -r s3://demo/$today/ restore/"
"$haul" -q cp -r "s3://demo/$today/" "$work/restore"
echo "== verify"
diff -r "$work/logs" "$work/restore"
echo "demo: OK: $(find "$work/restore" -type f | wc -l) files, $(du -sh "$work/restore" | cut -f1) downloaded and identical to the source"
