#!/usr/bin/env bash
# bench.sh compares haul with aws-cli (`aws s3 cp`), rclone and s5cmd against a
# local MinIO whose data dir is on tmpfs, on the same data in the same run, and
# optionally with a baseline build of haul ("haul-base") to show a change's effect.
#
# Usage: scripts/bench.sh            (normally via `make bench`)
#        make bench BASELINE=<rev>   (also runs haul built from <rev> as haul-base)
#
# Workloads, each run by every tool BENCH_RUNS times:
#   big-up      upload one 1 GiB file of random data
#   big-down    download it
#   small-up    upload a directory of 2,000 files of 64 KiB random data
#   small-down  download it
# Every run is timed with `/usr/bin/time -f '%e %U %S %M'`: wall seconds, client
# CPU seconds (user + sys, children included) and peak RSS. The table shows the
# median of the runs, every tool's ratios to aws-cli and to s5cmd, and PASS/FAIL
# against the targets:
#   haul wall <= 0.6x aws-cli on big-up, <= 0.25x on small-up,
#   haul CPU <= 0.3x aws-cli on every workload, haul peak RSS <= 64 MiB.
# Targets are reported, not asserted: the script exits 0 when they fail, and
# non-zero when a tool errors or downloaded/uploaded data differs from the source.
#
# Where the data lives: everything (source files, download dirs, MinIO's data
# dir) is on one tmpfs, /dev/shm, so the disk plays no part and the source and
# destination are on the same storage for every tool. When /dev/shm is not
# tmpfs or too small and we are root, a private tmpfs is mounted instead.
#
# Fairness: tools are interleaved within a round (and their order rotates each
# round) so machine noise hits all alike; downloads all read the same objects
# (seeded once by aws-cli); each upload goes to a fresh prefix that the tool's
# own rm deletes afterwards (untimed, then MinIO's trash is emptied); download
# dirs are removed after each run.
# Each tool is warmed up (one untimed listing) before the first round.
# Every tool runs with its default concurrency and part size (haul --concurrency
# 16; aws-cli 10 requests, 8 MiB parts; rclone 4 transfers, 4 parts each;
# s5cmd 256 workers, 5 parts of 50 MiB per object, as its --help says, which the
# table's header prints): defaults are what a user gets. Output is quietened
# alike (haul -q, aws --only-show-errors, rclone -q, s5cmd --log error).
#
# Peers: aws-cli must be installed; rclone is apt-installed when missing (as
# root). s5cmd is not in the Go module proxy: a static build is kept beside the
# repo in ../shared/peers/ (s5cmd, or s5cmd-linux-amd64.xz, unpacked once into
# .tools/bin/s5cmd); without one the script says so and runs without s5cmd.
#
# Baseline: with HAUL_BASELINE (a binary) or HAUL_BASELINE_REV (a commit, built
# from `git archive` into a temp dir; `make bench BASELINE=<rev>` sets it), that
# haul runs as one more tool, haul-base, in every round beside the others, and a
# second table gives haul/haul-base ratios of the medians (wall, CPU, RSS) with
# the range of the per-round ratios: the noise of this run to judge them by.
# aws-cli behind a pyenv shim is run through its real path so the shim's bash
# does not count against it.
#
# Environment:
#   BENCH_RUNS         runs per tool and workload (default 3)
#   BENCH_OUT          raw per-run numbers + median table
#                      (default: bin/bench-results.txt in the repo)
#   BENCH_BIG_MIB      size of the big file in MiB (default 1024)
#   BENCH_SMALL_COUNT  number of small files (default 2000)
#   BENCH_SMALL_KIB    size of each small file in KiB (default 64)
#   BENCH_TMPFS        tmpfs dir to work in (default /dev/shm)
#   HAUL_BIN           haul binary to use (default: build bin/haul from the tree)
#   HAUL_BASELINE      a second haul binary, measured as haul-base
#   HAUL_BASELINE_REV  a git revision to build and measure as haul-base
#                      (make bench BASELINE=<rev>); not with HAUL_BASELINE
#   S5CMD              s5cmd binary (default: ../shared/peers/ beside the repo);
#                      S5CMD=off runs without it
#   BENCH_S5CMD_OPTS   extra s5cmd global options, e.g. "--numworkers 16"
#   BENCH_S5CMD_CP_OPTS  extra s5cmd cp options, e.g. "--concurrency 16 --part-size 8"
#                      (both empty by default: s5cmd's defaults are the honest peer)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${BENCH_RUNS:-3}"
OUT="${BENCH_OUT:-$REPO/bin/bench-results.txt}"
BIG_MIB="${BENCH_BIG_MIB:-1024}"
SMALL_COUNT="${BENCH_SMALL_COUNT:-2000}"
SMALL_KIB="${BENCH_SMALL_KIB:-64}"
TMPFS_DIR="${BENCH_TMPFS:-/dev/shm}"

