#!/usr/bin/env bash
# bench-sync.sh compares `haul sync` with `aws s3 sync`, `rclone sync` and `s5cmd sync` on
# a tree of small files against a local MinIO whose data dir is on tmpfs, as
# scripts/bench.sh does for cp, and counts the requests each tool sends.
#
# Usage: scripts/bench-sync.sh       (normally via `make bench-sync`)
#
# Workloads, in each direction (BENCH_SYNC_DIRS, default "up down"), each run by every
# tool in every round (BENCH_RUNS rounds), in this order, each tool on its own state:
#   first   sync a tree of BENCH_SYNC_COUNT files of BENCH_SYNC_KIB KiB (default 2,000 x
#           64 KiB of random data, in directories of 100) into an empty destination
#   same    the same sync again, nothing changed
#   1pct    1% of the files (at least one) get new random content of the same size (and a
#           new mtime or LastModified), then the same sync again
# up:   local -> s3://haul-bench-sync/up/TOOL/rROUND/. Each tool syncs its own copy of the
#       tree (cp -a of one master, made at the start of the round); for 1pct the changed
#       files (the same new bytes for every tool) are written over its copy just before its
#       run.
# down: s3://haul-bench-sync/down/TOOL/rROUND/ -> a local dir of its own, empty at first.
#       Each tool's prefix is a server-side copy (s5cmd cp, else aws s3 cp) of objects
#       uploaded once by aws-cli (no tool's own metadata, as from another tool); for 1pct the changed files are uploaded
#       over the tool's prefix with aws-cli just before its run.
# Runs 2 and 3 find the destination as the same tool's previous run left it. Tools are
# interleaved (the order rotates each round); prefixes and trees are removed (untimed)
# at the end of each round.
#
# Measured: wall, client CPU (user + sys) and peak RSS from `/usr/bin/time -f
# '%e %U %S %M'`, medians over the rounds; and the requests each run sent, by S3
# operation, counted by scripts/countproxy (a reverse proxy in front of MinIO that every
# tool is pointed at; "HeadObject/404" is a HEAD answered 404). All tools pay the proxy's
# hop alike. haul runs with --json (its events go to a file) so the calls it reports in
# its summary can be checked against the proxy's count; a difference is reported.
# Commands, with each tool's defaults (no --delete, checksum or size-only options):
#   haul --json sync SRC DST            (its state file in a temp dir on the tmpfs)
#   aws s3 sync --only-show-errors SRC DST
#   rclone -q sync SRC DST
#   s5cmd --log error sync SRC DST      (download source 's3://b/p/*', as s5cmd wants)
#
# The table gives every tool's wall time over the fastest peer's (the peer, aws-cli, rclone or
# s5cmd, with the lowest median wall time among those whose result was right in every run).
#
# Checks: every tool must exit 0 (else the script stops with an error). After each run the
# destination must hold exactly what the source holds: for uploads, the listing's keys,
# sizes and ETags (MD5 for single-part objects; size only for multipart ETags) against the
# local tree; for downloads, `diff -r` against the expected tree. A wrong result is shown
# in the table's check column (WRONG:N, N differences: keys, files or directories) and
# listed under it; it makes the script exit 1 when it is haul's, and is reported, not
# fatal, for a peer: their known gaps are results (../shared/SYNC.md; aws-cli, for one,
# does not download a same-size object that changed in S3). What is re-sent or
# re-fetched without need is not a failure: it shows in the request counts.
#
# Peers as in scripts/bench.sh: aws-cli must be installed; rclone is apt-installed when
# missing (as root); s5cmd comes from ../shared/peers (S5CMD=path or off to override).
#
# Environment:
#   BENCH_RUNS         rounds (default 3)
#   BENCH_SYNC_COUNT   number of files (default 2000)
#   BENCH_SYNC_KIB     size of each file in KiB (default 64)
#   BENCH_SYNC_DIRS    directions to run: "up", "down" or "up down" (default)
#   BENCH_OUT          raw per-run numbers + table (default: bin/bench-sync-results.txt)
#   BENCH_TMPFS        tmpfs dir to work in (default /dev/shm)
#   HAUL_BIN           haul binary to use (default: build bin/haul from the tree)
#   S5CMD              s5cmd binary (default: ../shared/peers/); S5CMD=off runs without it
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${BENCH_RUNS:-3}"
OUT="${BENCH_OUT:-$REPO/bin/bench-sync-results.txt}"
COUNT="${BENCH_SYNC_COUNT:-2000}"
KIB="${BENCH_SYNC_KIB:-64}"
read -r -a DIRS <<<"${BENCH_SYNC_DIRS:-up down}"
TMPFS_DIR="${BENCH_TMPFS:-/dev/shm}"
BUCKET=haul-bench-sync

