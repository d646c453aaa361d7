#!/usr/bin/env bash
# selftest.sh — gph-hostd end to end against a real QEMU, no guest kernel.
#
# QEMU (-M pc, TCG, 1 GiB, SeaBIOS looping without a disk) gets guest RAM and
# the table as memory-backend-files in /dev/shm and two QMP sockets;
# gph-fake-guest plays the guest in the table file (a v2 header, a beat every
# 200 ms, frames marked UNUSED, known content in STABLE frames). Checks: the
# RAM file's allocated size drops by the UNUSED frames; STABLE frames are
# intact; after a system_reset from the second monitor, with the beat held,
# gph-hostd punches nothing (the table is stale) and trusts it again at the
# next beat, also when the reset comes in while it is about to trust or to
# open a window (GPH_HOSTD_TEST_RESET); a journal left by a killed gph-hostd
# (VM paused with BUSY frames, or reset while paused) is finished and the VM
# continued, and one left in another QEMU is ignored; no window while a
# migration runs, nor for a VM with a passthrough device
# (GPH_HOSTD_TEST_PASSTHROUGH names the ivshmem device so, as no VFIO device
# can be made here); under --discard-volatile=pressure VOLATILE frames go only
# when a cgroup (a stand-in directory) or PSI says so; a backend file that is
# not what QEMU maps is refused; a migration begun while it punches is
# cancelled (GPH_HOSTD_TEST_MIGRATE); BUSY bytes no window holds are
# released at trust; with --exit-when-gone it leaves when QEMU quits. TAP on
# stdout; exit 1 on failure, 4 (skip) without QEMU.
#
# HOSTD=path runs another gph-hostd build (to check that this test fails
# against a broken one).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
bin=${GPH_OUT:-$top/build}/host
tmp=$(mktemp -d /tmp/gph-hostd-selftest.XXXXXX)
ram=/dev/shm/gph-selftest-$$.ram
tab=/dev/shm/gph-selftest-$$.tab
qemu_pid= beat_pid= hostd_pid=
n=0 failed=0

cleanup() {
	for p in $hostd_pid $beat_pid $qemu_pid; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$tmp" "$ram" "$tab" "/dev/shm/gph-selftest-$$.decoy"
}
trap cleanup EXIT

ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed + 1)); fi
}
diag() { sed 's/^/# /'; }
blocks() { stat -c %b "$ram"; }
# wait_for SECONDS COMMAND...: poll every 100 ms
wait_for() {
	local t=$(($1 * 10))
	shift
	while [ $t -gt 0 ]; do "$@" && return 0; sleep 0.1; t=$((t - 1)); done
	return 1
}
fg() { "$bin/gph-fake-guest" "$@"; }
running() { fg qmp "$tmp/qmp2.sock" query-status | grep -q '"status": "running"'; }

command -v qemu-system-x86_64 >/dev/null || { echo "1..0 # SKIP no qemu-system-x86_64"; exit 4; }
make -s -C "$top" hostd >&2 || { echo "1..0 # build failed"; exit 1; }
hostd=${HOSTD:-$bin/gph-hostd}
echo "1..27"

"$hostd" --qmp=/nonexistent --discard-volatile=bogus >"$tmp/bad.out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q 'want never, pressure or always' "$tmp/bad.out"
ok $? "a bad option is refused with exit 1 and says what it wants (rc $rc)"

qemu-system-x86_64 -M pc -accel tcg -m 1G -display none -nodefaults \
	-object memory-backend-file,id=ram0,size=1G,mem-path="$ram",share=on -machine memory-backend=ram0 \
	-object memory-backend-file,id=gphtab,size=512K,mem-path="$tab",share=on \
	-device ivshmem-plain,memdev=gphtab,master=on \
	-qmp unix:"$tmp/qmp.sock",server=on,wait=off -qmp unix:"$tmp/qmp2.sock",server=on,wait=off \
	>"$tmp/qemu.log" 2>&1 &
qemu_pid=$!
wait_for 10 test -S "$tmp/qmp2.sock" || { echo "Bail out! QEMU did not start"; cat "$tmp/qemu.log" | diag; exit 1; }