TOOLS=() # haul [haul-base] aws rclone [s5cmd]; set once the binaries are found
WORKLOADS=(big-up big-down small-up small-down)
BUCKET=haul-bench
# Targets (see header). Ratios are haul/aws-cli medians.
WALL_TARGET_BIG_UP=0.6
WALL_TARGET_SMALL_UP=0.25
CPU_TARGET=0.3
RSS_TARGET_MIB=64

die() {
	echo "bench: $*" >&2
	exit 1
}
log() { echo "bench: $*" >&2; }

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, got '$RUNS'"
for v in BIG_MIB SMALL_COUNT SMALL_KIB; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || die "BENCH_$v must be a positive integer, got '${!v}'"
done

# ---------------------------------------------------------------- cleanup

WORK=""
MOUNTED=""
MINIO_PID=""
# shellcheck source=scripts/lib/minio.sh
. "$(dirname "$0")/lib/minio.sh"

cleanup() {
	local rc=$?
	stop_bench
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- tools

bench_peers
bench_binaries
bench_baseline

# s5cmd (aws-sdk-go v1 too) starts fine with AWS_CA_BUNDLE set, unlike rclone:
# it keeps the environment as it is.
find_s5cmd
read -r -a S5CMD_OPTS <<<"${BENCH_S5CMD_OPTS:-}"
read -r -a S5CMD_CP_OPTS <<<"${BENCH_S5CMD_CP_OPTS:-}"

TOOLS=(haul)
[[ -n $HAUL_BASE ]] && TOOLS+=(haul-base)
TOOLS+=(aws rclone)
[[ -n $S5CMD_BIN ]] && TOOLS+=(s5cmd)

# has_tool NAME: is NAME measured in this run?
has_tool() { [[ " ${TOOLS[*]} " == *" $1 "* ]]; }

# s5cmd_settings prints the worker and part settings s5cmd runs with: its defaults as
# its --help states them, then the options added by BENCH_S5CMD_OPTS/_CP_OPTS.
s5cmd_settings() {
	local nw c p
	nw="$("$S5CMD_BIN" --help 2>&1 | sed -n 's/.*--numworkers value.*(default: \([0-9]*\)).*/\1/p')"
	c="$("$S5CMD_BIN" cp --help 2>&1 | sed -n 's/.*--concurrency value.*(default: \([0-9]*\)).*/\1/p')"
	p="$("$S5CMD_BIN" cp --help 2>&1 | sed -n 's/.*--part-size value.*(default: \([0-9]*\)).*/\1/p')"
	printf 'defaults --numworkers %s (objects at once), cp --concurrency %s (parts at once per object), cp --part-size %s MiB' \
		"${nw:-?}" "${c:-?}" "${p:-?}"
	if ((${#S5CMD_OPTS[@]} + ${#S5CMD_CP_OPTS[@]})); then
		printf '; overridden by: %s' "${S5CMD_OPTS[*]} cp ${S5CMD_CP_OPTS[*]}"
	fi
	echo
}
if [[ -n $S5CMD_BIN ]]; then
	S5CMD_SETTINGS="$(s5cmd_settings)"
	log "s5cmd: $S5CMD_BIN, $S5CMD_SETTINGS"
fi
[[ -n $HAUL_BASE ]] && log "haul-base: $HAUL_BASE_DESC"

# ---------------------------------------------------------------- tmpfs

BIG_BYTES=$((BIG_MIB * 1024 * 1024))
SMALL_BYTES=$((SMALL_COUNT * SMALL_KIB * 1024))
# Source, MinIO seed, one upload at a time (deleted, and MinIO's trash emptied,
# after each run), one download and one verify copy, plus metadata and slack.
NEED_KIB=$(((BIG_BYTES + SMALL_BYTES) * 5 / 1024 + 1024 * 1024))

tmpfs_work haul-bench "$NEED_KIB"

SRC="$WORK/src"       # source data
DL="$WORK/dl"         # download destination, emptied after each run
VERIFY="$WORK/verify" # reference downloads of uploaded data
META="$WORK/meta"     # timing output, tool stdout/stderr, logs
mkdir -p "$SRC/small" "$META" "$WORK/minio"

# ---------------------------------------------------------------- MinIO

start_minio
: >"$META/rclone.conf"
export RCLONE_CONFIG="$META/rclone.conf"
export RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Minio
export RCLONE_CONFIG_BENCH_ENDPOINT="$ENDPOINT"
export RCLONE_CONFIG_BENCH_ACCESS_KEY_ID="$ACCESS_KEY"
export RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY="$SECRET_KEY"
export RCLONE_CONFIG_BENCH_REGION=us-east-1

# ---------------------------------------------------------------- commands

# obj TOOL KEY prints the tool's name for an object or prefix in the bucket.
obj() {
	case $1 in
	rclone) echo "bench:$BUCKET/${2%/}" ;;
	*) echo "s3://$BUCKET/$2" ;;
	esac
}

# haul_cmd TOOL sets CMD to the haul binary of TOOL (haul or haul-base) and its endpoint.
haul_cmd() {
	if [[ $1 == haul-base ]]; then CMD=("$HAUL_BASE"); else CMD=("$HAUL"); fi
	CMD+=(--endpoint-url "$ENDPOINT")
}

# s5cmd_cmd sets CMD to s5cmd with the endpoint, errors-only logging and BENCH_S5CMD_OPTS.
s5cmd_cmd() {
	CMD=("$S5CMD_BIN" --endpoint-url "$ENDPOINT" --log error "${S5CMD_OPTS[@]}")
}

# copy_cmd TOOL RECURSIVE(0|1) SRC DST sets CMD to the tool's copy command.
copy_cmd() {
	local tool=$1 rec=$2 src=$3 dst=$4
	case $tool in
	haul | haul-base)
		haul_cmd "$tool"
		CMD+=(-q cp)
		((rec)) && CMD+=(-r)
		;;
	s5cmd)
		# s5cmd copies many objects with a wildcard source: 'dir/*' to
		# s3://bucket/prefix/, or 's3://bucket/prefix/*' to dir/.
		s5cmd_cmd
		CMD+=(cp "${S5CMD_CP_OPTS[@]}")
		if ((rec)); then
			src="${src%/}/*"
			dst="${dst%/}/"
		fi
		;;
	aws)
		CMD=("$AWS" --endpoint-url "$ENDPOINT" s3 cp --only-show-errors)
		((rec)) && CMD+=(--recursive)
		;;
	rclone)
		if ((rec)); then CMD=("${RCLONE[@]}" -q copy); else CMD=("${RCLONE[@]}" -q copyto); fi
		;;
	esac
	CMD+=("$src" "$dst")
}

