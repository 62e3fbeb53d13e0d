#!/usr/bin/env bash
# bench-scale.sh measures how haul's cost grows with the number of files: `haul cp -r` up
# and down of a few thousand and of hundreds of thousands of small files, against a local
# MinIO whose data dir is on tmpfs, and checks that memory does not grow and that CPU grows
# linearly (issue #12):
#   peak RSS at the largest count within 10 MiB of the figure at the smallest, and
#   CPU per file at the largest count no more than 20% above the figure at the smallest.
# A CPU per file below the smallest count's is the fixed cost of starting (process, SDK,
# first connections) spread over more files, and passes.
#
# Usage: scripts/bench-scale.sh      (or `make bench-scale`)
#
# Layouts, each at every count:
#   tree  directories of 1,000 files (d000/f000000 .. d000/f000999, d001/f001000, ...)
#   flat  every file in one directory
# Both hold the same files (hard links), of BENCH_SCALE_KIB KiB of random data each.
# Each run is timed with `/usr/bin/time -f '%e %U %S %M'`: wall seconds, client CPU (user +
# sys) and peak RSS; the table gives the medians and the CPU per file in microseconds.
# Targets are reported as PASS/FAIL, never asserted: the script exits 0 when they fail,
# and non-zero when haul fails or the data it moved differs from the source.
#
# Set-up is kept out of the timings and kept fast: the files are made by split(1) and
# linked into the tree; the objects the downloads read are uploaded once by haul itself
# (untimed) under seed/; each timed upload goes to a fresh prefix whose objects are then
# removed from MinIO's data dir directly (removing them through S3 would take longer than
# the upload did). The first upload and download of each kind by each tool are checked:
# the upload's object count in MinIO's data dir, the download's files against the source
# (diff -r). Runs are interleaved: each round runs every layout, direction, count and tool
# once, and the tools' order rotates from round to round.
#
# Environment:
#   BENCH_SCALE_COUNTS  file counts to run (default "2000 200000"); the checks compare the
#                       largest with the smallest
#   BENCH_SCALE_LAYOUTS layouts to run (default "tree flat")
#   BENCH_SCALE_KIB     size of each file in KiB (default 1)
#   BENCH_RUNS          runs of each (default 3)
#   BENCH_SCALE_RUNS_LARGEST  runs of the largest count (default BENCH_RUNS, at most it):
#                       the rounds after these leave it out, to keep a run short
#   BENCH_OUT           raw per-run numbers + tables (default bin/bench-scale-results.txt)
#   BENCH_TMPFS         tmpfs dir to work in (default /dev/shm)
#   BENCH_LOCK          a file to flock(1) around each timed run and each seeding, so that
#                       measurements sharing a machine never overlap (default: none)
#   HAUL_BIN            haul binary to use (default: build bin/haul from the tree)
#   HAUL_BASELINE       a second haul binary, measured beside it as haul-base
#   HAUL_BASELINE_REV   a git revision to build and measure as haul-base (not with
#                       HAUL_BASELINE)
#   HAUL_CONCURRENCY    haul's --concurrency (default: haul's own default)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${BENCH_RUNS:-3}"
RUNS_LARGEST="${BENCH_SCALE_RUNS_LARGEST:-$RUNS}"
OUT="${BENCH_OUT:-$REPO/bin/bench-scale-results.txt}"
read -r -a COUNTS <<<"${BENCH_SCALE_COUNTS:-2000 200000}"
read -r -a LAYOUTS <<<"${BENCH_SCALE_LAYOUTS:-tree flat}"
KIB="${BENCH_SCALE_KIB:-1}"
TMPFS_DIR="${BENCH_TMPFS:-/dev/shm}"
LOCK="${BENCH_LOCK:-}"
BUCKET=haul-scale
PER_DIR=1000
RSS_TARGET_MIB=10  # largest count's peak RSS minus the smallest's
CPU_TARGET=1.20    # largest count's CPU per file over the smallest's