# The guest: 1 GiB = 262144 frames. STABLE frames with content at 160 MiB,
# 40 MiB of UNUSED frames at 200 MiB, frames for the reset test at 300 MiB.
S=40960 NS=2048 U=51200 NU=10240 R=76800 NR=2048
fg init "$tab" 262144 1
fg fill "$ram" $S $NS 7
fg fill "$ram" $U $NU 8
fg mark "$tab" $U $NU unused
# The legacy range 0xa0000-0xfffff (frames 160-255: VGA, ROM, SMRAM on -M
# pc) marked UNUSED too, by a guest that should not: never punched. Filled
# only in 0xa0000-0xdffff: SeaBIOS runs from its shadow copy above.
L=160 NL=64
fg fill "$ram" $L $NL 12
fg mark "$tab" $L $NL unused
"$bin/gph-fake-guest" beat "$tab" 200 &
beat_pid=$!
before=$(blocks)

"$hostd" --qmp="$tmp/qmp.sock" --name=selftest --state-dir="$tmp" --stats -v \
	>"$tmp/stats" 2>"$tmp/hostd.log" &
hostd_pid=$!
dropped() { [ "$(($1 - $(blocks)))" -ge "$(($2 * 8 * 99 / 100))" ]; }
# all N frames from F read back as zeroes (punched)
punched() { [[ "$(fg check "$ram" "$1" "$2" 0 2>/dev/null)" == *" zero=$2 "* ]]; }
wait_for 10 punched $U $NU
after=$(blocks)
# QEMU's firmware may still be allocating meanwhile: 95 % of the frames.
[ $((before - after)) -ge $((NU * 8 * 95 / 100)) ] && punched $U $NU
ok $? "UNUSED frames punched, RAM file's st_blocks dropped: $before -> $after (want >= $((NU * 8 * 95 / 100)) fewer)"

fg check "$ram" $S $NS 7 >"$tmp/check" 2>&1
ok $? "STABLE frames' content intact: $(cat "$tmp/check")"

# SeaBIOS may write there itself (option ROMs, VGA), so not the content: no
# hole in what we filled (SEEK_HOLE, whence 4, from 0xa0000).
hole=$(perl -e 'open(F, "<", $ARGV[0]) or die; printf "%#x", sysseek(F, 0xa0000, 4)' "$ram")
maps=$(grep -c 'guest RAM 0-' "$tmp/hostd.log")
legacy=$(sed -n 's/.*guest RAM \([0-9a-fx]*\)-\([0-9a-fx]*\) .*/\1 \2/p' "$tmp/hostd.log" |
	while read -r a b; do [ $((b)) -lt $((0xa0000)) ] || [ $((a)) -gt $((0xfffff)) ] || echo "$a-$b"; done | xargs)
[ -z "$legacy" ] && [ "$maps" -ge 2 ] && [ $((hole)) -ge $(((L + NL) * 4096)) ]
ok $? "0xa0000-0xfffff is never taken: not in the RAM map ${legacy:+(but $legacy) }(read $maps times: at connect and at trust), no hole punched in it (first hole from 0xa0000 at $hole)"

unused=$(fg count "$tab" unused) busy=$(fg count "$tab" busy)
[ "$unused" = $((NU + NL)) ] && [ "$busy" = 0 ]
ok $? "dropped frames released UNUSED ($unused of $NU + $NL legacy), none left BUSY ($busy)"

"$hostd" --qmp="$tmp/qmp.sock" --name=selftest --state-dir="$tmp" >"$tmp/second.out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q 'another gph-hostd' "$tmp/second.out"
ok $? "a second gph-hostd for the VM refuses (rc $rc: $(head -1 "$tmp/second.out"))"
# ... also under another name, through the other monitor: the RAM file is locked.
timeout 10 "$hostd" --qmp="$tmp/qmp2.sock" --name=other --state-dir="$tmp" >"$tmp/second.out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q 'is locked: another gph-hostd serves it' "$tmp/second.out"
ok $? "... and one under another name refuses too (rc $rc: $(grep -m1 locked "$tmp/second.out"))"