# rm_cmd TOOL PREFIX sets CMD to the tool's command deleting everything under PREFIX.
rm_cmd() {
	case $1 in
	haul | haul-base)
		haul_cmd "$1"
		CMD+=(-q rm -r "$(obj "$1" "$2")")
		;;
	aws) CMD=("$AWS" --endpoint-url "$ENDPOINT" s3 rm --only-show-errors --recursive "$(obj aws "$2")") ;;
	rclone) CMD=("${RCLONE[@]}" -q purge "$(obj rclone "$2")") ;;
	s5cmd)
		s5cmd_cmd
		CMD+=(rm "$(obj s5cmd "${2%/}")/*")
		;;
	esac
}

# ls_cmd TOOL sets CMD to a listing of the bucket (warm-up).
ls_cmd() {
	case $1 in
	haul | haul-base)
		haul_cmd "$1"
		CMD+=(ls "s3://$BUCKET/")
		;;
	aws) CMD=("$AWS" --endpoint-url "$ENDPOINT" s3 ls "s3://$BUCKET/") ;;
	rclone) CMD=("${RCLONE[@]}" -q lsf "bench:$BUCKET") ;;
	s5cmd)
		s5cmd_cmd
		CMD+=(ls "s3://$BUCKET/")
		;;
	esac
}

