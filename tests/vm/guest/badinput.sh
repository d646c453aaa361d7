# badinput: every bad module parameter and sysfs write is refused with a
# clear error, and a refused load leaves nothing behind.
. ./tests/lib.sh
plan 27

valid=$(case $(uname -m) in s390x) echo "essa, table" ;; *) echo "table" ;; esac)
refused_with "unknown backend=bogus; valid: $valid" backend=bogus
ok $? "backend=bogus refused, message lists the valid backends"
if [ "$(uname -m)" != s390x ]; then
	refused_with "unknown backend=essa; valid: table" backend=essa
	ok $? "backend=essa refused off s390 with the valid list"
else
	refused_with "no CMMA (ESSA) on this machine; use backend=table" backend=essa
	ok $? "backend=essa refused without CMMA, saying what to use"
fi
refused_with "no host: no ivshmem-plain device (1af4:1110); load with host=emul to test without one" host=auto
ok $? "host=auto without an ivshmem device refused, saying how to test without one"
refused_with "host=bogus: want auto, hostd or emul" host=bogus
ok $? "host=bogus refused, saying what it wants"
refused_with "emul_rate" emul_rate=abc
ok $? "emul_rate=abc refused"
refused_with "emul_rate" emul_rate=-5
ok $? "emul_rate=-5 refused"
refused_with "emul_rate" emul_rate=100000001
ok $? "emul_rate above 100000000 refused"
refused_with "emul_discard_rate=fast: want 0..100000000 frames per second, or max" emul_discard_rate=fast
ok $? "emul_discard_rate=fast refused, saying what it wants"
refused_with "emul_unmap: needs a kernel with CONFIG_DEBUG_PAGEALLOC booted with debug_pagealloc=on" emul_unmap=1
ok $? "emul_unmap=1 refused without debug_pagealloc=on, saying why"
refused_with "sweep_ms=99999999: want 0 (off) .. 3600000 milliseconds" sweep_ms=99999999
ok $? "sweep_ms above an hour refused"

load_gph
ok $? "insmod gph.ko with defaults"
w() { echo "$2" >"/sys/kernel/mm/gph/$1" 2>/tmp/err; }
! w enabled 2 && ! w enabled maybe
ok $? "enabled: '2' and 'maybe' refused ($(cat /tmp/err))"
! w emul_rate abc && ! w emul_rate 100000001 && ! w emul_rate -1
ok $? "emul_rate: 'abc', 100000001 and -1 refused"
! w emul_discard_rate fast && ! w emul_discard_rate -1 && ! w emul_unmap 1 &&
	! w volatile maybe && ! w sweep_ms -1 && ! w sweep_ms 3600001
ok $? "emul_discard_rate, emul_unmap, volatile and sweep_ms refuse bad values"
! w backend essa && ! w nr_frames 1 && ! w stats/nr_unused 0
ok $? "read-only attributes refuse writes"
[ "$(sysfs enabled)" = 1 ] && [ "$(sysfs emul_rate)" = 0 ] &&
	[ "$(sysfs emul_discard_rate)" = 0 ] && [ "$(sysfs emul_unmap)" = 0 ] &&
	[ "$(sysfs volatile)" = 1 ] && [ "$(sysfs sweep_ms)" = 1000 ]