# A reset while the beat stands still: the table is stale. The "firmware"
# writes frames the stale table calls UNUSED; gph-hostd must not punch them.
kill -STOP $beat_pid
fg qmp "$tmp/qmp2.sock" system_reset >/dev/null
wait_for 5 grep -q 'distrusting the table: RESET' "$tmp/hostd.log"
distrusted=$?
fg fill "$ram" $R $NR 9
fg mark "$tab" $R $NR unused
held=$(blocks)
sleep 1.5
fg check "$ram" $R $NR 9 >"$tmp/check" 2>&1
intact=$?
[ $distrusted -eq 0 ] && [ $intact -eq 0 ] && [ "$(blocks)" -ge "$held" ]
ok $? "after system_reset, with the beat held for 1.5 s, nothing punched: distrusted ($distrusted), $(cat "$tmp/check"), blocks $held -> $(blocks)"

kill -CONT $beat_pid
wait_for 5 dropped "$held" $NR
fg check "$ram" $R $NR 9 >"$tmp/check" 2>&1
[ "$(grep -c 'trusting the table' "$tmp/hostd.log")" -ge 2 ] && grep -q 'zero=2048' "$tmp/check"
ok $? "trusted again at the next beat, and dropped them: $(cat "$tmp/check")"

# A migration under way (to a pipe, throttled to 1 byte/s): no window, as
# punches and table writes escape its dirty tracking; after migrate_cancel,
# the frames go.
M=87040 NM=1024
fg qmp "$tmp/qmp2.sock" migrate-set-parameters '{"max-bandwidth": 1}' >/dev/null
fg qmp "$tmp/qmp2.sock" migrate '{"uri": "exec:cat >/dev/null"}' >/dev/null
fg fill "$ram" $M $NM 11
fg mark "$tab" $M $NM unused
sleep 1.5
fg check "$ram" $M $NM 11 >"$tmp/check" 2>&1
intact=$?
mig=$(fg qmp "$tmp/qmp2.sock" query-migrate | grep -o '"status": "[a-z-]*"' | head -1)
fg qmp "$tmp/qmp2.sock" migrate_cancel >/dev/null
held=$(blocks)
wait_for 5 dropped "$held" $NM
fg check "$ram" $M $NM 11 >"$tmp/check2" 2>&1
[ $intact -eq 0 ] && [ "$mig" = '"status": "active"' ] && grep -q "zero=$NM" "$tmp/check2"
ok $? "migration $mig: $NM UNUSED frames kept ($(cat "$tmp/check")); after migrate_cancel dropped ($(cat "$tmp/check2"))"
wait_for 5 running

status=$(fg qmp "$tmp/qmp2.sock" query-status)
echo "$status" | grep -q '"status": "running"'
ok $? "the VM runs: $status"

kill -TERM $hostd_pid
wait $hostd_pid
rc=$?
hostd_pid=
[ $rc -eq 0 ] && fg qmp "$tmp/qmp2.sock" query-status | grep -q '"status": "running"'
ok $? "SIGTERM: gph-hostd exits 0 ($rc), the VM still runs"

# A killed gph-hostd's journal: a window open, frames BUSY, the VM paused.
# Its layout: magic "GPJ2", stopped, kind, generation, QEMU's pid (u32 each),
# then QEMU's start time (u64, /proc/PID/stat field 22, 8-aligned).
journal() { # journal [PID]
	local pid=${1:-$qemu_pid} start
	start=$(sed 's/.*) //' "/proc/$qemu_pid/stat" | cut -d' ' -f20)
	perl -e 'print pack("a4VVVVVQ<", "GPJ2", 1, 1, 1, $ARGV[0], 0, $ARGV[1])' "$pid" "$start" \
		>"$tmp/selftest.journal"
}
start_hostd() {
	"$hostd" --qmp="$tmp/qmp.sock" --name=selftest --state-dir="$tmp" -v "$@" \
		>>"$tmp/stats" 2>>"$tmp/hostd.log" &
	hostd_pid=$!
}
P=89600 NP=512
fg fill "$ram" $P $NP 10
fg poke "$tab" $P $NP busy
journal
fg qmp "$tmp/qmp2.sock" stop >/dev/null
start_hostd
wait_for 5 running
fg check "$ram" $P $NP 10 >"$tmp/check" 2>&1
[ "$(fg count "$tab" busy)" = 0 ] && grep -q "zero=$NP" "$tmp/check" && running &&
	grep -q "journal: punched and released $NP BUSY frames as UNUSED" "$tmp/hostd.log"
