# Sourced by the bench scripts: finds the binaries (haul, a baseline haul, aws-cli, s5cmd), a
# tmpfs to work in, and starts MinIO on loopback for a benchmark.
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
# A port found free can be taken before MinIO binds it: a MinIO that exits during startup
# saying so is started again on other ports, up to three times.
local attempt ready
for attempt in 1 2 3; do
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
		if ! kill -0 "$MINIO_PID" 2>/dev/null; then
			MINIO_PID=""
			break
		fi
		if curl -fs -o /dev/null "$ENDPOINT/minio/health/ready"; then
			ready=1
			break
		fi
		sleep 0.2
	done
	[[ -n $ready ]] && break
	if [[ -z $MINIO_PID ]] && grep -qi "already in use" "$META/minio.log" && ((attempt < 3)); then
		log "MinIO lost the race for port $PORT; trying other ports"
		continue
	fi
	cat "$META/minio.log" >&2
	[[ -z $MINIO_PID ]] && die "MinIO exited during startup (log above)"
	die "MinIO not ready on $ENDPOINT after 30s (log above)"
done
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

# tmpfs_work NAME NEED_KIB [NEED_INODES] sets WORK to a new directory on tmpfs with NEED_KIB
# and NEED_INODES (default 0) free: in
# TMPFS_DIR when it is a tmpfs with room, else on a tmpfs it mounts (as root), which it
# records in MOUNTED for the caller's cleanup to unmount.
tmpfs_work() {
	local name=$1 need=$2 inodes=${3:-0} avail ifree
	avail=$(df -Pk "$TMPFS_DIR" 2>/dev/null | awk 'NR == 2 { print $4 }')
	# MinIO keeps a directory and an xl.meta per object: a tmpfs can run out of inodes with
	# space to spare (MinIO then answers XMinioStorageFull).
	ifree=$(df -Pi "$TMPFS_DIR" 2>/dev/null | awk 'NR == 2 { print $4 }')
	if [[ -d $TMPFS_DIR && "$(stat -f -c %T "$TMPFS_DIR")" == tmpfs && ${avail:-0} -ge $need && ${ifree:-0} -ge $inodes ]]; then
		WORK="$(mktemp -d "$TMPFS_DIR/$name.XXXXXX")"
	else
		[[ $(id -u) -eq 0 ]] || die "$TMPFS_DIR is not a tmpfs with $((need / 1024)) MiB and $inodes inodes free, and mounting one needs root"
		MOUNTED="$(mktemp -d "/tmp/$name-tmpfs.XXXXXX")"
		if ! mount -t tmpfs -o "size=$((need + 512 * 1024))k,nr_inodes=$((inodes * 2 + 100000))" tmpfs "$MOUNTED"; then
			rmdir "$MOUNTED"
			MOUNTED=""
			die "mounting a tmpfs failed"
		fi
		WORK="$MOUNTED/work"
		mkdir "$WORK"
	fi
	log "working in $WORK (tmpfs)"
}