ok $? "refused writes changed nothing"
cat /mnt/data/files/* >/dev/null; sleep 2
v=$(stat_of nr_volatile)
w volatile 0 && [ "$(stat_of nr_volatile)" = 0 ] && [ "$(sysfs enabled)" = 1 ] &&
	(cd /mnt/data && sha256sum -c -s MANIFEST)
ok $? "volatile=0: all $v volatile pages stable again, data intact"
# With volatile=0 the page-cache sites must not call out at all (the core's
# page_states_volatile key is off): kprobes count the calls into the core's
# folio hooks while the files are read from disk, left idle (volatile with
# volatile=1) and read again from the cache (taken back).
T=/sys/kernel/tracing
kp_add() { echo "p:gph_kp_$1 __page_states_folio_$1" >>$T/kprobe_events &&
	echo 1 >$T/events/kprobes/gph_kp_$1/enable; }
kp_del() { echo 0 >$T/events/kprobes/gph_kp_$1/enable; echo "-:gph_kp_$1" >>$T/kprobe_events; }
kp_calls() { field_of $T/kprobe_profile "gph_kp_$1"; }
read_files() { echo 1 >/proc/sys/vm/drop_caches && cat /mnt/data/files/* >/dev/null &&
	sleep 2 && cat /mnt/data/files/* >/dev/null; }
kp_add idle && kp_add stable
r=$?; i0=$(kp_calls idle) s0=$(kp_calls stable); read_files
i1=$(kp_calls idle) s1=$(kp_calls stable)
# The self-check then wants every frame in use STABLE.
run_selfcheck
[ $r = 0 ] && [ -n "$i1" ] && [ $((i1 - i0)) = 0 ] && [ $((s1 - s0)) = 0 ] &&
	[ "$(selfcheck_field disagreements)" = 0 ]
ok $? "volatile=0: reading the files calls folio_idle $((i1 - i0)) times and folio_stable $((s1 - s0)) (want 0 and 0); self-check: $(selfcheck_field disagreements) disagreements"
w volatile 1 && read_files && sleep 2 && [ "$(stat_of nr_volatile)" -gt 0 ] &&
	[ $(($(kp_calls idle) - i1)) -gt 0 ] && [ $(($(kp_calls stable) - s1)) -gt 0 ]
ok $? "volatile=1: volatile pages again ($(stat_of nr_volatile)); reading called folio_idle $(($(kp_calls idle) - i1)) times and folio_stable $(($(kp_calls stable) - s1))"
kp_del idle; kp_del stable

w enabled 0 && run_selfcheck && [ "$(selfcheck_field disagreements)" = 0 ] &&
	[ "$(stat_of nr_unused)" = 0 ] && [ "$(stat_of nr_volatile)" = 0 ]
r=$?
[ $r = 0 ] || diag "after enabled=0: nr_unused $(stat_of nr_unused); $(head -6 /tmp/selfcheck | tr '\n' ' ')"
ok $r "enabled=0: every frame stable again"
w enabled 1 && run_selfcheck && [ "$(selfcheck_field disagreements)" = 0 ] &&
	[ "$(stat_of nr_unused)" -gt 0 ]
ok $? "enabled=1: free pages unused again, zero disagreements"
unload_gph
ok $? "rmmod gph"

# The hook cost profiler (hookcost=1, make bench's per-hook table).
HC=/sys/kernel/debug/gph/hookcost
refused_with "invalid for parameter \`hookcost'" hookcost=maybe
ok $? "hookcost=maybe refused"
hc() { awk -v h="$1" '$1 == h { print $2 }' $HC; }
# The core calls page_free only for frames not stable (volatile page cache
# being dropped) and folio_stable only for folios not stable (volatile ones
# read again).
load_gph hookcost=1 && echo 1 >/proc/sys/vm/drop_caches &&
	cat /mnt/data/files/* >/dev/null && sleep 2 && cat /mnt/data/files/* >/dev/null &&
	sleep 2 && echo 1 >/proc/sys/vm/drop_caches
cat $HC | while read -r l; do diag "  $l"; done
[ "$(hc buddy_free)" -gt 0 ] && [ "$(hc buddy_alloc)" -gt 0 ] &&
	[ "$(hc page_free)" -gt 0 ] &&
	[ "$(hc folio_idle)" -gt 0 ] && [ "$(hc folio_stable)" -gt 0 ] &&
	grep -q '^# cycles: get_cycles(), less [0-9]* per call' $HC
ok $? "hookcost=1: frees, allocations, make-volatile and make-stable calls timed"
# After reset only what this shell's own commands did meanwhile: a few.
n0=$(hc buddy_free)
! echo bogus >$HC 2>/dev/null && [ "$(hc buddy_free)" -ge "$n0" ] &&
	echo reset >$HC && [ "$(hc buddy_free)" -lt $((n0 / 2)) ] &&
	w enabled 0 && w enabled 1 && run_selfcheck && [ "$(selfcheck_field disagreements)" = 0 ]
ok $? "hookcost: 'bogus' refused, 'reset' zeroes; enabled 0/1 with the timed hooks, zero disagreements"
# A fault and its munmap round-trip pages through a per-cpu list: the buddy
# hooks run only when that list is refilled or drained, a batch at a time,
# and the freed anonymous page is stable by the map the core reads inline.
pagefault 0.3 4 >/dev/null && echo reset >$HC && pagefault 0.5 4 >/tmp/pf
ops=$(sed -n 's/.*ops=\([0-9]*\).*/\1/p' /tmp/pf)
diag "pagefault: $ops ops; buddy_alloc $(hc buddy_alloc) calls, buddy_free $(hc buddy_free), page_free $(hc page_free)"
[ "${ops:-0}" -gt 0 ] && [ $(($(hc buddy_alloc) * 10)) -lt "$ops" ] &&
	[ $(($(hc buddy_free) * 10)) -lt "$ops" ] && [ $(($(hc page_free) * 10)) -lt "$ops" ]
ok $? "page faults: fewer than one buddy_alloc, buddy_free or page_free call per 10 faults"
unload_gph && load_gph && grep -q '^# off: load gph.ko with hookcost=1' $HC && unload_gph
ok $? "without hookcost=1 the table says how to turn it on"