ok $? "journal, VM paused, same generation: $NP BUSY frames punched ($(cat "$tmp/check")), released UNUSED, VM continued"

kill -TERM $hostd_pid; wait $hostd_pid; hostd_pid=
journal
fg qmp "$tmp/qmp2.sock" stop >/dev/null
fg qmp "$tmp/qmp2.sock" system_reset >/dev/null
prelaunch=$(fg qmp "$tmp/qmp2.sock" query-status | grep -o '"status": "[a-z]*"')
start_hostd
wait_for 5 running
running && [ "$prelaunch" = '"status": "prelaunch"' ] && grep -q 'resetting the VM again' "$tmp/hostd.log"
ok $? "journal, VM reset while paused ($prelaunch): system_reset, then cont: VM runs"

kill -TERM $hostd_pid; wait $hostd_pid; hostd_pid=
journal 1	# another QEMU's: this paused VM is not gph-hostd's to resume
fg qmp "$tmp/qmp2.sock" stop >/dev/null
start_hostd
wait_for 5 grep -q 'window was in another QEMU' "$tmp/hostd.log"
found=$?
sleep 0.5
status=$(fg qmp "$tmp/qmp2.sock" query-status | grep -o '"status": "[a-z]*"')
[ $found -eq 0 ] && [ "$status" = '"status": "paused"' ]
ok $? "journal of another QEMU: ignored, the paused VM left paused ($status)"
kill -TERM $hostd_pid; wait $hostd_pid; hostd_pid=
fg qmp "$tmp/qmp2.sock" cont >/dev/null

# A reset read while gph-hostd is about to trust the table, or to open a
# window over the candidates it collected (the test hook stops the beat and
# resets the VM right there): the table is stale, so nothing is punched
# until the beat moves again.
W=95232 NW=1024 i=13
for where in trust window; do
	fg fill "$ram" $W $NW $i
	fg mark "$tab" $W $NW unused
	GPH_HOSTD_TEST_RESET=$where:$beat_pid start_hostd
	wait_for 10 grep -q "test: beat stopped, system_reset before $where" "$tmp/hostd.log"
	hooked=$?
	sleep 1.5
	fg check "$ram" $W $NW $i >"$tmp/check" 2>&1
	intact=$?
	kill -CONT $beat_pid
	wait_for 5 punched $W $NW
	[ $hooked -eq 0 ] && [ $intact -eq 0 ] && punched $W $NW
	ok $? "a RESET before $where: nothing punched with the beat held 1.5 s ($(cat "$tmp/check")), dropped once it beats"
	kill -TERM $hostd_pid; wait $hostd_pid; hostd_pid=
	W=$((W + NW)) i=$((i + 1))
done

# A migration that another monitor starts while gph-hostd punches (the test
# hook starts it there, the vCPUs stopped): it would copy a table and RAM
# that changed behind its dirty log, so it is cancelled before the VM runs.
X=100352 NX=1024
fg fill "$ram" $X $NX 17
fg mark "$tab" $X $NX unused
GPH_HOSTD_TEST_MIGRATE=1 start_hostd
wait_for 10 grep -q 'test: a migration starts before the punches' "$tmp/hostd.log"
hooked=$?
migstatus() { fg qmp "$tmp/qmp2.sock" query-migrate | grep -o '"status": "[a-z-]*"' | head -1; }
wait_for 5 eval '[ "$(migstatus)" = "\"status\": \"cancelled\"" ]'
mig=$(migstatus)
wait_for 5 running
[ $hooked -eq 0 ] && [ "$mig" = '"status": "cancelled"' ] && punched $X $NX && running
ok $? "a migration begun during the punches: cancelled before cont (migration $mig), frames dropped, the VM runs"
kill -TERM $hostd_pid; wait $hostd_pid; hostd_pid=
fg qmp "$tmp/qmp2.sock" migrate_cancel >/dev/null 2>&1