# run_or_die DESCRIPTION runs CMD untimed and fails loudly on error.
run_or_die() {
	if ! "${CMD[@]}" >"$META/cmd.out" 2>"$META/cmd.err"; then
		echo "bench: FAILED: $1" >&2
		echo "bench: command: ${CMD[*]}" >&2
		cat "$META/cmd.out" "$META/cmd.err" >&2
		exit 1
	fi
}

# measure DESCRIPTION runs CMD under /usr/bin/time and sets WALL CPU RSS_KIB.
measure() {
	local tf="$META/time.out" usr sys
	rm -f "$tf"
	if ! /usr/bin/time -f '%e %U %S %M' -o "$tf" "${CMD[@]}" >"$META/cmd.out" 2>"$META/cmd.err"; then
		echo "bench: FAILED: $1" >&2
		echo "bench: command: ${CMD[*]}" >&2
		cat "$META/cmd.out" "$META/cmd.err" "$tf" >&2 2>/dev/null || true
		exit 1
	fi
	if [[ -s $META/cmd.err ]]; then
		log "note: $1 wrote to stderr:"
		head -n 20 "$META/cmd.err" >&2
	fi
	read -r WALL usr sys RSS_KIB <"$tf"
	CPU="$(awk -v u="$usr" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')"
	USR="$usr" SYS="$sys"
}

# same_data WHAT EXPECTED GOT fails loudly unless GOT (file or dir) equals EXPECTED.
same_data() {
	local what=$1 want=$2 got=$3
	if [[ -d $want ]]; then
		if ! diff -r -q "$want" "$got" >"$META/diff.out" 2>&1; then
			echo "bench: DATA MISMATCH: $what ($got differs from $want):" >&2
			head -n 20 "$META/diff.out" >&2
			exit 1
		fi
	elif ! cmp "$want" "$got" >"$META/diff.out" 2>&1; then
		echo "bench: DATA MISMATCH: $what:" >&2
		cat "$META/diff.out" >&2
		exit 1
	fi
}

# MinIO moves deleted objects to .minio.sys/tmp/.trash and frees them only
# every 5 minutes: on tmpfs every 1 GiB upload would stay in RAM, and the
# periodic purge would land inside a timed run. Empty it after each deletion,
# between runs, doing early what MinIO does in the background.
empty_minio_trash() {
	local trash="$WORK/minio/.minio.sys/tmp/.trash"
	if [[ -d $trash ]]; then
		find "$trash" -mindepth 1 -maxdepth 1 -exec rm -rf {} + 2>/dev/null || true
	fi
}

# ---------------------------------------------------------------- data

log "making test data: one $BIG_MIB MiB file, $SMALL_COUNT files of $SMALL_KIB KiB (random)"
head -c "$BIG_BYTES" /dev/urandom >"$SRC/big.bin"
head -c "$SMALL_BYTES" /dev/urandom |
	split -b "$((SMALL_KIB * 1024))" -a 5 -d --additional-suffix=.bin - "$SRC/small/f"
[[ "$(find "$SRC/small" -type f | wc -l)" -eq $SMALL_COUNT ]] || die "making the small files failed"

CMD=("$HAUL" --endpoint-url "$ENDPOINT" -q mb "s3://$BUCKET")
run_or_die "haul mb s3://$BUCKET"

# Downloads read objects seeded once by aws-cli, the reference tool.
log "seeding the download objects with aws-cli"
copy_cmd aws 0 "$SRC/big.bin" "$(obj aws seed/big.bin)"
run_or_die "seeding big.bin"
copy_cmd aws 1 "$SRC/small" "$(obj aws seed/small/)"
run_or_die "seeding the small files"

for tool in "${TOOLS[@]}"; do
	ls_cmd "$tool"
	run_or_die "$tool warm-up listing"
