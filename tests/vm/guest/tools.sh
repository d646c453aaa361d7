# tools: BPF's counts equal the module's over the same interval, for
# transitions and for discards, gphstat's JSON is consistent, gphtrace
# streams and ranks discards by file, and every bad option or missing module
# is an error with a message.
. ./tests/lib.sh
plan 15

# Consistent snapshot as JSON; its transitions as "old new module bpf" lines.
snapshot() {
	i=0
	while [ $i -lt 10 ]; do
		gphstat -c 1 --json >"$1" && grep -q '"consistent":true' "$1" && return 0
		i=$((i + 1))
	done
	return 1
}
pairs() {
	sed 's/.*"transitions":\[\(.*\)\].*/\1/; s/},{/}\n{/g' "$1" |
		sed -n 's/.*"old":"\([a-z]*\)","new":"\([a-z]*\)","module":\([0-9]*\),"bpf":\([0-9]*\).*/\1 \2 \3 \4/p'
}

# A quiesced interval: with hinting disabled no page changes state, so the
# snapshots at both ends are exact. In between: enable (the load walk),
# a workload, disable (every page back to stable).
load_gph && echo 0 >/sys/kernel/mm/gph/enabled && gphtrace --pin >/dev/null
ok $? "insmod gph.ko; enabled=0; gphtrace --pin"
snapshot /tmp/s0
r=$?
[ $r = 0 ] || diag "last try: $(cat /tmp/s0)"
ok $r "gphstat --json: a consistent snapshot of module and BPF counts"
echo 1 >/sys/kernel/mm/gph/enabled
cat /mnt/data/files/* >/dev/null
memcheck 32 2 2 >/dev/null
echo 0 >/sys/kernel/mm/gph/enabled
snapshot /tmp/s1
pairs /tmp/s0 >/tmp/p0
pairs /tmp/s1 >/tmp/p1
# For every transition: module delta == BPF delta, and something happened.
awk 'NR == FNR { m[$1" "$2] = $3; b[$1" "$2] = $4; next }
     { dm = $3 - m[$1" "$2]; db = $4 - b[$1" "$2]; total += dm
       printf "# %s -> %s: module %d, bpf %d\n", $1, $2, dm, db
       if (dm != db) bad = 1 }
     END { printf "# total pages moved: %d\n", total; exit (bad || total == 0) }' /tmp/p0 /tmp/p1
ok $? "over the interval, BPF counted exactly the module's transitions (per old -> new)"
echo 1 >/sys/kernel/mm/gph/enabled

# Discards: the emulated host discards every folio the moment it goes
# volatile. A file read, left idle (the sweep offers its folios within
# sweep_ms) and read again has its folios found discarded and removed.
B=/mnt/bigset/big
# The files read: 50 MiB on x86_64, 20 MiB on s390x (TCG is slower there).
set="$B/b0[0-4]*"
[ "$(uname -m)" = s390x ] && set="$B/b00* $B/b01*"
echo max >/sys/kernel/mm/gph/emul_discard_rate
# Quiesced at both ends, as for the transitions.
echo 0 >/sys/kernel/mm/gph/enabled
m0=$(stat_of discards) b0=$(pinned_sum discards_by_file discards)
echo 1 >/sys/kernel/mm/gph/enabled
# shellcheck disable=SC2086
cat $set >/dev/null
sleep 3
# shellcheck disable=SC2086
cat $set >/dev/null
echo 0 >/sys/kernel/mm/gph/enabled
m1=$(stat_of discards) b1=$(pinned_sum discards_by_file discards)
diag "discards over the interval: module $((m1 - m0)), bpf discards_by_file $((b1 - b0)); rereads $(stat_of rereads)"
[ $((m1 - m0)) -gt 0 ] && [ $((m1 - m0)) = $((b1 - b0)) ]
ok $? "over the interval, BPF's discards_by_file total equals the module's stats/discards delta"
echo 1 >/sys/kernel/mm/gph/enabled

bpftool map dump pinned /sys/fs/bpf/gph/discards_by_file >/tmp/dump.txt 2>&1
r=$?
diag "$(head -12 /tmp/dump.txt | tr '\n' ' ' | tr -s ' ')"
cg=$(pinned_sum discards_by_cgroup discards)
life=$(pinned_sum volatile_lifetime value)
lat=$(pinned_sum reread_latency value)
diag "discards_by_cgroup total $cg, volatile_lifetime $life pages, reread_latency $lat pages"
[ $r = 0 ] && grep -q '"discards": [1-9]' /tmp/dump.txt && [ "$cg" -gt 0 ] && [ "$life" -gt 0 ]
ok $? "bpftool map dump pinned discards_by_file shows non-zero counts (and per cgroup, volatile lifetimes)"

# The pages just read go volatile and are discarded: read them again
# while gphtrace counts.
sleep 3
# shellcheck disable=SC2086
( sleep 1; cat $set >/dev/null ) &
gphtrace --top 3 --root /mnt -d 5 >/tmp/top 2>/tmp/top.err
r=$?
wait
while read -r l; do diag "top: $l"; done </tmp/top
[ $r = 0 ] && awk 'NR > 1 && $4 ~ /^\/mnt\/bigset\//' /tmp/top | grep -q .
ok $? "gphtrace --top 3 --root /mnt names a file under /mnt/bigset"

sleep 3
ino=$(stat -c %i $B/b005)
dev=$(cat "/sys/class/block/$(awk '$2 == "/mnt" { sub("/dev/", "", $1); print $1 }' /proc/mounts)/dev")
( sleep 1; cat $B/b00[0-9] >/dev/null ) &
gphtrace --file $B/b005 -d 5 >/tmp/tr 2>/tmp/tr.err
r=$?
wait
events=$(awk 'NR > 1' /tmp/tr | wc -l)
others=$(awk -v d="$dev" -v i="ino=$ino" 'NR > 1 && (($6 != "discard" && $6 != "reread") || $7 != d || $8 != i)' /tmp/tr | wc -l)
diag "gphtrace --file b005 ($dev ino $ino): $events events, $others of other files or kinds; first: $(sed -n 2p /tmp/tr)"
[ $r = 0 ] && [ "$events" -gt 0 ] && [ "$others" = 0 ]
ok $? "gphtrace --file streams only discard events of that inode"

sleep 3
( sleep 1; cat $B/b01[0-9] >/dev/null ) &
gphtrace --discards-only -d 5 >/tmp/tr 2>/tmp/tr.err
r=$?
wait
discards=$(awk 'NR > 1 && $6 == "discard"' /tmp/tr | wc -l)
others=$(awk 'NR > 1 && $6 != "discard" && $6 != "reread"' /tmp/tr | wc -l)
diag "gphtrace --discards-only: $discards discard events, $others others; first: $(sed -n 2p /tmp/tr)"
[ $r = 0 ] && [ "$discards" -gt 0 ] && [ "$others" = 0 ]
ok $? "gphtrace --discards-only streams gph_discard events and nothing else"
echo 0 >/sys/kernel/mm/gph/emul_discard_rate
gphstat -c 1 --json >/tmp/s2 && diag "gphstat: $(grep -o '"discards":{[^}]*},"rereads":{[^}]*}' /tmp/s2)"

bad=0
for args in "-i 0" "-i x" "-c 0" "-c -3" "--frob" "extra"; do
	# shellcheck disable=SC2086
	if gphstat $args >/dev/null 2>/tmp/err || [ ! -s /tmp/err ]; then bad=1; diag "gphstat $args: accepted or silent"; fi
done
[ $bad = 0 ]
ok $? "gphstat: every bad option exits non-zero with a message"
bad=0
for args in "--pin relative/dir" "--pin --unpin" "--frob" "extra" "-s foo" "-p 0" "-p x" "-d 0" "--pin -p 1"; do
	# shellcheck disable=SC2086
	if gphtrace $args >/dev/null 2>/tmp/err || [ ! -s /tmp/err ]; then bad=1; diag "gphtrace $args: accepted or silent"; fi
done
[ $bad = 0 ]
ok $? "gphtrace: every bad option exits non-zero with a message"
bad=0
for args in "--top 0" "--top x" "--top 3 --root /nonexistent" "--top 3 --root $B/b005" \
	"--root /mnt" "--top 3 -p 1" "--top 3 --discards-only" "--file /nonexistent" \
	"--file /mnt" "--file $B/b005 -s unused" "--pin --top 3" "--pin --file $B/b005"; do
	# A bug that accepts one would count until killed: bound it.
	# shellcheck disable=SC2086
	timeout 20 gphtrace $args >/dev/null 2>/tmp/err
	r=$?
	if [ $r != 2 ] || [ ! -s /tmp/err ]; then bad=1; diag "gphtrace $args: exit $r, $(cat /tmp/err)"; fi
done
[ $bad = 0 ]
ok $? "gphtrace: bad --top, --root and --file exit 2 with a message"

# trace_dd ARGS...: gphtrace ARGS while a dd runs, the dd started only once
# gphtrace has attached (its header is out) and traced until it exits. An
# argument DDPID stands for dd's pid (known before gphtrace starts), left
# in $DD.
trace_dd() {
	rm -f /tmp/go /tmp/tr && mkfifo /tmp/go
	( read -r _ </tmp/go; exec dd if=/dev/zero of=/tmp/x bs=1M count=16 2>/dev/null ) &
	DD=$!
	args=
	for a in "$@"; do
		[ "$a" = DDPID ] && a=$DD
		args="$args $a"
	done
	# shellcheck disable=SC2086 # words: no argument has a space
	gphtrace $args >/tmp/tr 2>/tmp/tr.err &
	t=$!
	i=0
	while [ ! -s /tmp/tr ] && [ $i -lt 600 ] && kill -0 $t 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	echo go >/tmp/go
	wait $DD
	kill -INT $t
	wait $t
	rm -f /tmp/x /tmp/go
}
# Streaming, filtered by state: every event has unused on one side.
trace_dd -s unused
events=$(awk 'NR > 1' /tmp/tr | wc -l)
others=$(awk 'NR > 1 && $6 != "unused" && $8 != "unused"' /tmp/tr | wc -l)
diag "gphtrace -s unused: $events events, $others without unused; first: $(sed -n 2p /tmp/tr)"
[ "$events" -gt 0 ] && [ "$others" = 0 ]
ok $? "gphtrace -s unused streams only transitions into or out of unused"
# Filtered by process: dd's own allocations, nobody else's.
trace_dd -p DDPID
p=$DD
events=$(awk 'NR > 1' /tmp/tr | wc -l)
others=$(awk -v p=$p 'NR > 1 && $2 != p' /tmp/tr | wc -l)
diag "gphtrace -p $p: $events events, $others from other processes; first: $(sed -n 2p /tmp/tr)"
[ "$events" -gt 0 ] && [ "$others" = 0 ]
ok $? "gphtrace -p PID streams only that process's transitions"

gphtrace --unpin && unload_gph
ok $? "gphtrace --unpin; rmmod gph"
gphstat -c 1 2>/tmp/err1; r1=$?
gphtrace --pin 2>/tmp/err2; r2=$?
diag "without gph.ko: gphstat exit $r1: $(cat /tmp/err1); gphtrace exit $r2: $(cat /tmp/err2)"
[ $r1 = 3 ] && [ $r2 = 3 ] && grep -q "not loaded" /tmp/err1 && grep -q "not loaded" /tmp/err2
ok $? "without gph.ko both tools exit 3 saying the module is not loaded"