# BUSY bytes that no window holds (a migration or a snapshot copied the
# table inside one; no journal says a window is open): released as
# DISCARDED once the table is trusted, not punched.
Y=101376 NY=256
fg fill "$ram" $Y $NY 18
fg poke "$tab" $Y $NY busy
start_hostd --metrics-file="$tmp/gph.prom"
wait_for 10 grep -q 'released 256 BUSY frames no window of ours holds' "$tmp/hostd.log"
found=$?
fg check "$ram" $Y $NY 18 >"$tmp/check" 2>&1
intact=$? busy=$(fg count "$tab" busy)
[ $found -eq 0 ] && [ $intact -eq 0 ] && [ "$busy" = 0 ]
ok $? "stray BUSY frames released at trust ($busy left), not punched ($(cat "$tmp/check"))"

# --metrics-file: node_exporter's text format (each family's HELP and TYPE,
# then samples with the vm label), trusted now, no window left open; the
# file goes when gph-hostd exits with none open.
wait_for 5 grep -q '^gph_hostd_trusted{vm="selftest"} 1$' "$tmp/gph.prom"
trusted=$?
cp "$tmp/gph.prom" "$tmp/gph.prom.seen" 2>/dev/null
badlines=$(grep -cvE '^# (HELP|TYPE) gph_hostd_[a-z_]+ .+$|^gph_hostd_[a-z_]+\{vm="selftest"\} [0-9.e+-]+$' "$tmp/gph.prom.seen")
families=$(grep -c '^# TYPE gph_hostd_' "$tmp/gph.prom.seen")
kill -TERM $hostd_pid; wait $hostd_pid; hostd_pid=
[ $trusted -eq 0 ] && [ "$badlines" = 0 ] && [ "$families" -ge 11 ] &&
	grep -q '^gph_hostd_window_open{vm="selftest"} 0$' "$tmp/gph.prom.seen" && [ ! -e "$tmp/gph.prom" ]
ok $? "--metrics-file: $families families, $badlines lines off the text format, trusted 1, window_open 0; removed at exit"

# Pressure (--discard-volatile=pressure): a stand-in for the VM's cgroup v2
# directory with its memory files. VOLATILE frames stay while memory.current
# is under 90 % of the limit and PSI "some avg10" is under --psi; they go once
# memory.high is lowered under memory.current, or once PSI rises.
cg=$tmp/cg
mkdir "$cg"
Q=98304 NQ=1024 i=15
for cause in memory.high psi; do
	echo 1073741824 >"$cg/memory.current"
	echo max >"$cg/memory.high"
	echo max >"$cg/memory.max"
	printf 'some avg10=0.00 avg60=0.00 avg300=0.00 total=0\nfull avg10=0.00 avg60=0.00 avg300=0.00 total=0\n' \
		>"$cg/memory.pressure"
	fg fill "$ram" $Q $NQ $i
	fg mark "$tab" $Q $NQ volatile
	start_hostd --discard-volatile=pressure --cgroup="$cg" --psi=10
	sleep 1.5
	fg check "$ram" $Q $NQ $i >"$tmp/check" 2>&1
	intact=$?
	if [ $cause = psi ]; then
		sed -i 's/^some avg10=0.00/some avg10=25.00/' "$cg/memory.pressure"
	else
		echo 536870912 >"$cg/memory.high"
	fi
	wait_for 5 punched $Q $NQ
	[ $intact -eq 0 ] && punched $Q $NQ
	ok $? "pressure: VOLATILE frames kept without pressure ($(cat "$tmp/check")), discarded once $cause says so"
	kill -TERM $hostd_pid; wait $hostd_pid; hostd_pid=
	Q=$((Q + NQ)) i=$((i + 1))
