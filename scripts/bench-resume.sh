#!/usr/bin/env bash
# bench-resume.sh measures what `haul cp --resume` saves after a crash: a 1 GiB upload
# is killed (kill -9) at about half way and run again, and the resumed run's bytes sent
# and wall time are set against a fresh upload of the same file, against a local MinIO
# whose data dir is on tmpfs (as in scripts/bench.sh).
#
# Usage: scripts/bench-resume.sh     (normally via `make bench-resume`)
#
# Each round, with fresh keys:
#   fresh     haul -q cp FILE s3://bench/fresh-N                     (no journal)
#   journal   haul -q cp --resume --journal J2 FILE s3://bench/journal-N
#             (the cost of keeping the journal: one fsynced line per part)
#   killed    haul --debug cp --resume --journal J FILE s3://bench/resumed-N, killed
#             with SIGKILL once its stderr shows BENCH_KILL_AT `UploadPart ... status=200`
#             lines (default: half the parts, 64 of 128); the parts J records and the
#             parts the server holds (ListParts) are counted
#   resumed   the same command again: its UploadPart requests (status=200) are the parts
#             re-sent; their bytes are computed from the part numbers and the journal's
#             part size
# The fresh and journal runs swap order every round. Every run is timed with
# `/usr/bin/time -f '%e %U %S %M'` (wall, user, sys seconds, peak RSS KiB).
#
# Checks (any failure makes the script exit non-zero, after the report):
#   - each uploaded object reads back (haul cp) equal to the file (cmp);
#   - the killed run died from the SIGKILL, after BENCH_KILL_AT acknowledged parts;
#   - the resumed run created no new upload, sent none of the parts the journal recorded
#     and exactly the parts it did not, listed the parts once (ListParts, status 200);
#   - the journals of finished runs are removed;
#   - no incomplete multipart upload is left for the key (`haul uploads ls` when this
#     haul has it, and `aws s3api list-multipart-uploads` when aws-cli is installed).
#
# Where things live: the file, the read-back copy and MinIO's data are on tmpfs
# (/dev/shm, or a private tmpfs when we are root), so the disk plays no part in the
# transfer. The journals are NOT on tmpfs by default, where fsync would cost nothing:
# they go to a temporary dir under bin/ in the repo (BENCH_JOURNAL_DIR to change), like
# the default journal dir ($XDG_STATE_HOME) on a real machine. The header of the output
# says which filesystem held them.
#
# Environment:
#   BENCH_RUNS         rounds (default 3)
#   BENCH_OUT          raw per-run numbers + median table (default: bin/bench-resume.txt)
#   BENCH_MIB          size of the file in MiB (default 1024)
#   BENCH_KILL_AT      acknowledged parts before the kill (default: half the parts)
#   BENCH_TMPFS        tmpfs dir to work in (default /dev/shm)
#   BENCH_JOURNAL_DIR  dir in which a temporary journal dir is made (default: bin/)
#   HAUL_BIN           haul binary to use (default: build bin/haul from the tree)
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
RUNS="${BENCH_RUNS:-3}"
OUT="${BENCH_OUT:-$REPO/bin/bench-resume.txt}"
MIB="${BENCH_MIB:-1024}"
TMPFS_DIR="${BENCH_TMPFS:-/dev/shm}"
JOURNAL_PARENT="${BENCH_JOURNAL_DIR:-$REPO/bin}"
BUCKET=bench
KILL_TIMEOUT=600 # seconds the killed run may take to reach BENCH_KILL_AT parts

die() {
	echo "bench-resume: $*" >&2
	exit 1
}
log() { echo "bench-resume: $*" >&2; }

[[ $RUNS =~ ^[1-9][0-9]*$ ]] || die "BENCH_RUNS must be a positive integer, got '$RUNS'"
[[ $MIB =~ ^[1-9][0-9]*$ ]] || die "BENCH_MIB must be a positive integer, got '$MIB'"