die() {
	echo "bench-sync: $*" >&2
	exit 1
}
log() { echo "bench-sync: $*" >&2; }

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, got '$RUNS'"
[[ $COUNT =~ ^[1-9][0-9]*$ ]] || die "BENCH_SYNC_COUNT must be a positive integer, got '$COUNT'"
[[ $KIB =~ ^[1-9][0-9]*$ ]] || die "BENCH_SYNC_KIB must be a positive integer, got '$KIB'"
((${#DIRS[@]})) || die "BENCH_SYNC_DIRS is empty"
for d in "${DIRS[@]}"; do [[ $d == up || $d == down ]] || die "BENCH_SYNC_DIRS: '$d' is not up or down"; done
CHANGED=$((COUNT / 100))
((CHANGED > 0)) || CHANGED=1

WORK="" MOUNTED="" MINIO_PID="" PROXY_PID=""
# shellcheck source=scripts/lib/minio.sh
. "$(dirname "$0")/lib/minio.sh"

cleanup() {
	local rc=$?
	if [[ -n $PROXY_PID ]]; then
		kill "$PROXY_PID" 2>/dev/null || true
		wait "$PROXY_PID" 2>/dev/null || true
	fi
	stop_bench
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- tools

bench_peers
command -v jq >/dev/null || apt_install jq
bench_binaries
find_s5cmd
TOOLS=(haul aws rclone)
[[ -n $S5CMD_BIN ]] && TOOLS+=(s5cmd)

BYTES=$((COUNT * KIB * 1024))
# Master, expected and changed trees; per tool a local tree and two prefixes; the seed.
NEED_KIB=$((BYTES * (5 + 3 * ${#TOOLS[@]}) / 1024 + 512 * 1024))
tmpfs_work haul-bench-sync "$NEED_KIB"
SRC="$WORK/src"       # the master tree
CHG="$WORK/chg"       # the changed files, at their paths in the tree
EXP="$WORK/exp"       # the tree after the change
TREES="$WORK/trees"   # per tool: up/ (its copy of the tree), down/ (its download dir)
META="$WORK/meta"     # timing output, tool output, logs
export XDG_STATE_HOME="$WORK/state" # haul's sync state files
mkdir -p "$SRC" "$CHG" "$META" "$WORK/minio" "$TREES"

start_minio
log "building scripts/countproxy"
(cd "$REPO" && go build -o "$META/countproxy" scripts/countproxy/main.go) || die "go build scripts/countproxy failed"
# It picks its own port (a free_port could be taken before it binds) and prints it.
"$META/countproxy" -listen 127.0.0.1:0 -target "$ENDPOINT" >"$META/countproxy.log" 2>&1 &
PROXY_PID=$!
PROXY=""
for _ in $(seq 1 100); do
	PROXY="$(sed -n 's#^countproxy: listening on \(http://[0-9.:]*\),.*#\1#p' "$META/countproxy.log")"
	[[ -n $PROXY ]] && curl -fs -o /dev/null "$PROXY/__counts" && break
	kill -0 "$PROXY_PID" 2>/dev/null || { cat "$META/countproxy.log" >&2; die "countproxy exited"; }
	sleep 0.1
done
{ [[ -n $PROXY ]] && curl -fs -o /dev/null "$PROXY/__counts"; } || die "countproxy not answering (log: $(cat "$META/countproxy.log"))"
log "counting proxy on $PROXY -> $ENDPOINT"

: >"$META/rclone.conf"
export RCLONE_CONFIG="$META/rclone.conf"
export RCLONE_CONFIG_BENCH_TYPE=s3 RCLONE_CONFIG_BENCH_PROVIDER=Minio
export RCLONE_CONFIG_BENCH_ENDPOINT="$PROXY"
export RCLONE_CONFIG_BENCH_ACCESS_KEY_ID="$ACCESS_KEY"
export RCLONE_CONFIG_BENCH_SECRET_ACCESS_KEY="$SECRET_KEY"
export RCLONE_CONFIG_BENCH_REGION=us-east-1

# ---------------------------------------------------------------- commands

# sync_cmd TOOL DIR(up|down) LOCALDIR PREFIX sets CMD to the tool's sync, through the proxy.
sync_cmd() {
	local tool=$1 dir=$2 ldir=$3 prefix=$4 remote="s3://$BUCKET/$4"
	case $tool in
	haul) CMD=("$HAUL" --endpoint-url "$PROXY" --json sync) ;;
	aws) CMD=("$AWS" --endpoint-url "$PROXY" s3 sync --only-show-errors) ;;
	rclone)
		CMD=("${RCLONE[@]}" -q sync)
		remote="bench:$BUCKET/${prefix%/}"
		;;
	s5cmd)
		CMD=("$S5CMD_BIN" --endpoint-url "$PROXY" --log error sync)
		[[ $dir == down ]] && remote+="*"
		;;
	esac
	if [[ $dir == up ]]; then CMD+=("$ldir/" "$remote"); else CMD+=("$remote" "$ldir/"); fi
}

# run_or_die DESCRIPTION runs CMD untimed and fails loudly on error.
run_or_die() {
	if ! "${CMD[@]}" >"$META/cmd.out" 2>"$META/cmd.err"; then
		echo "bench-sync: FAILED: $1" >&2
		echo "bench-sync: command: ${CMD[*]}" >&2
		cat "$META/cmd.out" "$META/cmd.err" >&2
		exit 1
	fi
}

# measure DESCRIPTION runs CMD under /usr/bin/time and sets WALL USR SYS CPU RSS_KIB.
measure() {
	local tf="$META/time.out"
	rm -f "$tf"
	if ! /usr/bin/time -f '%e %U %S %M' -o "$tf" "${CMD[@]}" >"$META/cmd.out" 2>"$META/cmd.err"; then
		echo "bench-sync: FAILED: $1" >&2
		echo "bench-sync: command: ${CMD[*]}" >&2
		tail -n 20 "$META/cmd.out" >&2
		cat "$META/cmd.err" "$tf" >&2 2>/dev/null || true
		exit 1
	fi
	if [[ -s $META/cmd.err ]]; then
		log "note: $1 wrote to stderr:"
		head -n 20 "$META/cmd.err" >&2
	fi
	read -r WALL USR SYS RSS_KIB <"$tf"
	CPU="$(awk -v u="$USR" -v s="$SYS" 'BEGIN { printf "%.2f", u + s }')"
}

# counts prints the requests since the last call, "Op=N,Op=N" ("-" for none), and resets them.
counts() { curl -fsS "$PROXY/__counts?format=text" | tr ' ' ','; }

# fingerprints DIR prints "path size md5" for every file under DIR, sorted by path.
fingerprints() {
	(cd "$1" && find . -type f -printf '%P\0' | sort -z >"$META/files.z" &&
		paste -d ' ' <(tr '\0' '\n' <"$META/files.z") <(xargs -0 -r stat -c %s <"$META/files.z") \
			<(xargs -0 -r md5sum <"$META/files.z" | cut -d ' ' -f 1))
}

# check_prefix DESCRIPTION PREFIX WANT sets CHECK to ok when the objects under PREFIX match
# WANT (a fingerprints list: same keys, sizes and, where the ETag is an MD5, content), else
# to wrong:N (N keys differ) and says which.
check_prefix() {
	local desc=$1 prefix=$2 want=$3
	CMD=("$HAUL" --endpoint-url "$ENDPOINT" ls -r --json "s3://$BUCKET/$prefix")
	run_or_die "listing $prefix to check $desc"
	jq -r --arg p "$prefix" 'select(.event == "object") | "\(.key | ltrimstr($p)) \(.size) \(.etag)"' \
		<"$META/cmd.out" | grep -v '/ 0 ' | sort >"$META/got.txt" || true
	if ! awk 'NR == FNR { w[$1] = $2 " " $3; next }
		!($1 in w) { print "extra: " $1; bad = 1; next }
		{ split(w[$1], a, " ")
		  if (a[1] != $2) { print "size differs: " $1; bad = 1 }
		  else if ($3 !~ /-/ && $3 != a[2]) { print "content differs: " $1; bad = 1 }
		  delete w[$1] }
		END { for (k in w) { print "missing: " k; bad = 1 } exit bad }' \
		"$want" "$META/got.txt" >"$META/diff.out"; then
		mismatch "$desc" "s3://$BUCKET/$prefix"
	else
		CHECK=ok
	fi
}

# check_dir DESCRIPTION WANTDIR GOTDIR sets CHECK to ok when the two trees are equal, else
# to wrong:N (N lines of diff -r -q) and says which.
check_dir() {
	if ! diff -r -q "$2" "$3" >"$META/diff.out" 2>&1; then
		mismatch "$1" "$3"
	else
		CHECK=ok
	fi
}

# mismatch DESCRIPTION WHERE reports the differences in diff.out and sets CHECK.
mismatch() {
	local n
	n="$(wc -l <"$META/diff.out")"
	CHECK="wrong:$n"
	echo "bench-sync: WRONG RESULT: $1: $2 does not hold what the source holds:" >&2
	head -n 10 "$META/diff.out" | sed 's/^/bench-sync:   /' >&2
	NOTES+=("$1: WRONG RESULT, differences from the source: $n, e.g. $(head -n 1 "$META/diff.out" | sed "s#$WORK/##g")")
}

# seed_prefix PREFIX fills PREFIX with a server-side copy of seed/ (untimed, not counted).
seed_prefix() {
	if [[ -n $S5CMD_BIN ]]; then
		CMD=("$S5CMD_BIN" --endpoint-url "$ENDPOINT" --log error cp "s3://$BUCKET/seed/*" "s3://$BUCKET/$1")
	else
		CMD=("$AWS" --endpoint-url "$ENDPOINT" s3 cp --recursive --only-show-errors "s3://$BUCKET/seed/" "s3://$BUCKET/$1")
	fi
	run_or_die "seeding $1"
}

# MinIO frees deleted objects only every few minutes; empty its trash between rounds.
empty_minio_trash() {
	local trash="$WORK/minio/.minio.sys/tmp/.trash"
	[[ -d $trash ]] && find "$trash" -mindepth 1 -maxdepth 1 -exec rm -rf {} + 2>/dev/null
	return 0
}

# ---------------------------------------------------------------- data

log "making test data: $COUNT files of $KIB KiB (random) in directories of 100; $CHANGED to change"
for ((d = 0; d * 100 < COUNT; d++)); do
	n=$((COUNT - d * 100))
	((n > 100)) && n=100
	dir="$SRC/$(printf 'd%03d' "$d")"
	mkdir -p "$dir"
	head -c $((n * KIB * 1024)) /dev/urandom | split -b $((KIB * 1024)) -a 5 -d --additional-suffix=.bin - "$dir/f"
done
mapfile -t FILES < <(cd "$SRC" && find . -type f -printf '%P\n' | sort)
((${#FILES[@]} == COUNT)) || die "making the files failed (${#FILES[@]} of $COUNT)"
for ((i = 0; i < CHANGED; i++)); do
	f="${FILES[$((i * COUNT / CHANGED))]}"
	mkdir -p "$CHG/$(dirname "$f")"
	head -c $((KIB * 1024)) /dev/urandom >"$CHG/$f"
done
cp -a "$SRC" "$EXP"
cp -r "$CHG/." "$EXP/"
fingerprints "$SRC" >"$META/want-src.txt"
fingerprints "$EXP" >"$META/want-exp.txt"
[[ "$(wc -l <"$META/want-src.txt")" -eq $COUNT ]] || die "fingerprinting the tree failed"
cmp -s "$META/want-src.txt" "$META/want-exp.txt" && die "the changed tree equals the master"

CMD=("$HAUL" --endpoint-url "$ENDPOINT" -q mb "s3://$BUCKET")
run_or_die "haul mb s3://$BUCKET"
if [[ " ${DIRS[*]} " == *" down "* ]]; then
	log "seeding the download source with aws-cli"
	CMD=("$AWS" --endpoint-url "$ENDPOINT" s3 cp --recursive --only-show-errors "$SRC/" "s3://$BUCKET/seed/")
	run_or_die "seeding s3://$BUCKET/seed/"
fi
for tool in "${TOOLS[@]}"; do # warm-up: one untimed listing each, through the proxy
	case $tool in
	haul) CMD=("$HAUL" --endpoint-url "$PROXY" ls "s3://$BUCKET/") ;;
	aws) CMD=("$AWS" --endpoint-url "$PROXY" s3 ls "s3://$BUCKET/") ;;
	rclone) CMD=("${RCLONE[@]}" -q lsf "bench:$BUCKET") ;;
	s5cmd) CMD=("$S5CMD_BIN" --endpoint-url "$PROXY" ls "s3://$BUCKET/*") ;;
	esac
	run_or_die "$tool warm-up listing"
done

# ---------------------------------------------------------------- runs

load1() { cut -d ' ' -f 1 /proc/loadavg; }
if awk -v l="$(load1)" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
	log "warning: load average $(load1) on $(nproc) CPUs before starting; wall times will be noisy"
fi

RAW="$META/raw.txt"
{
	echo "# haul bench-sync: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, runs=$RUNS"
	echo "# haul:   $HAUL ($(cd "$REPO" && git describe --always --dirty 2>/dev/null || echo unknown))"
	echo "# aws:    $AWS ($("$AWS" --version 2>&1 | head -n 1))"
	echo "# rclone: $("${RCLONE[@]}" version 2>/dev/null | head -n 1)"
	if [[ -n $S5CMD_BIN ]]; then echo "# s5cmd:  $S5CMD_BIN ($("$S5CMD_BIN" version 2>&1 | head -n 1))"; else echo "# s5cmd:  not measured: $S5CMD_SKIP"; fi
	echo "# minio:  $(cat "$REPO/.tools/bin/minio.version" 2>/dev/null || echo unknown), data on tmpfs ($WORK), behind scripts/countproxy"
	echo "# tree: $COUNT files of $KIB KiB in directories of 100; 1pct changes $CHANGED of them"
	echo "# round workload tool wall_s user_s sys_s cpu_s rss_kib load1 requests by_kind check"
} >"$RAW"
NOTES=()
HAUL_WRONG=""

# one_run ROUND DIR WORKLOAD TOOL
one_run() {
	local round=$1 dir=$2 wl=$3 tool=$4 desc ldir prefix want load reqs total hc
	desc="round $round $dir-$wl $tool"
	ldir="$TREES/$tool/$dir"
	prefix="$dir/$tool/r$round/"
	if [[ $wl == 1pct ]]; then # the change, untimed and not counted
		if [[ $dir == up ]]; then
			cp -r "$CHG/." "$ldir/"
		else
			CMD=("$AWS" --endpoint-url "$ENDPOINT" s3 cp --recursive --only-show-errors "$CHG/" "s3://$BUCKET/$prefix")
			run_or_die "changing $prefix"
		fi
	fi
	sync_cmd "$tool" "$dir" "$ldir" "$prefix"
	counts >/dev/null
	load="$(load1)"
	measure "$desc"
	reqs="$(counts)"
	total="$(tr ',' '\n' <<<"$reqs" | awk -F= '{ n += $2 } END { print n + 0 }')"
	printf 'bench-sync: %-26s wall %6ss  cpu %6ss  rss %4d MiB  %5d requests: %s  (load %s)\n' \
		"$desc" "$WALL" "$CPU" "$((RSS_KIB / 1024))" "$total" "$reqs" "$load" >&2
	if [[ $tool == haul ]]; then # what haul says it sent, against the proxy's count
		hc="$(tail -n 1 "$META/cmd.out" | jq -r 'select(.event == "summary") | .calls // {} | to_entries | sort_by(.key) | map("\(.key)=\(.value)") | join(",")')"
		if [[ $hc != "$(tr ',' '\n' <<<"$reqs" | sed 's#/[0-9]*=#=#' | awk -F= '{ n[$1] += $2 } END { for (k in n) print k "=" n[k] }' | LC_ALL=C sort | paste -sd,)" ]]; then
			NOTES+=("$desc: haul's summary says calls $hc; the proxy counted $reqs")
		fi
	fi
	want="$META/want-src.txt"
	[[ $wl == 1pct ]] && want="$META/want-exp.txt"
	if [[ $dir == up ]]; then
		check_prefix "$desc" "$prefix" "$want"
	elif [[ $wl == 1pct ]]; then
		check_dir "$desc" "$EXP" "$ldir"
	else
		check_dir "$desc" "$SRC" "$ldir"
	fi
	[[ $tool == haul && $CHECK != ok ]] && HAUL_WRONG=1
	printf '%s %s %s %s %s %s %s %s %s %s %s %s\n' "$round" "$dir-$wl" "$tool" "$WALL" "$USR" "$SYS" "$CPU" "$RSS_KIB" "$load" "$total" "$reqs" "$CHECK" >>"$RAW"
}

for round in $(seq 1 "$RUNS"); do
	order=()
	for i in "${!TOOLS[@]}"; do order+=("${TOOLS[$(((i + round - 1) % ${#TOOLS[@]}))]}"); done
	log "round $round of $RUNS (order: ${order[*]})"
	for tool in "${TOOLS[@]}"; do
		mkdir -p "$TREES/$tool/down"
		cp -a "$SRC" "$TREES/$tool/up"
		if [[ " ${DIRS[*]} " == *" down "* ]]; then seed_prefix "down/$tool/r$round/"; fi
	done
	for dir in "${DIRS[@]}"; do
		for wl in first same 1pct; do
			for tool in "${order[@]}"; do one_run "$round" "$dir" "$wl" "$tool"; done
		done
	done
	for dir in "${DIRS[@]}"; do
		CMD=("$HAUL" --endpoint-url "$ENDPOINT" -q rm -r "s3://$BUCKET/$dir/")
		run_or_die "removing this round's $dir/ prefixes"
	done
	empty_minio_trash
	rm -rf "$TREES" "$XDG_STATE_HOME"
	mkdir -p "$TREES"
done

# ---------------------------------------------------------------- report

# median WORKLOAD TOOL COLUMN prints the median of a column of the raw numbers.
median() {
	awk -v w="$1" -v t="$2" -v c="$3" '$1 !~ /^#/ && $2 == w && $3 == t { print $c }' "$RAW" | sort -g |
		awk '{ a[NR] = $1 } END { if (NR == 0) print "NaN"; else if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'
}

# kinds WORKLOAD TOOL prints the requests by kind of the first round, with "(varies)" when
# another round's differ.
kinds() {
	awk -v w="$1" -v t="$2" '$1 !~ /^#/ && $2 == w && $3 == t { if (!f) f = $11; if ($11 != f) v = 1 }
		END { gsub(",", " ", f); print f (v ? "  (varies between rounds)" : "") }' "$RAW"
}

# check WORKLOAD TOOL prints ok when every run's result was right, else WRONG:N (the most
# files that differed in a run) and in how many runs.
check() {
	awk -v w="$1" -v t="$2" '$1 !~ /^#/ && $2 == w && $3 == t { n++; if ($12 != "ok") { b++; split($12, a, ":"); if (a[2] + 0 > m) m = a[2] + 0 } }
		END { if (!b) print "ok"; else if (n == 1) print "WRONG:" m; else print "WRONG:" m "(" b "/" n ")" }' "$RAW"
}

label() {
	local d=upload
	[[ $1 == down-* ]] && d=download
	case $1 in
	*-first) echo "$d, first run" ;;
	*-same) echo "$d, unchanged" ;;
	*-1pct) echo "$d, $CHANGED changed" ;;
	esac
}

# fastest_peer WORKLOAD prints the peer (not haul) with the lowest median wall time among
# those whose result was right in every run: a wrong sync is no pace to measure haul by.
fastest_peer() {
	local p best="" best_wall="" w
	for p in "${TOOLS[@]}"; do
		[[ $p == haul || "$(check "$1" "$p")" != ok ]] && continue
		w="$(median "$1" "$p" 4)"
		if [[ -z $best ]] || awk -v a="$w" -v b="$best_wall" 'BEGIN { exit !(a < b) }'; then
			best=$p best_wall=$w
		fi
	done
	echo "$best"
}

# ratio A B prints A/B with two decimals, or "-" when B is not positive.
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		if (a ~ /^[0-9.]+$/ && b ~ /^[0-9.]+$/ && b > 0) printf "%.2f", a / b; else printf "-"
	}'
}

