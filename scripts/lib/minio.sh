# Sourced by the bench scripts: finds the binaries, a tmpfs to work in, and starts MinIO
# on loopback for a benchmark.
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

# bench_binaries installs the pinned MinIO and builds haul (HAUL_BIN overrides), setting
# MINIO and HAUL. It needs REPO, die and log.
bench_binaries() {
	if [[ -x $REPO/scripts/install-tools.sh ]]; then
		"$REPO/scripts/install-tools.sh" minio >&2 || die "scripts/install-tools.sh minio failed"
	fi
	MINIO="$REPO/.tools/bin/minio"
	[[ -x $MINIO ]] || die "MinIO binary missing at $MINIO (run scripts/install-tools.sh minio or make tools)"
	if [[ -n ${HAUL_BIN:-} ]]; then
		HAUL="$HAUL_BIN"
	else
		HAUL="$REPO/bin/haul"
		log "building $HAUL"
		(cd "$REPO" && go build -o bin/haul ./cmd/haul) || die "go build ./cmd/haul failed"
	fi
	[[ -x $HAUL ]] || die "haul binary missing at $HAUL"
}

# tmpfs_work NAME NEED_KIB sets WORK to a new directory on tmpfs with NEED_KIB free: in
# TMPFS_DIR when it is a tmpfs with room, else on a tmpfs it mounts (as root), which it
# records in MOUNTED for the caller's cleanup to unmount.
tmpfs_work() {
	local name=$1 need=$2 avail
	avail=$(df -Pk "$TMPFS_DIR" 2>/dev/null | awk 'NR == 2 { print $4 }')
	if [[ -d $TMPFS_DIR && "$(stat -f -c %T "$TMPFS_DIR")" == tmpfs && ${avail:-0} -ge $need ]]; then
		WORK="$(mktemp -d "$TMPFS_DIR/$name.XXXXXX")"
	else
		[[ $(id -u) -eq 0 ]] || die "$TMPFS_DIR is not a tmpfs with $((need / 1024)) MiB free, and mounting one needs root"
		MOUNTED="$(mktemp -d "/tmp/$name-tmpfs.XXXXXX")"
		if ! mount -t tmpfs -o "size=$((need + 512 * 1024))k" tmpfs "$MOUNTED"; then
			rmdir "$MOUNTED"
			MOUNTED=""
			die "mounting a tmpfs failed"
		fi
		WORK="$MOUNTED/work"
		mkdir "$WORK"
	fi
	log "working in $WORK (tmpfs)"
}

# stop_bench stops MinIO (MINIO_PID), removes WORK and unmounts MOUNTED: the part of a
# bench script's exit trap every script needs.
stop_bench() {
	if [[ -n ${MINIO_PID:-} ]] && kill -0 "$MINIO_PID" 2>/dev/null; then
		kill "$MINIO_PID" 2>/dev/null || true
		wait "$MINIO_PID" 2>/dev/null || true
	fi
	[[ -n ${WORK:-} ]] && rm -rf "$WORK"
	if [[ -n ${MOUNTED:-} ]]; then
		umount "$MOUNTED" 2>/dev/null || true
		rmdir "$MOUNTED" 2>/dev/null || true
	fi
	return 0
}

is_root() { [[ $(id -u) -eq 0 ]]; }

# apt_install PACKAGE installs a Debian package, as root, updating the index once.
APT_UPDATED=""
apt_install() {
	is_root || die "$1 is missing and we are not root to apt-get install it; install package '$1'"
	command -v apt-get >/dev/null || die "$1 is missing and apt-get is not available; install '$1'"
	log "installing $1 with apt-get"
	if [[ -z $APT_UPDATED ]]; then
		apt-get update -qq >/dev/null || die "apt-get update failed"
		APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null ||
		die "apt-get install $1 failed"
}

# real_aws prints the aws-cli to measure: the real one behind a pyenv shim (a bash script
# that execs it), or "" when there is none.
real_aws() {
	local aws
	aws="$(command -v aws || true)"
	if [[ $aws == */shims/aws ]] && command -v pyenv >/dev/null; then
		aws="$(pyenv which aws 2>/dev/null)" || aws="$(command -v aws)"
	fi
	printf '%s\n' "$aws"
}
