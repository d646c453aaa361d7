# edges: what the kernel around gph may do to its frames (issue 13):
# init_on_free writes to every freed frame, so emul_unmap is refused and
# discard chaos without it still loses nothing; memory failure holds a
# discarded folio for good, and disable must still end.
# gph-vm: mem=256M
# gph-vm: append=debug_pagealloc=on init_on_free=1
. ./tests/lib.sh
plan 10

# 1. init_on_free: freeing a discarded frame writes to it before the free
# hook could map it back, so unmapping discarded frames is refused.
refused_with "emul_unmap: refused with init_on_free=1" emul_unmap=1
ok $? "emul_unmap=1 refused under init_on_free=1, saying why"

# 2. Discard chaos under init_on_free: every read matches its manifest.
load_gph emul_discard_rate=max
ok $? "insmod gph.ko emul_discard_rate=max (init_on_free=1)"
! echo 1 >/sys/kernel/mm/gph/emul_unmap 2>/dev/null
ok $? "emul_unmap cannot be switched on in sysfs either"
B=/mnt/bigset
verify_set $B read 'b00[0-7]' >/dev/null	# cached, then volatile and discarded
sleep 3
step_verify $B read "init_on_free=1, second read of 8 MiB" 'b00[0-7]'

# 3. A hwpoisoned discarded frame: memory failure removes the folio and keeps
# its reference for good; disable must still end, with that frame left lost.
hwp=/sys/kernel/debug/hwpoison/corrupt-pfn
if [ ! -w "$hwp" ]; then
	for i in 1 2 3 4 5; do skip "disable with a hwpoisoned discarded frame" "no hwpoison injection on $(uname -m)"; done
	unload_gph
	ok $? "rmmod gph"
	exit 0
fi
tr=/sys/kernel/tracing
echo >$tr/trace
echo 1 >$tr/events/gph/gph_host/enable
cat $B/big/b010 >/dev/null
sleep 3	# the sweep makes it volatile, the emulated host discards it at once
echo 0 >$tr/events/gph/gph_host/enable
pfn=$(grep 'volatile -> discarded' $tr/trace | tail -1 | sed 's/.*pfn=\(0x[0-9a-f]*\).*/\1/')
diag "poisoning discarded pfn ${pfn:-none}"
[ -n "$pfn" ] && echo "$pfn" >$hwp
ok $? "hwpoison injected into a discarded frame"
rm -f /tmp/disabled
# Its output must not hold the TAP pipe open if it never ends.
( echo 0 >/sys/kernel/mm/gph/enabled && touch /tmp/disabled ) </dev/null >/dev/null 2>&1 &
i=0
while [ ! -f /tmp/disabled ] && [ $i -lt 120 ]; do sleep 0.5; i=$((i + 1)); done
[ -f /tmp/disabled ]
ok $? "disable ends within 60 s although the poisoned folio is never let go"
if [ ! -f /tmp/disabled ]; then
	diag "disable still running: not unloading (rmmod would wait on it)"
	for i in 1 2 3 4; do skip "left lost, enabled again, rmmod" "disable did not end"; done
	exit 0
fi
diag "left_lost: $(stat_of left_lost)"
[ "$(stat_of left_lost)" -ge 1 ]
ok $? "the poisoned frame is counted as left lost"
# Its frame is stable once the hooks are gone: enabling again must not take
# it (or its next owner) for discarded.
echo 0 >/sys/kernel/mm/gph/emul_discard_rate	# no new discards from here
echo 1 >/sys/kernel/mm/gph/enabled
ok $? "enabled again"
run_selfcheck
diag "self-check after enabling again: $(tr '\n' ' ' </tmp/selfcheck | cut -c1-200)"
[ "$(selfcheck_field disagreements)" = 0 ] && [ "$(stat_of nr_discarded)" = 0 ]
ok $? "self-check: zero disagreements, and no frame discarded after enabling again"
unload_gph
ok $? "rmmod gph"