# haul's default part size (transfer.PartSize): 8 MiB, doubled while 1,000 parts are too few.
PART_MIB=8
while ((PART_MIB * 1000 < MIB)); do PART_MIB=$((PART_MIB * 2)); done
EXPECT_PARTS=$(((MIB + PART_MIB - 1) / PART_MIB))
KILL_AT="${BENCH_KILL_AT:-$((EXPECT_PARTS / 2))}"
[[ $KILL_AT =~ ^[1-9][0-9]*$ ]] || die "BENCH_KILL_AT must be a positive integer, got '$KILL_AT'"
((KILL_AT < EXPECT_PARTS)) || die "BENCH_KILL_AT=$KILL_AT must be below the $EXPECT_PARTS parts of a $MIB MiB file"

# ---------------------------------------------------------------- cleanup

WORK=""
MOUNTED=""
MINIO_PID=""
JDIR=""
WATCH_PIDFILE=""
# shellcheck source=scripts/lib/minio.sh
. "$(dirname "$0")/lib/minio.sh"

cleanup() {
	local rc=$? pid
	# The killed run's haul, if the watcher itself was killed before it could reap it.
	if [[ -n $WATCH_PIDFILE && -s $WATCH_PIDFILE ]]; then
		pid="$(cat "$WATCH_PIDFILE")"
		if [[ $(readlink "/proc/$pid/exe" 2>/dev/null) == "$(readlink -f "$HAUL")" ]]; then
			kill -9 "$pid" 2>/dev/null || true
		fi
	fi
	[[ -n $JDIR ]] && rm -rf "$JDIR"
	stop_bench
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- tools

[[ -x /usr/bin/time ]] || apt_install time
PYTHON="$(command -v python3)" || die "python3 is needed to watch the killed run's stderr"
AWS="$(real_aws)"
bench_binaries
WORK_HELP="$(mktemp)"
# `haul uploads ls` is newer than --resume; a haul without it prints the root help for it.
HAS_UPLOADS_LS=""
UPLOADS_LS=("$HAUL" --json uploads ls)
if "$HAUL" uploads ls --help >"$WORK_HELP" 2>&1 && grep -q 'uploads ls s3://' "$WORK_HELP"; then
	HAS_UPLOADS_LS=1
	if grep -q -- '--no-parts' "$WORK_HELP"; then UPLOADS_LS+=(--no-parts); fi
fi
rm -f "$WORK_HELP"
[[ -n $HAS_UPLOADS_LS || -n $AWS ]] ||
	die "neither 'haul uploads ls' nor aws-cli is available to check for incomplete uploads"

# ---------------------------------------------------------------- tmpfs

BYTES=$((MIB * 1024 * 1024))
# The file, up to three objects plus the parts of one upload in MinIO, one read-back copy.
NEED_KIB=$((BYTES * 6 / 1024 + 512 * 1024))

tmpfs_work haul-bench-resume "$NEED_KIB"

mkdir -p "$JOURNAL_PARENT"
JDIR="$(mktemp -d "$JOURNAL_PARENT/bench-resume-journals.XXXXXX")"
JFS="$(stat -f -c %T "$JDIR")"
[[ $JFS == tmpfs ]] && log "warning: journals are on tmpfs ($JDIR): fsync costs nothing there"

SRC="$WORK/big.bin"
BACK="$WORK/back.bin"
META="$WORK/meta"
mkdir -p "$META" "$WORK/minio"
WATCH_PIDFILE="$META/killed.pid"

# ---------------------------------------------------------------- MinIO

start_minio
# A journal left in the real state dir could never match, but keep haul away from it.
export XDG_STATE_HOME="$JDIR/state"

# ---------------------------------------------------------------- helpers

FAILURES=()
fail() {
	FAILURES+=("$*")
	echo "bench-resume: CHECK FAILED: $*" >&2
}

# run_or_die DESCRIPTION CMD... runs a command untimed and fails loudly on error.
run_or_die() {
	local desc=$1
	shift
	if ! "$@" >"$META/cmd.out" 2>"$META/cmd.err"; then
		echo "bench-resume: FAILED: $desc" >&2
		echo "bench-resume: command: $*" >&2
		cat "$META/cmd.out" "$META/cmd.err" >&2
		exit 1
	fi
}

# measure DESCRIPTION ERRFILE CMD... runs a command under /usr/bin/time, its stderr to
# ERRFILE, and sets WALL CPU RSS_KIB.
measure() {
	local desc=$1 errf=$2 tf="$META/time.out" usr sys
	shift 2
	rm -f "$tf"
	if ! /usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" >"$META/cmd.out" 2>"$errf"; then
		echo "bench-resume: FAILED: $desc" >&2
		echo "bench-resume: command: $*" >&2
		cat "$META/cmd.out" "$tf" >&2 2>/dev/null || true
		grep -v '^debug: ' "$errf" >&2 || true
		exit 1
	fi
	read -r WALL usr sys RSS_KIB <"$tf"
	CPU="$(awk -v u="$usr" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')"
}

# verify_object DESC KEY reads the object back with haul and compares it with the file.
verify_object() {
	rm -f "$BACK"
	run_or_die "reading back s3://$BUCKET/$2" "$HAUL" -q cp "s3://$BUCKET/$2" "$BACK"
	if ! cmp "$SRC" "$BACK" >"$META/cmp.out" 2>&1; then
		fail "$1: s3://$BUCKET/$2 differs from the file: $(head -c 300 "$META/cmp.out")"
	fi
	rm -f "$BACK"
}

# incomplete_uploads KEY sets UPS to how many incomplete multipart uploads the key has, as
# "haul=N aws=N" (a tool that is not available is left out).
incomplete_uploads() {
	local key=$1 n out=""
	if [[ -n $HAS_UPLOADS_LS ]]; then
		if "${UPLOADS_LS[@]}" "s3://$BUCKET/$key" >"$META/ups.out" 2>"$META/ups.err"; then
			n="$(KEY="$key" "$PYTHON" -c '
import json, os, sys
n = 0
for line in open(sys.argv[1]):
    line = line.strip()
    if line.startswith("{"):
        r = json.loads(line)
        if r.get("key") == os.environ["KEY"] and r.get("upload_id"):
            n += 1
print(n)' "$META/ups.out")"
			out+="haul=$n "
		else
			fail "haul uploads ls s3://$BUCKET/$key failed: $(head -c 300 "$META/ups.err")"
		fi
	fi
	if [[ -n $AWS ]]; then
		if "$AWS" s3api list-multipart-uploads --bucket "$BUCKET" --prefix "$key" \
			--query "length(Uploads[?Key=='$key'] || \`[]\`)" --output text >"$META/ups.out" 2>"$META/ups.err"; then
			out+="aws=$(tr -d '[:space:]' <"$META/ups.out")"
		else
			fail "aws s3api list-multipart-uploads for $key failed: $(head -c 300 "$META/ups.err")"
		fi
	fi
	UPS="${out% }"
}

# server_parts KEY UPLOAD_ID prints how many parts the server holds for the upload
# (ListParts through aws-cli), or "-" when aws-cli is not installed or it fails.
server_parts() {
	if [[ -z $AWS ]]; then
		echo -
		return
	fi
	# shellcheck disable=SC2016 # a JMESPath literal, not a shell expansion
	"$AWS" s3api list-parts --bucket "$BUCKET" --key "$1" --upload-id "$2" \
		--query 'length(Parts || `[]`)' --output text 2>/dev/null | tr -d '[:space:]' || echo -
}

# MinIO moves deleted objects to .minio.sys/tmp/.trash and frees them only every few
# minutes; on tmpfs each 1 GiB would stay in RAM. Empty it after each deletion.
empty_minio_trash() {
	local trash="$WORK/minio/.minio.sys/tmp/.trash"
	if [[ -d $trash ]]; then
		find "$trash" -mindepth 1 -maxdepth 1 -exec rm -rf {} + 2>/dev/null || true
	fi
}

# The watcher of the killed run: starts haul, copies its stderr to a file line by line,
# sends SIGKILL once KILL_AT lines are acknowledged UploadParts and reaps it. Prints
# "OK <seconds to kill> <acknowledged parts seen> <exit status>"; or "EARLY ..." when haul
# exited by itself first, "TIMEOUT ..." when it took longer than the timeout.
# It never leaves haul running: SIGKILL and wait on every way out, including its own
# SIGINT/SIGTERM, and it writes haul's pid for the script's cleanup as a last resort.
WATCHER='
import os, re, signal, subprocess, sys, threading, time
kill_at, timeout, log_path, pid_path = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
cmd = sys.argv[5:]
ack = re.compile(r"^debug: UploadPart .*status=200( |$)")
def stop(signum, frame):
    raise KeyboardInterrupt
signal.signal(signal.SIGTERM, stop)
start = time.monotonic()
proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
with open(pid_path, "w") as f:
    f.write(str(proc.pid))
timed_out = threading.Event()
def on_timeout():
    timed_out.set()
    proc.kill()
timer = threading.Timer(timeout, on_timeout)
timer.start()
seen, killed_after, state = 0, None, "EARLY"
try:
    with open(log_path, "wb") as log:
        for line in proc.stderr:
            log.write(line)
            if killed_after is None and ack.match(line.decode("utf-8", "replace")):
                seen += 1
                if seen == kill_at:
                    proc.send_signal(signal.SIGKILL)
                    killed_after = time.monotonic() - start
                    state = "OK"
        # The pipe is at EOF: haul is dead, or exited by itself.
finally:
    timer.cancel()
    if proc.poll() is None:
        proc.kill()
    proc.wait()
    try:
        os.unlink(pid_path)
    except OSError:
        pass
if timed_out.is_set() and state != "OK":
    state = "TIMEOUT"
if killed_after is None:
    killed_after = time.monotonic() - start
print(state, "%.2f" % killed_after, seen, proc.returncode)
'

# debug_stats FILE prints, from a --debug stderr, counts "ok_parts failed_parts creates
# aborts listparts_ok listparts_other complete_ok" and writes the acknowledged part
# numbers, one a line, to FILE.parts.
debug_stats() {
	: >"$1.parts"
	awk -v parts="$1.parts" '
		/^debug: UploadPart / {
			if ($0 ~ /status=200( |$)/) {
				ok++
				if (match($0, / part=[0-9]+/)) print substr($0, RSTART + 6, RLENGTH - 6) > parts
			} else failed++
		}
		/^debug: CreateMultipartUpload / { create++ }
		/^debug: AbortMultipartUpload / { abort++ }
		/^debug: ListParts / { if ($0 ~ /status=200( |$)/) lpok++; else lpother++ }
		/^debug: CompleteMultipartUpload / && /status=200( |$)/ { complete++ }
		END { printf "%d %d %d %d %d %d %d\n", ok, failed, create, abort, lpok, lpother, complete }
	' "$1"
}

# journal_info J prints "part_size upload_id" of the journal's upload record and writes
# the recorded part numbers, one a line, to J.parts (a copy, taken before the resume).
journal_info() {
	"$PYTHON" -c '
import json, sys
ps, uid, parts = 0, "-", set()
with open(sys.argv[1], "rb") as f:
    for raw in f:
        try:
            r = json.loads(raw)
        except ValueError:
            continue  # a torn last line, as the journal itself ignores
        if r.get("op") == "upload":
            ps, uid, parts = r.get("part_size", 0), r.get("upload_id", "-"), set()
        elif r.get("op") == "part":
            parts.add(r["part"])
        elif r.get("op") == "forget":
            parts = set()
with open(sys.argv[2], "w") as out:
    for p in sorted(parts):
        out.write("%d\n" % p)
print(ps, uid)' "$1" "$2"
}

# ---------------------------------------------------------------- data

log "making test data: one $MIB MiB file (random)"
head -c "$BYTES" /dev/urandom >"$SRC"
run_or_die "haul mb s3://$BUCKET" "$HAUL" -q mb "s3://$BUCKET"
run_or_die "haul warm-up listing" "$HAUL" ls "s3://$BUCKET/"

load1() { cut -d ' ' -f 1 /proc/loadavg; }
if awk -v l="$(load1)" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
	log "warning: load average $(load1) on $(nproc) CPUs before starting; wall times will be noisy"
fi

COLS="round fresh_wall fresh_cpu fresh_rss_kib journal_wall journal_cpu journal_rss_kib kill_s kill_acks journal_parts server_parts resumed_parts resumed_mib resumed_pct resumed_wall resumed_cpu resumed_rss_kib resumed_over_fresh load_fresh load_resumed"
RAW="$META/raw.txt"
{
	echo "# haul bench-resume: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) CPUs, runs=$RUNS, load at start: $(cut -d ' ' -f 1-3 /proc/loadavg)"
	echo "# haul:  $HAUL ($(cd "$REPO" && git describe --always --dirty 2>/dev/null || echo unknown))"
	echo "# minio: $MINIO ($(cat "$REPO/.tools/bin/minio.version" 2>/dev/null || echo unknown)); MinIO data and the file on tmpfs ($WORK)"
	echo "# file: $MIB MiB random, $EXPECT_PARTS parts of $PART_MIB MiB expected, default concurrency; killed after $KILL_AT acknowledged UploadParts"
	echo "# journals on $JFS ($JDIR)"
	echo "# incomplete-upload check: ${HAS_UPLOADS_LS:+haul uploads ls}${HAS_UPLOADS_LS:+${AWS:+ + }}${AWS:+aws s3api list-multipart-uploads}"
	echo "# wall/cpu in seconds (cpu = user+sys), rss = peak KiB; kill_s = seconds from start to the kill;"
	echo "# kill_acks = UploadPart status=200 lines seen when the kill was sent; journal_parts = parts J"
	echo "# recorded after the kill; server_parts = parts MinIO held after the kill (ListParts, '-' without aws-cli);"
	echo "# resumed_* = the resumed run: UploadParts with status 200, their MiB, % of the file, its time;"
	echo "# load_* = 1-minute load average when the fresh / resumed run started (other work skews wall times)"
	echo "# $COLS"
} >"$RAW"

# ---------------------------------------------------------------- runs

for round in $(seq 1 "$RUNS"); do
	log "round $round of $RUNS"

	# 1 and 2: fresh uploads without and with a journal (order swapped every round).
	J2="$JDIR/journal-$round.journal"
	order=(fresh journal)
	((round % 2 == 0)) && order=(journal fresh)
	for what in "${order[@]}"; do
		load="$(load1)"
		if [[ $what == fresh ]]; then
			measure "round $round fresh upload" "$META/fresh.err" \
				"$HAUL" -q cp "$SRC" "s3://$BUCKET/fresh-$round"
			F_WALL=$WALL F_CPU=$CPU F_RSS=$RSS_KIB F_LOAD=$load
		else
			measure "round $round fresh upload with --resume" "$META/journal.err" \
				"$HAUL" -q cp --resume --journal "$J2" "$SRC" "s3://$BUCKET/journal-$round"
			FJ_WALL=$WALL FJ_CPU=$CPU FJ_RSS=$RSS_KIB
			if [[ -e $J2 ]]; then fail "round $round: the journal of the finished --resume upload was kept ($J2)"; fi
		fi
		printf 'bench-resume: round %d %-8s wall %7ss  cpu %6ss  rss %4d MiB  (load %s)\n' \
			"$round" "$what" "$WALL" "$CPU" "$((RSS_KIB / 1024))" "$load" >&2
	done
	for key in "fresh-$round" "journal-$round"; do
		verify_object "round $round" "$key"
		run_or_die "deleting s3://$BUCKET/$key" "$HAUL" -q rm "s3://$BUCKET/$key"
	done
	empty_minio_trash

	# 3: the killed run.
	key="resumed-$round"
	J="$JDIR/resumed-$round.journal"
	CMD=("$HAUL" --debug cp --resume --journal "$J" "$SRC" "s3://$BUCKET/$key")
	state="" kill_s=- kill_acks=- kill_rc=-
	read -r state kill_s kill_acks kill_rc < <("$PYTHON" -c "$WATCHER" "$KILL_AT" "$KILL_TIMEOUT" \
		"$META/killed.err" "$WATCH_PIDFILE" "${CMD[@]}") || true
	if [[ $state != OK ]]; then
		grep -v '^debug: ' "$META/killed.err" >&2 || true
		die "round $round: the run to kill did not reach $KILL_AT acknowledged parts ($state after ${kill_s}s, $kill_acks seen, exit status $kill_rc)"
	fi
	[[ $kill_rc == -9 ]] || fail "round $round: the killed run ended with status $kill_rc, not by SIGKILL (-9)"
	[[ -f $J ]] || die "round $round: no journal at $J after the kill"
	read -r part_size upload_id < <(journal_info "$J" "$META/journal.parts")
	journal_parts="$(wc -l <"$META/journal.parts")"
	srv_parts="$(server_parts "$key" "$upload_id")"
	[[ $part_size =~ ^[1-9][0-9]*$ ]] || die "round $round: no upload record with a part size in $J"
	total_parts=$(((BYTES + part_size - 1) / part_size))
	cp "$J" "$META/killed-$round.journal"

	# 4: the resumed run, the same command again.
	load="$(load1)"
	measure "round $round resumed upload" "$META/resumed.err" "${CMD[@]}"
	R_WALL=$WALL R_CPU=$CPU R_RSS=$RSS_KIB
	cp "$META/resumed.err" "$META/resumed-$round.err"
	read -r ok failed creates aborts lp_ok lp_other completes < <(debug_stats "$META/resumed.err")
	# Bytes of the parts sent: each is part_size long except the file's last part.
	resumed_bytes="$(awk -v ps="$part_size" -v size="$BYTES" '
		{ off = ($1 - 1) * ps; n = size - off; if (n > ps) n = ps; b += n }
		END { printf "%d", b }' "$META/resumed.err.parts")"
	resumed_mib="$(awk -v b="$resumed_bytes" 'BEGIN { printf "%.1f", b / 1048576 }')"
	resumed_pct="$(awk -v b="$resumed_bytes" -v s="$BYTES" 'BEGIN { printf "%.1f", 100 * b / s }')"
	ratio="$(awk -v r="$R_WALL" -v f="$F_WALL" 'BEGIN { printf "%.3f", (f > 0 ? r / f : 0) }')"

	# Which parts were sent again, against what the journal recorded.
	# (comm wants its input in the collation order of sort, not numeric order.)
	LC_ALL=C sort -u "$META/resumed.err.parts" >"$META/sent.sorted"
	LC_ALL=C sort -u "$META/journal.parts" >"$META/journal.sorted"
	seq 1 "$total_parts" | LC_ALL=C sort >"$META/all.sorted"
	resent_recorded="$(LC_ALL=C comm -12 "$META/sent.sorted" "$META/journal.sorted" | wc -l)"
	LC_ALL=C comm -23 "$META/all.sorted" "$META/journal.sorted" >"$META/missing.sorted"
	unsent_missing="$(LC_ALL=C comm -23 "$META/missing.sorted" "$META/sent.sorted" | wc -l)"
	dup_sends=$((ok - $(wc -l <"$META/sent.sorted")))
	notes="$(grep -v '^debug: ' "$META/resumed.err" | head -n 5 || true)"

	((creates == 0)) || fail "round $round: the resumed run created $creates new multipart upload(s): it started over"
	((aborts == 0)) || fail "round $round: the resumed run sent $aborts AbortMultipartUpload request(s)"
	((lp_ok >= 1 && lp_other == 0)) || fail "round $round: ListParts in the resumed run: $lp_ok with status 200, $lp_other other ($(grep '^debug: ListParts' "$META/resumed.err" | head -n 3 | tr '\n' ' '))"
	((resent_recorded == 0)) || fail "round $round: the resumed run sent $resent_recorded part(s) the journal had recorded: $(LC_ALL=C comm -12 "$META/sent.sorted" "$META/journal.sorted" | sort -n | head -n 20 | tr '\n' ' ')"
	((unsent_missing == 0)) || fail "round $round: $unsent_missing part(s) missing from the journal were not sent by the resumed run"
	((dup_sends == 0)) || fail "round $round: the resumed run sent $dup_sends part(s) more than once (retries after status 200?)"
	((failed == 0)) || log "note: round $round: $failed UploadPart request(s) in the resumed run had a status other than 200"
	((completes == 1)) || fail "round $round: the resumed run's CompleteMultipartUpload did not succeed once ($completes)"
	if [[ -e $J ]]; then fail "round $round: the journal of the finished resumed run was kept ($J)"; fi
	incomplete_uploads "$key"
	if [[ $UPS =~ [1-9] ]]; then fail "round $round: incomplete multipart uploads left for $key: $UPS"; fi
	verify_object "round $round resumed" "$key"
	run_or_die "deleting s3://$BUCKET/$key" "$HAUL" -q rm "s3://$BUCKET/$key"
	empty_minio_trash

	printf 'bench-resume: round %d killed   after %ss (%s acks seen); journal holds %d of %d parts, server %s\n' \
		"$round" "$kill_s" "$kill_acks" "$journal_parts" "$total_parts" "$srv_parts" >&2
	printf 'bench-resume: round %d resumed  wall %7ss  cpu %6ss  rss %4d MiB  (load %s): sent %d parts = %s MiB = %s%% of the file; %.2fx the fresh wall; incomplete uploads after: %s\n' \
		"$round" "$R_WALL" "$R_CPU" "$((R_RSS / 1024))" "$load" "$ok" "$resumed_mib" "$resumed_pct" "$ratio" "$UPS" >&2
	if [[ -n $notes ]]; then log "round $round resumed run said: $(tr '\n' '|' <<<"$notes")"; fi

	echo "$round $F_WALL $F_CPU $F_RSS $FJ_WALL $FJ_CPU $FJ_RSS $kill_s $kill_acks $journal_parts $srv_parts $ok $resumed_mib $resumed_pct $R_WALL $R_CPU $R_RSS $ratio $F_LOAD $load" >>"$RAW"
done

# ---------------------------------------------------------------- report

# median COLUMN prints the median of a named column of the raw numbers.
median() {
	local c i=0 idx=""
	for c in $COLS; do
		i=$((i + 1))
		[[ $c == "$1" ]] && idx=$i
	done
	awk -v c="$idx" '$1 !~ /^#/ && $c != "-" { print $c }' "$RAW" |
		sort -g |
		awk '{ a[NR] = $1 } END {
			if (NR == 0) { print "-"; exit }
			if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2
		}'
}

