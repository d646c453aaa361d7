# tools: BPF's counts equal the module's over the same interval, gphstat's
# JSON is consistent, and every bad option or missing module is an error
# with a message.
. ./tests/lib.sh
plan 9

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

# Streaming, filtered by state: every event has unused on one side.
( sleep 2; dd if=/dev/zero of=/tmp/x bs=1M count=16 2>/dev/null; rm -f /tmp/x ) &
gphtrace -d 5 -s unused >/tmp/tr 2>/tmp/tr.err
wait
events=$(awk 'NR > 1' /tmp/tr | wc -l)
others=$(awk 'NR > 1 && $6 != "unused" && $8 != "unused"' /tmp/tr | wc -l)
diag "gphtrace -s unused: $events events, $others without unused; first: $(sed -n 2p /tmp/tr)"
[ "$events" -gt 0 ] && [ "$others" = 0 ]
ok $? "gphtrace -s unused streams only transitions into or out of unused"
# Filtered by process: dd's own allocations, nobody else's.
( sleep 2; exec dd if=/dev/zero of=/tmp/x bs=1M count=16 2>/dev/null ) &
p=$!
gphtrace -d 5 -p $p >/tmp/tr 2>/tmp/tr.err
wait
rm -f /tmp/x
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
