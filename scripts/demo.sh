#!/usr/bin/env bash
# make demo: start a local versitygw (pinned, built by scripts/install-tools.sh), upload a
# sample directory concurrently with an ACL, metadata and a date prefix, list it, download
# it back and verify every byte. Everything lives in a temporary directory removed at exit;
# after a failure the server log and haul's output are kept there and named.
#
# haul's output is never piped into a command that may stop reading early (head): with
# pipefail, a closed pipe ends haul with SIGPIPE (exit 141) and fails the demo at random.
# Each output goes to a file in the work directory, and the demo prints lines from the file.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
haul="$repo/bin/haul"
vgw="$repo/.tools/bin/versitygw"
ready_timeout=${DEMO_READY_TIMEOUT:-30} # seconds the server may take to answer
[ -x "$haul" ] || { echo "demo: $haul is missing: run make build" >&2; exit 1; }
[ -x "$vgw" ] || { echo "demo: $vgw is missing: run scripts/install-tools.sh versitygw" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/haul-demo.XXXXXX")
log="$work/versitygw.log"
pid=""
cleanup() {
  local status=$?
  if [ -n "$pid" ]; then
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  fi
  if [ "$status" -eq 0 ]; then
    rm -rf "$work"
  else
    rm -rf "$work/data" "$work/logs" "$work/restore"
    echo "demo: FAILED (exit $status); server log and haul output kept in $work" >&2
  fi
}
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# listening PORT: true once something accepts TCP connections on 127.0.0.1:PORT.
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# start_server: run versitygw on a free port and wait until it listens. The port can be
# taken between free_port and the server's bind, so a lost race is retried on a new port.
start_server() {
  local deadline
  for _ in 1 2 3; do
    port=$(free_port)
    "$vgw" --access demo-access --secret demo-secret-key --region us-east-1 \
      --port "127.0.0.1:$port" --quiet posix "$work/data" >"$log" 2>&1 &
    pid=$!
    deadline=$((SECONDS + ready_timeout))
    until listening "$port"; do
      if ! kill -0 "$pid" 2>/dev/null; then
        wait "$pid" 2>/dev/null || true
        pid=""
        grep -qi "address already in use" "$log" && continue 2
        server_failed "versitygw exited before it listened on 127.0.0.1:$port"
      fi
      ((SECONDS < deadline)) ||
        server_failed "versitygw did not listen on 127.0.0.1:$port within ${ready_timeout}s"
      sleep 0.1
    done
    return 0
  done
  server_failed "versitygw lost the race for a free port 3 times"
}

server_failed() {
  echo "demo: $1; server log: $log" >&2
  echo "--- tail of $log ---" >&2
  tail -n 20 "$log" >&2 || true
  exit 1
}

mkdir -p "$work/data"
start_server
export AWS_ACCESS_KEY_ID=demo-access AWS_SECRET_ACCESS_KEY=demo-secret-key AWS_REGION=us-east-1
export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
# Settings from the caller's environment that would point haul elsewhere or at a profile.
unset AWS_ENDPOINT_URL_S3 AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_DEFAULT_REGION
if ! "$haul" ls >"$work/ls-buckets.out" 2>&1; then
  cat "$work/ls-buckets.out" >&2
  server_failed "versitygw listens on 127.0.0.1:$port but haul ls failed (its output is above)"
fi

echo "== sample data: 200 log files and a 48 MiB dump"
mkdir -p "$work/logs/app" "$work/logs/db"
for i in $(seq -w 1 200); do
  head -c $((RANDOM * 4)) /dev/urandom | base64 >"$work/logs/app/app-$i.log"
done
head -c $((48 << 20)) /dev/urandom >"$work/logs/db/dump.bin"

today=$(date +%F)
echo "== haul cp -r logs s3://demo/$today/ (bucket created, ACL, metadata, 16 requests in flight)"
"$haul" cp -r "$work/logs" "s3://demo/$today/" --create-bucket --acl private \
  --metadata "stored=$today" --metadata source=demo --concurrency 16 >"$work/cp.out"
echo "... haul printed $(wc -l <"$work/cp.out") lines; the last 3:"
tail -n 3 "$work/cp.out"
echo "== haul ls s3://demo/$today/ and ls -r (first lines)"
"$haul" ls "s3://demo/$today/"
"$haul" ls -r "s3://demo/$today/" >"$work/ls.out"
head -n 3 "$work/ls.out"
echo "... $(wc -l <"$work/ls.out") keys in all"
echo "== haul cp -r s3://demo/$today/ restore/"
"$haul" -q cp -r "s3://demo/$today/" "$work/restore"
echo "== verify"
diff -r "$work/logs" "$work/restore"
echo "demo: OK: $(find "$work/restore" -type f | wc -l) files, $(du -sh "$work/restore" | cut -f1) downloaded and identical to the source"