report() {
	local fw fjw rw jp
	fw="$(median fresh_wall)"
	fjw="$(median journal_wall)"
	rw="$(median resumed_wall)"
	jp="$(median journal_parts)"
	printf '\nMedians of %d runs (%d MiB file, %d parts; MinIO and the file on tmpfs, journals on %s):\n\n' "$RUNS" "$MIB" "$EXPECT_PARTS" "$JFS"
	printf '  %-44s %s  (cpu %s s, rss %s KiB)\n' "fresh upload, no journal: wall s" "$fw" "$(median fresh_cpu)" "$(median fresh_rss_kib)"
	printf '  %-44s %s  (%s x fresh; cpu %s s, rss %s KiB)\n' "fresh upload with --resume: wall s" "$fjw" \
		"$(awk -v a="$fjw" -v b="$fw" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')" "$(median journal_cpu)" "$(median journal_rss_kib)"
	printf '  %-44s %s after %s s  (server held %s)\n' "killed run: parts in the journal" "$jp" "$(median kill_s)" "$(median server_parts)"
	printf '  %-44s %s parts, %s MiB, %s%% of the file\n' "resumed run sent" "$(median resumed_parts)" "$(median resumed_mib)" "$(median resumed_pct)"
	printf '  %-44s %s  (cpu %s s, rss %s KiB)\n' "resumed run: wall s" "$rw" "$(median resumed_cpu)" "$(median resumed_rss_kib)"
	printf '  %-44s %s  (median of per-run ratios %s)\n' "resumed wall / fresh wall" \
		"$(awk -v a="$rw" -v b="$fw" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')" "$(median resumed_over_fresh)"
	if ((${#FAILURES[@]})); then
		printf '\nCHECKS FAILED (%d):\n' "${#FAILURES[@]}"
		printf '  %s\n' "${FAILURES[@]}"
	else
		printf '\nAll checks passed: objects equal the file, no journaled part re-sent, journals removed, no incomplete uploads.\n'
	fi
}

REPORT="$(report)"
echo "$REPORT"
mkdir -p "$(dirname "$OUT")"
{
	cat "$RAW"
	echo
	while IFS= read -r line; do echo "# $line"; done <<<"$REPORT"
} >"$OUT"
echo
echo "raw per-run numbers and this table: $OUT"
((${#FAILURES[@]} == 0)) || exit 1