# stop_bench stops MinIO (MINIO_PID), removes WORK and BASE_DIR (bench_baseline's build)
# and unmounts MOUNTED: the part of a bench script's exit trap every script needs.
# bench_traps makes the caller stop the bench (stop_bench) when it exits, with its exit
# status kept, and turns INT and TERM into exits 130 and 143.
bench_traps() {
	trap 'bench_exit $?' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

bench_exit() {
	stop_bench
	exit "$1"
}

stop_bench() {
	if [[ -n ${MINIO_PID:-} ]] && kill -0 "$MINIO_PID" 2>/dev/null; then
		kill "$MINIO_PID" 2>/dev/null || true
		wait "$MINIO_PID" 2>/dev/null || true
	fi
	[[ -n ${WORK:-} ]] && rm -rf "$WORK"
	[[ -n ${BASE_DIR:-} ]] && rm -rf "$BASE_DIR"
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
# bench_peers installs what timing and the peer tools need (/usr/bin/time, rclone) and sets
# RCLONE (a command array) and AWS (aws-cli's real path); it dies without aws-cli.
# shellcheck disable=SC2034 # RCLONE is for the caller
bench_peers() {
	[[ -x /usr/bin/time ]] || apt_install time
	command -v rclone >/dev/null || apt_install rclone
	# rclone's S3 backend (aws-sdk-go v1) refuses to start when AWS_CA_BUNDLE is set:
	# "LoadCustomCABundleError: ... HTTPClient's transport unsupported type". The endpoint
	# is plain http, so rclone runs without that one variable (its own --ca-cert flag is
	# how it takes a CA bundle); everything else keeps it.
	RCLONE=(env -u AWS_CA_BUNDLE "$(command -v rclone)")
	AWS="$(real_aws)"
	[[ -n $AWS ]] || die "aws-cli (aws) is not installed; install aws-cli v1 (e.g. pip install awscli) and retry"
}

real_aws() {
	local aws
	aws="$(command -v aws || true)"
	if [[ $aws == */shims/aws ]] && command -v pyenv >/dev/null; then
		aws="$(pyenv which aws 2>/dev/null)" || aws="$(command -v aws)"
	fi
	printf '%s\n' "$aws"
}

# find_s5cmd sets S5CMD_BIN to the s5cmd to measure, or to "" with S5CMD_SKIP saying why
# (also logged). s5cmd is not served by the Go module proxy, so nothing installs it: it is
# $S5CMD when set (S5CMD=off skips it), else the static build kept beside the repo in
# ../shared/peers/: an executable `s5cmd`, or `s5cmd-linux-amd64.xz`, unpacked into
# .tools/bin/s5cmd (again only when the .xz changes: its sha256 is kept in s5cmd.version).
# Needs REPO, die and log.
find_s5cmd() {
	local peers="$REPO/../shared/peers" xzf sum stamp tmp
	S5CMD_BIN="" S5CMD_SKIP=""
	if [[ -n ${S5CMD:-} ]]; then
		case $S5CMD in
		off | none | no | 0)
			S5CMD_SKIP="S5CMD=$S5CMD"
			log "s5cmd: not measured ($S5CMD_SKIP)"
			return
			;;
		esac
		[[ -f $S5CMD && -x $S5CMD ]] || die "S5CMD=$S5CMD is not an executable file"
		S5CMD_BIN="$(cd "$(dirname "$S5CMD")" && pwd)/$(basename "$S5CMD")"
	elif [[ -f $peers/s5cmd && -x $peers/s5cmd ]]; then
		S5CMD_BIN="$(cd "$peers" && pwd)/s5cmd"
	elif [[ -f $peers/s5cmd-linux-amd64.xz ]]; then
		xzf="$(cd "$peers" && pwd)/s5cmd-linux-amd64.xz"
		if [[ "$(uname -s)/$(uname -m)" != Linux/x86_64 ]]; then
			S5CMD_SKIP="$xzf is a linux/amd64 build and this is $(uname -s)/$(uname -m); set S5CMD=/path/to/s5cmd"
			log "s5cmd: not measured: $S5CMD_SKIP"
			return
		fi
		S5CMD_BIN="$REPO/.tools/bin/s5cmd"
		stamp="$S5CMD_BIN.version"
		sum="$(sha256sum "$xzf" | cut -d ' ' -f 1)"
		if [[ ! -x $S5CMD_BIN || ! -f $stamp || "$(<"$stamp")" != "$sum" ]]; then
			command -v xz >/dev/null || apt_install xz-utils
			mkdir -p "$REPO/.tools/bin"
			tmp="$(mktemp "$S5CMD_BIN.XXXXXX")"
			if ! xz -dc "$xzf" >"$tmp" || ! chmod 755 "$tmp" || ! mv -f "$tmp" "$S5CMD_BIN"; then
				rm -f "$tmp"
				die "unpacking $xzf into $S5CMD_BIN failed"
			fi
			echo "$sum" >"$stamp"
			log "s5cmd: unpacked $xzf into $S5CMD_BIN"
		fi
	else
		S5CMD_SKIP="not found (S5CMD is not set; no s5cmd or s5cmd-linux-amd64.xz in $peers)"
		log "s5cmd: not measured: $S5CMD_SKIP"
		return
	fi
	"$S5CMD_BIN" version >/dev/null 2>&1 || die "s5cmd at $S5CMD_BIN does not run ('$S5CMD_BIN version' failed)"
}

# bench_baseline sets HAUL_BASE to a second haul binary to measure beside HAUL, and
# HAUL_BASE_DESC to what it is, or both to "" when none is asked for. HAUL_BASELINE names a
# binary; HAUL_BASELINE_REV (make bench BASELINE=rev) names a commit of this repo, built with
# go build from `git archive` into BASE_DIR, a temp dir that stop_bench removes: no worktree,
# checkout or index is touched, so others working in the repo are not disturbed.
# Needs REPO, die and log.
# shellcheck disable=SC2034 # HAUL_BASE and HAUL_BASE_DESC are for the caller
bench_baseline() {
	local rev
	HAUL_BASE="" HAUL_BASE_DESC=""
	if [[ -n ${HAUL_BASELINE:-} && -n ${HAUL_BASELINE_REV:-} ]]; then
		die "set HAUL_BASELINE (a binary) or HAUL_BASELINE_REV / make bench BASELINE= (a revision), not both"
	fi
	if [[ -n ${HAUL_BASELINE:-} ]]; then
		[[ -f $HAUL_BASELINE && -x $HAUL_BASELINE ]] || die "HAUL_BASELINE=$HAUL_BASELINE is not an executable file"
		HAUL_BASE="$(cd "$(dirname "$HAUL_BASELINE")" && pwd)/$(basename "$HAUL_BASELINE")"
		HAUL_BASE_DESC="HAUL_BASELINE=$HAUL_BASELINE"
	elif [[ -n ${HAUL_BASELINE_REV:-} ]]; then
		rev="$(git -C "$REPO" rev-parse --verify --quiet "$HAUL_BASELINE_REV^{commit}")" ||
			die "baseline revision '$HAUL_BASELINE_REV' is not a commit in $REPO"
		BASE_DIR="$(mktemp -d "${TMPDIR:-/tmp}/haul-baseline.XXXXXX")"
		HAUL_BASE_DESC="haul built from $(git -C "$REPO" log -1 --format='%h (%<(60,trunc)%s' "$rev" | sed 's/ *$//'))"
		log "building the baseline: $HAUL_BASE_DESC, in $BASE_DIR"
		mkdir "$BASE_DIR/src"
		git -C "$REPO" archive --format=tar "$rev" | tar -x -C "$BASE_DIR/src" ||
			die "git archive $rev | tar -x failed"
		(cd "$BASE_DIR/src" && go build -buildvcs=false -o "$BASE_DIR/haul" ./cmd/haul) >&2 ||
			die "go build ./cmd/haul of $rev failed"
		rm -rf "$BASE_DIR/src"
		HAUL_BASE="$BASE_DIR/haul"
	fi
}