done

# ---------------------------------------------------------------- runs

hdr() {
	echo "# haul bench: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, runs=$RUNS"
	echo "# haul:   $HAUL ($(cd "$REPO" && git describe --always --dirty 2>/dev/null || echo unknown))"
	if [[ -n $HAUL_BASE ]]; then echo "# haul-base: $HAUL_BASE ($HAUL_BASE_DESC)"; fi
	echo "# aws:    $AWS ($("$AWS" --version 2>&1 | head -n 1))"
	echo "# rclone: ${RCLONE[*]} ($("${RCLONE[@]}" version 2>/dev/null | head -n 1))"
	if [[ -n $S5CMD_BIN ]]; then
		echo "# s5cmd:  $S5CMD_BIN ($("$S5CMD_BIN" version 2>&1 | head -n 1)); $S5CMD_SETTINGS"
	else
		echo "# s5cmd:  not measured: $S5CMD_SKIP"
	fi
	echo "# minio:  $MINIO ($(cat "$REPO/.tools/bin/minio.version" 2>/dev/null || echo unknown)) on tmpfs; data on tmpfs ($WORK)"
	echo "# big = one ${BIG_MIB} MiB file; small = $SMALL_COUNT files of $SMALL_KIB KiB"
	echo "# load1 = the machine's 1-minute load average when the run started (other work skews numbers)"
	echo "# round workload tool wall_s user_s sys_s cpu_s rss_kib load1"
}
load1() { cut -d ' ' -f 1 /proc/loadavg; }

# The clients and MinIO share the machine's cores: other work running beside
# the bench (builds, tests) inflates wall times, so say when there is some.
if awk -v l="$(load1)" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
	log "warning: load average $(load1) on $(nproc) CPUs before starting; wall times will be noisy"
fi

mkdir -p "$(dirname "$OUT")"
RAW="$META/raw.txt"
hdr >"$RAW"

declare -A UPLOAD_VERIFIED=()

# one_run ROUND WORKLOAD TOOL
one_run() {
	local round=$1 wl=$2 tool=$3 prefix desc load
	prefix="up/$tool/r$round/$wl/"
	desc="round $round $wl $tool"
	rm -rf "$DL"
	mkdir -p "$DL"
	case $wl in
	big-up) copy_cmd "$tool" 0 "$SRC/big.bin" "$(obj "$tool" "${prefix}big.bin")" ;;
	small-up) copy_cmd "$tool" 1 "$SRC/small" "$(obj "$tool" "$prefix")" ;;
	big-down) copy_cmd "$tool" 0 "$(obj "$tool" seed/big.bin)" "$DL/big.bin" ;;
	small-down) copy_cmd "$tool" 1 "$(obj "$tool" seed/small/)" "$DL/small" ;;
	esac
	load="$(load1)"
	measure "$desc"
	printf '%s %s %s %s %s %s %s %s %s\n' "$round" "$wl" "$tool" "$WALL" "$USR" "$SYS" "$CPU" "$RSS_KIB" "$load" >>"$RAW"
	printf 'bench: %-28s wall %7ss  cpu %7ss  rss %6d MiB  (load %s)\n' "$desc" "$WALL" "$CPU" "$((RSS_KIB / 1024))" "$load" >&2

	case $wl in
	big-down) same_data "$desc" "$SRC/big.bin" "$DL/big.bin" ;;
	small-down) same_data "$desc" "$SRC/small" "$DL/small" ;;
	*-up)
		# Check what the tool uploaded once per tool and workload, reading
		# it back with aws-cli, the reference tool.
		if [[ -z ${UPLOAD_VERIFIED[$wl/$tool]:-} ]]; then
			rm -rf "$VERIFY"
			mkdir -p "$VERIFY"
			if [[ $wl == big-up ]]; then
				copy_cmd aws 0 "$(obj aws "${prefix}big.bin")" "$VERIFY/big.bin"
				run_or_die "reading back $desc"
				same_data "$desc (read back by aws-cli)" "$SRC/big.bin" "$VERIFY/big.bin"
			else
				copy_cmd aws 1 "$(obj aws "$prefix")" "$VERIFY/small"
				run_or_die "reading back $desc"
				same_data "$desc (read back by aws-cli)" "$SRC/small" "$VERIFY/small"
			fi
			rm -rf "$VERIFY"
			UPLOAD_VERIFIED[$wl/$tool]=1
		fi
		rm_cmd "$tool" "$prefix"
		run_or_die "$tool deleting $prefix"
		empty_minio_trash
		;;
	esac
	rm -rf "$DL"
}

