# Sourced by the bench scripts: starts MinIO on loopback for a benchmark.
# The caller defines die and log, and sets MINIO (binary), WORK (its data goes in
# $WORK/minio) and META (its log goes in $META/minio.log). start_minio sets PORT,
# ENDPOINT, ACCESS_KEY, SECRET_KEY and MINIO_PID (the caller's cleanup stops it),
# and exports the AWS variables every tool reads; shared config files are ignored so
# a developer's ~/.aws cannot change the settings. The CA variables are left as they are.
# shellcheck shell=bash

# free_port prints a loopback port nobody listens on (connect is refused).
free_port() {
	local p try
	for try in $(seq 1 100); do
		p=$((20000 + RANDOM % 40000))
		[[ $p == "${1:-}" ]] && continue
		if ! (: <>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return
		fi
	done
	die "no free port found (tried $try)"
}

start_minio() {
PORT="$(free_port)"
CONSOLE_PORT="$(free_port "$PORT")"
ENDPOINT="http://127.0.0.1:$PORT"
ACCESS_KEY=benchadmin
SECRET_KEY="bench-$RANDOM$RANDOM$RANDOM"

MINIO_ROOT_USER="$ACCESS_KEY" MINIO_ROOT_PASSWORD="$SECRET_KEY" MINIO_BROWSER=off \
	MINIO_UPDATE=off \
	"$MINIO" server --quiet --address "127.0.0.1:$PORT" \
	--console-address "127.0.0.1:$CONSOLE_PORT" "$WORK/minio" \
	>"$META/minio.log" 2>&1 &
MINIO_PID=$!

ready=""
for _ in $(seq 1 150); do
	kill -0 "$MINIO_PID" 2>/dev/null || {
		cat "$META/minio.log" >&2
		MINIO_PID=""
		die "MinIO exited during startup (log above)"
	}
	if curl -fs -o /dev/null "$ENDPOINT/minio/health/ready"; then
		ready=1
		break
	fi
	sleep 0.2
done
[[ -n $ready ]] || {
	cat "$META/minio.log" >&2
	die "MinIO not ready on $ENDPOINT after 30s (log above)"
}
log "MinIO ready on $ENDPOINT (data dir $WORK/minio)"

# Credentials and endpoint for every tool; shared config files are ignored so
# a developer's ~/.aws or rclone.conf cannot change the settings. The CA
# variables of the environment are left as they are.
export AWS_ACCESS_KEY_ID="$ACCESS_KEY" AWS_SECRET_ACCESS_KEY="$SECRET_KEY"
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL="$ENDPOINT"
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null
unset AWS_PROFILE AWS_SESSION_TOKEN
}