die() {
	echo "bench-scale: $*" >&2
	exit 1
}
log() { echo "bench-scale: $*" >&2; }

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, got '$RUNS'"
[[ $RUNS_LARGEST =~ ^[1-9][0-9]*$ ]] || die "BENCH_SCALE_RUNS_LARGEST must be a positive integer, got '$RUNS_LARGEST'"
((RUNS_LARGEST <= RUNS)) || RUNS_LARGEST=$RUNS
[[ $KIB =~ ^[1-9][0-9]*$ ]] || die "BENCH_SCALE_KIB must be a positive integer, got '$KIB'"
((${#COUNTS[@]} > 0)) || die "BENCH_SCALE_COUNTS is empty"
for n in "${COUNTS[@]}"; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || die "BENCH_SCALE_COUNTS must hold positive integers, got '$n'"
	((n <= 10000000)) || die "BENCH_SCALE_COUNTS: $n files is more than this script names (10,000,000)"
done
for l in "${LAYOUTS[@]}"; do
	[[ $l == tree || $l == flat ]] || die "BENCH_SCALE_LAYOUTS holds tree and/or flat, got '$l'"
done
mapfile -t COUNTS < <(printf '%s\n' "${COUNTS[@]}" | sort -n | uniq)
SMALLEST=${COUNTS[0]}
LARGEST=${COUNTS[${#COUNTS[@]} - 1]}
if [[ -n ${HAUL_CONCURRENCY:-} ]]; then
	[[ $HAUL_CONCURRENCY =~ ^[1-9][0-9]*$ ]] || die "HAUL_CONCURRENCY must be a positive integer"
fi

# ---------------------------------------------------------------- cleanup

WORK=""
MOUNTED=""
MINIO_PID=""
BASE_DIR=""
# shellcheck source=scripts/lib/minio.sh
. "$(dirname "$0")/lib/minio.sh"

bench_traps

# locked CMD... runs CMD under BENCH_LOCK when it is set.
locked() {
	if [[ -n $LOCK ]]; then
		flock "$LOCK" "$@"
	else
		"$@"
	fi
}

# ---------------------------------------------------------------- tools

[[ -x /usr/bin/time ]] || apt_install time
bench_binaries
bench_baseline
TOOLS=(haul)
[[ -n $HAUL_BASE ]] && TOOLS+=(haul-base)
[[ -n $HAUL_BASE ]] && log "haul-base: $HAUL_BASE_DESC"

# ---------------------------------------------------------------- tmpfs

# Per file: one source file (the tree and the flat layout are links to it), one seeded
# object per layout, one upload and one download at a time; each takes a page of tmpfs
# (4 KiB at least) and an inode, MinIO's a directory too.
NEED_KIB=$((1024 * 1024))
for n in "${COUNTS[@]}"; do
	NEED_KIB=$((NEED_KIB + n * (KIB + 8) * (3 + ${#LAYOUTS[@]})))
done
tmpfs_work haul-bench-scale "$NEED_KIB" "$((10000 + LARGEST * (3 + ${#LAYOUTS[@]}) * 3))"
SRC="$WORK/src"
DL="$WORK/dl"
META="$WORK/meta"
mkdir -p "$SRC" "$META" "$WORK/minio"
start_minio

# ---------------------------------------------------------------- data

# width N prints the digits of the file numbers of N files (6 at least: the tree's
# directory of a file is its number without the last three digits).
width() {
	local w=${#1}
	((w < 6)) && w=6
	echo "$w"
}

# make_data N makes N files in $SRC/flat-N and links them into $SRC/tree-N.
make_data() {
	local n=$1 w flat tree d dirs
	w="$(width "$((n - 1))")"
	flat="$SRC/flat-$n" tree="$SRC/tree-$n"
	mkdir -p "$flat" "$tree"
	head -c "$((n * KIB * 1024))" /dev/urandom | split -b "$((KIB * 1024))" -a "$w" -d - "$flat/f"
	[[ "$(find "$flat" -type f | wc -l)" -eq $n ]] || die "making $n files in $flat failed"
	dirs=$(((n + PER_DIR - 1) / PER_DIR))
	for ((d = 0; d < dirs; d++)); do
		local dd
		dd="$(printf "%0$((w - 3))d" "$d")"
		mkdir "$tree/d$dd"
		ln "$flat/f$dd"??? "$tree/d$dd/"
	done
	[[ "$(find "$tree" -type f | wc -l)" -eq $n ]] || die "linking $n files into $tree failed"
}

haul_cmd() {
	if [[ $1 == haul-base ]]; then CMD=("$HAUL_BASE"); else CMD=("$HAUL"); fi
	CMD+=(--endpoint-url "$ENDPOINT" -q)
}

# copy_cmd TOOL SRC DST sets CMD to the tool's recursive copy.
copy_cmd() {
	haul_cmd "$1"
	CMD+=(cp -r)
	[[ -n ${HAUL_CONCURRENCY:-} ]] && CMD+=(--concurrency "$HAUL_CONCURRENCY")
	CMD+=("$2" "$3")
}

run_or_die() {
	if ! locked "${CMD[@]}" >"$META/cmd.out" 2>"$META/cmd.err"; then
		echo "bench-scale: FAILED: $1" >&2
		echo "bench-scale: command: ${CMD[*]}" >&2
		cat "$META/cmd.out" "$META/cmd.err" >&2
		exit 1
	fi
}

# measure DESCRIPTION runs CMD under /usr/bin/time and sets WALL USR SYS CPU RSS_KIB.
measure() {
	local tf="$META/time.out"
	rm -f "$tf"
	if ! locked /usr/bin/time -f '%e %U %S %M' -o "$tf" "${CMD[@]}" >"$META/cmd.out" 2>"$META/cmd.err"; then
		echo "bench-scale: FAILED: $1" >&2
		echo "bench-scale: command: ${CMD[*]}" >&2
		cat "$META/cmd.out" "$META/cmd.err" "$tf" >&2 2>/dev/null || true
		exit 1
	fi
	if [[ -s $META/cmd.err ]]; then
		log "note: $1 wrote to stderr:"
		head -n 20 "$META/cmd.err" >&2
	fi
	read -r WALL USR SYS RSS_KIB <"$tf"
	CPU="$(awk -v u="$USR" -v s="$SYS" 'BEGIN { printf "%.2f", u + s }')"
}

log "making the data: ${COUNTS[*]} files of $KIB KiB, as a tree of $PER_DIR-file directories and as one flat directory (hard links)"
for n in "${COUNTS[@]}"; do
	make_data "$n"
done

CMD=("$HAUL" --endpoint-url "$ENDPOINT" -q mb "s3://$BUCKET")
run_or_die "haul mb s3://$BUCKET"
for n in "${COUNTS[@]}"; do
	for l in "${LAYOUTS[@]}"; do
		log "seeding s3://$BUCKET/seed/$l-$n/ with haul (untimed)"
		copy_cmd haul "$SRC/$l-$n/" "s3://$BUCKET/seed/$l-$n/"
		run_or_die "seeding $l-$n"
	done
done

# ---------------------------------------------------------------- runs

load1() { cut -d ' ' -f 1 /proc/loadavg; }
if awk -v l="$(load1)" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
	log "warning: load average $(load1) on $(nproc) CPUs before starting; figures will be noisy"
fi

RAW="$META/raw.txt"
{
	echo "# haul bench-scale: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, runs=$RUNS ($RUNS_LARGEST of $LARGEST files)"
	echo "# haul: $HAUL ($(cd "$REPO" && git describe --always --dirty 2>/dev/null || echo unknown))"
	if [[ -n $HAUL_BASE ]]; then echo "# haul-base: $HAUL_BASE ($HAUL_BASE_DESC)"; fi
	echo "# minio: $MINIO ($(cat "$REPO/.tools/bin/minio.version" 2>/dev/null || echo unknown)); everything on tmpfs ($WORK)"
	echo "# files of $KIB KiB; tree = directories of $PER_DIR files, flat = one directory"
	echo "# round layout dir count tool wall_s user_s sys_s cpu_s rss_kib load1"
} >"$RAW"

declare -A CHECKED=()

# one_run ROUND LAYOUT DIR(up|down) COUNT TOOL
one_run() {
	local round=$1 l=$2 dir=$3 n=$4 tool=$5 desc prefix load got
	desc="round $round $l $dir $n $tool"
	prefix="up/$tool/r$round/$l-$n/"
	rm -rf "$DL"
	if [[ $dir == up ]]; then
		copy_cmd "$tool" "$SRC/$l-$n/" "s3://$BUCKET/$prefix"
	else
		copy_cmd "$tool" "s3://$BUCKET/seed/$l-$n/" "$DL/"
	fi
	load="$(load1)"
	measure "$desc"
	printf '%s %s %s %s %s %s %s %s %s %s %s\n' "$round" "$l" "$dir" "$n" "$tool" "$WALL" "$USR" "$SYS" "$CPU" "$RSS_KIB" "$load" >>"$RAW"
	printf 'bench-scale: %-34s wall %7ss  cpu %7ss  %7.1f us/file  rss %6.1f MiB  (load %s)\n' "$desc" "$WALL" "$CPU" \
		"$(awk -v c="$CPU" -v n="$n" 'BEGIN { print c / n * 1e6 }')" "$(awk -v r="$RSS_KIB" 'BEGIN { print r / 1024 }')" "$load" >&2
	if [[ -z ${CHECKED[$l/$dir/$n/$tool]:-} ]]; then
		if [[ $dir == up ]]; then
			got="$(find "$WORK/minio/$BUCKET/$prefix" -name xl.meta | wc -l)"
			[[ $got -eq $n ]] || die "$desc: MinIO holds $got objects under $prefix, not $n"
		elif ! diff -r -q "$SRC/$l-$n" "$DL" >"$META/diff.out" 2>&1; then
			echo "bench-scale: DATA MISMATCH: $desc ($DL differs from $SRC/$l-$n):" >&2
			head -n 20 "$META/diff.out" >&2
			exit 1
		fi
		CHECKED[$l/$dir/$n/$tool]=1
	fi
	if [[ $dir == up ]]; then
		rm -rf "$WORK/minio/$BUCKET/${prefix%/}"
	fi
	rm -rf "$DL"
}

for round in $(seq 1 "$RUNS"); do
	order=()
	for i in "${!TOOLS[@]}"; do
		order+=("${TOOLS[$(((i + round - 1) % ${#TOOLS[@]}))]}")
	done
	log "round $round of $RUNS (tools: ${order[*]})"
	for l in "${LAYOUTS[@]}"; do
		for dir in up down; do
			for n in "${COUNTS[@]}"; do
				((n == LARGEST && n != SMALLEST && round > RUNS_LARGEST)) && continue
				for tool in "${order[@]}"; do
					one_run "$round" "$l" "$dir" "$n" "$tool"
				done
			done
		done
	done
done

# ---------------------------------------------------------------- report

# median LAYOUT DIR COUNT TOOL COLUMN prints the median of a column of the raw numbers.
median() {
	awk -v l="$1" -v d="$2" -v n="$3" -v t="$4" -v c="$5" \
		'$1 !~ /^#/ && $2 == l && $3 == d && $4 == n && $5 == t { print $c }' "$RAW" |
		sort -g |
		awk '{ a[NR] = $1 } END {
			if (NR == 0) { print "NaN"; exit }
			if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2
		}'
}

report() {
	local tool l dir n wall cpu rss fmt
	local -A RSS_MIB=() CPU_US=()
	fmt='%-9s %-6s %-5s %9s %8s %8s %10s %8s\n'
	printf '\nMedians of %d runs (%d of %d files; haul cp -r of %s KiB files; MinIO and all data on tmpfs; CPU = client user+sys; RSS = client peak):\n\n' "$RUNS" "$RUNS_LARGEST" "$LARGEST" "$KIB"
	# shellcheck disable=SC2059 # the format is the one above
	printf "$fmt" tool layout dir files "wall s" "CPU s" "CPU us/file" "RSS MiB"
	# shellcheck disable=SC2059
	printf "$fmt" --------- ------ ----- --------- -------- -------- ---------- --------
	for tool in "${TOOLS[@]}"; do
		for l in "${LAYOUTS[@]}"; do
			for dir in up down; do
				for n in "${COUNTS[@]}"; do
					wall="$(median "$l" "$dir" "$n" "$tool" 6)"
					cpu="$(median "$l" "$dir" "$n" "$tool" 9)"
					rss="$(median "$l" "$dir" "$n" "$tool" 10)"
					CPU_US[$tool/$l/$dir/$n]="$(awk -v c="$cpu" -v n="$n" 'BEGIN { printf "%.1f", c / n * 1e6 }')"
					RSS_MIB[$tool/$l/$dir/$n]="$(awk -v r="$rss" 'BEGIN { printf "%.1f", r / 1024 }')"
					# shellcheck disable=SC2059
					printf "$fmt" "$tool" "$l" "$dir" "$n" "$(printf '%.2f' "$wall")" "$(printf '%.2f' "$cpu")" \
						"${CPU_US[$tool/$l/$dir/$n]}" "${RSS_MIB[$tool/$l/$dir/$n]}"
				done
			done
		done
	done
	((${#COUNTS[@]} > 1)) || return 0
	printf '\nChecks, %s files against %s (RSS: the largest count'"'"'s peak at most %s MiB above the smallest'"'"'s;\nCPU: its CPU per file at most %sx the smallest'"'"'s):\n\n' \
		"$LARGEST" "$SMALLEST" "$RSS_TARGET_MIB" "$CPU_TARGET"
	for tool in "${TOOLS[@]}"; do
		for l in "${LAYOUTS[@]}"; do
			for dir in up down; do
				awk -v t="$tool" -v l="$l" -v d="$dir" \
					-v r1="${RSS_MIB[$tool/$l/$dir/$SMALLEST]}" -v r2="${RSS_MIB[$tool/$l/$dir/$LARGEST]}" \
					-v c1="${CPU_US[$tool/$l/$dir/$SMALLEST]}" -v c2="${CPU_US[$tool/$l/$dir/$LARGEST]}" \
					-v rt="$RSS_TARGET_MIB" -v ct="$CPU_TARGET" 'BEGIN {
						dr = r2 - r1; cr = (c1 > 0 ? c2 / c1 : 0)
						printf "%-9s %-5s %-5s RSS %+7.1f MiB %s   CPU/file x%.2f %s\n", t, l, d,
							dr, (dr <= rt ? "PASS" : "FAIL"), cr, (c1 > 0 && cr <= ct ? "PASS" : "FAIL")
					}'
			done
		done
	done
}

mkdir -p "$(dirname "$OUT")"
REPORT="$(report)"
echo "$REPORT"
{
	cat "$RAW"
	echo
	while IFS= read -r line; do echo "# $line"; done <<<"$REPORT"
} >"$OUT"
echo
echo "raw per-run numbers and these tables: $OUT"