for round in $(seq 1 "$RUNS"); do
	# Rotate the order each round: haul aws rclone, aws rclone haul, ...
	order=()
	for i in "${!TOOLS[@]}"; do
		order+=("${TOOLS[$(((i + round - 1) % ${#TOOLS[@]}))]}")
	done
	log "round $round of $RUNS (order: ${order[*]})"
	for wl in "${WORKLOADS[@]}"; do
		for tool in "${order[@]}"; do
			one_run "$round" "$wl" "$tool"
		done
	done
done

# ---------------------------------------------------------------- report

# median WORKLOAD TOOL COLUMN prints the median of a column of the raw numbers.
median() {
	awk -v w="$1" -v t="$2" -v c="$3" '$1 !~ /^#/ && $2 == w && $3 == t { print $c }' "$RAW" |
		sort -g |
		awk '{ a[NR] = $1 } END {
			if (NR == 0) { print "NaN"; exit }
			if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2
		}'
}

label() {
	local big small
	if ((BIG_MIB % 1024 == 0)); then big="$((BIG_MIB / 1024)) GiB file"; else big="$BIG_MIB MiB file"; fi
	small="$SMALL_COUNT x $SMALL_KIB KiB"
	case $1 in
	big-up) echo "upload $big" ;;
	big-down) echo "download $big" ;;
	small-up) echo "upload $small" ;;
	small-down) echo "download $small" ;;
	esac
}

# verdict VALUE LIMIT NAME prints "NAME VALUE<=LIMIT PASS" (or FAIL).
verdict() {
	awk -v v="$1" -v l="$2" -v n="$3" 'BEGIN { printf "%s %s<=%s %s", n, v, l, (v <= l ? "PASS" : "FAIL") }'
}

# ratio A B prints A/B with two decimals, or "-" when B is not positive.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else printf "-"
	}'
}

# round_ratios WORKLOAD COLUMN prints min..max over the rounds of haul/haul-base in COLUMN
# (one value when there was one round): how far the pair moves from round to round.
round_ratios() {
	awk -v w="$1" -v c="$2" '
		$1 !~ /^#/ && $2 == w && $3 == "haul" { h[$1] = $c }
		$1 !~ /^#/ && $2 == w && $3 == "haul-base" { b[$1] = $c }
		END {
			n = 0
			for (r in h) if ((r in b) && b[r] > 0) {
				x = h[r] / b[r]
				if (n == 0 || x < lo) lo = x
				if (n == 0 || x > hi) hi = x
				n++
			}
			if (n == 0) print "-"
			else if (n == 1) printf "%.2f\n", lo
			else printf "%.2f..%.2f\n", lo, hi
		}' "$RAW"
}