report() {
	local dir wl tool best wall fmt='%-22s %-7s %7s %7s %8s %9s %-12s %6s  %s\n'
	printf '\n%d files of %d KiB; %d changed for the 1%% run. Medians over %d run(s) (MinIO on tmpfs behind a\n' "$COUNT" "$KIB" "$CHANGED" "$RUNS"
	printf 'counting proxy; CPU = client user+sys; RSS = client peak); wall/peer: wall time over the\n'
	printf "fastest peer's (marked *; a peer with a wrong result in any run is not counted); check: the\n"
	printf 'destination equals the source after the run; reqs: requests sent (median), by S3 operation\n'
	printf 'in round 1:\n\n'
	# shellcheck disable=SC2059 # the format is a variable to keep the columns in one place
	printf "$fmt" workload tool "wall s" "CPU s" "RSS MiB" wall/peer check reqs "requests by kind"
	# shellcheck disable=SC2059
	printf "$fmt" ---------------------- ------- ------- ------- -------- --------- ------------ ------ ----------------
	for dir in "${DIRS[@]}"; do
		for wl in first same 1pct; do
			best="$(fastest_peer "$dir-$wl")"
			for tool in "${TOOLS[@]}"; do
				wall="$(median "$dir-$wl" "$tool" 4)"
				# shellcheck disable=SC2059
				printf "$fmt" "$(label "$dir-$wl")" "$tool$([[ $tool == "$best" ]] && echo '*')" \
					"$(printf '%.2f' "$wall")" "$(printf '%.2f' "$(median "$dir-$wl" "$tool" 7)")" \
					"$(awk -v r="$(median "$dir-$wl" "$tool" 8)" 'BEGIN { printf "%.1f", r / 1024 }')" \
					"$(if [[ -n $best ]]; then ratio "$wall" "$(median "$dir-$wl" "$best" 4)"; else echo -; fi)" \
					"$(check "$dir-$wl" "$tool")" "$(median "$dir-$wl" "$tool" 10)" "$(kinds "$dir-$wl" "$tool")"
			done
		done
	done
	if [[ -z $S5CMD_BIN ]]; then printf '\ns5cmd: not measured: %s\n' "$S5CMD_SKIP"; fi
	if ((${#NOTES[@]})); then
		printf '\nNotes:\n'
		printf '  %s\n' "${NOTES[@]}"
	fi
}

REPORT="$(report)"
echo "$REPORT"
mkdir -p "$(dirname "$OUT")"
{
	cat "$RAW"
	while IFS= read -r line; do echo "# $line"; done <<<"$REPORT"
} >"$OUT"
echo
echo "raw per-run numbers and this table: $OUT"
[[ -z $HAUL_WRONG ]] || die "haul's result was wrong (see the check column and the notes)"