done
"$hostd" --qmp="$tmp/qmp.sock" --cgroup=/nonexistent >"$tmp/bad.out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q 'want the cgroup v2 directory' "$tmp/bad.out"
ok $? "a --cgroup without memory.current is refused at start (rc $rc: $(head -1 "$tmp/bad.out"))"

# A backend whose file was replaced after QEMU mapped it: QMP still names the
# path, but the file there is not what QEMU maps (as a compromised QEMU would
# name another VM's file). Refused before it is opened for writing.
decoy=/dev/shm/gph-selftest-$$.decoy
fg qmp "$tmp/qmp2.sock" object-add "{\"qom-type\": \"memory-backend-file\", \"id\": \"decoy\", \"mem-path\": \"$decoy\", \"size\": 4194304, \"share\": true}" >"$tmp/decoy.out"
rm -f "$decoy"
head -c 4194304 /dev/urandom >"$decoy"
sum=$(md5sum <"$decoy")
timeout 20 "$hostd" --qmp="$tmp/qmp.sock" --name=decoy --state-dir="$tmp" --ram-backend=decoy \
	>"$tmp/decoy.log" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q 'is not what this QEMU maps' "$tmp/decoy.log" && [ "$(md5sum <"$decoy")" = "$sum" ]
ok $? "a backend file replaced after QEMU mapped it: refused, untouched (rc $rc: $(grep -m1 -o 'decoy: .*' "$tmp/decoy.log" | cut -c1-100))"
rm -f "$decoy"

# A passthrough device: gph-hostd says so and gives nothing back.
V=93184 NV=1024
fg fill "$ram" $V $NV 12
fg mark "$tab" $V $NV unused
GPH_HOSTD_TEST_PASSTHROUGH=ivshmem start_hostd
wait_for 5 grep -q 'it pins guest RAM' "$tmp/hostd.log"
found=$?
sleep 1.5
fg check "$ram" $V $NV 12 >"$tmp/check" 2>&1
[ $found -eq 0 ] && grep -q "zero=0" "$tmp/check"
ok $? "a passthrough device (ivshmem, named so for the test): refused, nothing punched ($(cat "$tmp/check"))"
kill -TERM $hostd_pid; wait $hostd_pid; hostd_pid=
# --exit-when-gone with a window of ours open in a QEMU that lives (the
# journal says so; its socket is not there, as while QEMU restarts its
# monitor): not gone, it waits for the socket rather than leave the VM paused.
journal
"$hostd" --qmp="$tmp/absent.sock" --name=selftest --state-dir="$tmp" --exit-when-gone \
	>"$tmp/gone.log" 2>&1 &
gone_pid=$!
sleep 2
kill -0 $gone_pid 2>/dev/null
alive=$?
kill -TERM $gone_pid 2>/dev/null; wait $gone_pid
printf 'GPJ2' >"$tmp/selftest.journal"	# no window open
[ $alive -eq 0 ]
ok $? "--exit-when-gone, the socket gone but our window open in a live QEMU: keeps waiting ($(grep -m1 -o 'QEMU [0-9]* lives.*' "$tmp/gone.log"))"
start_hostd --exit-when-gone
sleep 0.5
fg qmp "$tmp/qmp2.sock" quit >/dev/null
wait $qemu_pid; qemu_pid=
wait_for 3 eval '! kill -0 $hostd_pid 2>/dev/null'
wait $hostd_pid
rc=$?
hostd_pid=
[ $rc -eq 0 ] && grep -q 'the VM is gone' "$tmp/hostd.log"
ok $? "--exit-when-gone: QEMU quits, gph-hostd exits 0 ($rc)"

windows=$(tail -1 "$tmp/stats")
echo "# last stats line: $windows"
grep -o 'window: .*' "$tmp/hostd.log" | diag
[ $failed -eq 0 ] || { echo "# hostd log:"; diag <"$tmp/hostd.log"; }
[ $failed -eq 0 ]