report() {
	local wl tool wall cpu rss rss_mib aws_wall aws_cpu s5_wall s5_cpu wr cr swr scr checks wt fmt
	local passed=0 total=0 s5=""
	has_tool s5cmd && s5=1
	fmt='%-22s %-9s %8s %8s %8s %9s %9s'
	[[ -n $s5 ]] && fmt+=' %10s %10s'
	fmt+='  %s\n'
	row() {
		local a=("$@")
		[[ -n $s5 ]] || unset 'a[7]' 'a[8]'
		# shellcheck disable=SC2059 # the format is built above
		printf "$fmt" "${a[@]}"
	}
	printf '\nMedians of %d runs (MinIO and all data on tmpfs; CPU = client user+sys; RSS = client peak):\n\n' "$RUNS"
	row workload tool "wall s" "CPU s" "RSS MiB" "wall/aws" "CPU/aws" "wall/s5cmd" "CPU/s5cmd" "targets (haul)"
	row ---------------------- --------- -------- -------- -------- --------- --------- ---------- ---------- --------------
	for wl in "${WORKLOADS[@]}"; do
		aws_wall="$(median "$wl" aws 4)"
		aws_cpu="$(median "$wl" aws 7)"
		s5_wall="$(median "$wl" s5cmd 4)"
		s5_cpu="$(median "$wl" s5cmd 7)"
		for tool in "${TOOLS[@]}"; do
			wall="$(median "$wl" "$tool" 4)"
			cpu="$(median "$wl" "$tool" 7)"
			rss="$(median "$wl" "$tool" 8)"
			rss_mib="$(awk -v r="$rss" 'BEGIN { printf "%.1f", r / 1024 }')"
			wr="$(ratio "$wall" "$aws_wall")" cr="$(ratio "$cpu" "$aws_cpu")"
			swr="$(ratio "$wall" "$s5_wall")" scr="$(ratio "$cpu" "$s5_cpu")"
			[[ $tool == aws ]] && { wr=""; cr=""; }
			[[ $tool == s5cmd ]] && { swr=""; scr=""; }
			checks=""
			if [[ $tool == haul ]]; then
				wt=""
				[[ $wl == big-up ]] && wt=$WALL_TARGET_BIG_UP
				[[ $wl == small-up ]] && wt=$WALL_TARGET_SMALL_UP
				if [[ -n $wt ]]; then
					checks+="$(verdict "$wr" "$wt" wall), "
				fi
				checks+="$(verdict "$cr" "$CPU_TARGET" cpu), $(verdict "$rss_mib" "$RSS_TARGET_MIB" rss)"
				total=$((total + $(grep -o 'PASS\|FAIL' <<<"$checks" | wc -l)))
				passed=$((passed + $(grep -o 'PASS' <<<"$checks" | wc -l)))
			fi
			row "$(label "$wl")" "$tool" "$(printf '%.2f' "$wall")" "$(printf '%.2f' "$cpu")" "$rss_mib" "$wr" "$cr" "$swr" "$scr" "$checks"
		done
	done
	printf '\nhaul targets met: %d of %d (wall <= %sx aws on the big upload, <= %sx on the small-file upload; CPU <= %sx aws; peak RSS <= %s MiB)\n' \
		"$passed" "$total" "$WALL_TARGET_BIG_UP" "$WALL_TARGET_SMALL_UP" "$CPU_TARGET" "$RSS_TARGET_MIB"
	if [[ -n $s5 ]]; then
		printf 's5cmd: %s\n' "$S5CMD_SETTINGS"
	else
		printf 's5cmd: not measured: %s\n' "$S5CMD_SKIP"
	fi
	if has_tool haul-base; then
		printf '\nhaul against haul-base (%s), run beside it in every round.\n' "$HAUL_BASE_DESC"
		printf 'Ratios of the medians; "rounds" is the range of the per-round ratios, the noise to judge them by'
		if ((RUNS == 1)); then printf ' (one round: no noise estimate; BENCH_RUNS=3 or more gives one)'; fi
		printf ':\n\n'
		printf '%-22s %8s %8s %8s  %-13s %-13s\n' workload "wall h/b" "CPU h/b" "RSS h/b" "wall rounds" "CPU rounds"
		printf '%-22s %8s %8s %8s  %-13s %-13s\n' ---------------------- -------- -------- -------- ------------- -------------
		for wl in "${WORKLOADS[@]}"; do
			printf '%-22s %8s %8s %8s  %-13s %-13s\n' "$(label "$wl")" \
				"$(ratio "$(median "$wl" haul 4)" "$(median "$wl" haul-base 4)")" \
				"$(ratio "$(median "$wl" haul 7)" "$(median "$wl" haul-base 7)")" \
				"$(ratio "$(median "$wl" haul 8)" "$(median "$wl" haul-base 8)")" \
				"$(round_ratios "$wl" 4)" "$(round_ratios "$wl" 7)"
		done
	fi
}

REPORT="$(report)"
echo "$REPORT"
{
	cat "$RAW"
	echo
	while IFS= read -r line; do echo "# $line"; done <<<"$REPORT"
} >"$OUT"
echo
echo "raw per-run numbers and this table: $OUT"
