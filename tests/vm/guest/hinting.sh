# hinting: after load every free page is UNUSED, and the self-check finds
# no frame whose recorded state disagrees with the buddy allocator.
. ./tests/lib.sh
plan 7

load_gph backend=table
ok $? "insmod gph.ko backend=table"
sleep 1
run_selfcheck
ok $? "read /sys/kernel/debug/gph/selfcheck"
while read -r l; do diag "selfcheck: $l"; done </tmp/selfcheck
[ "$(selfcheck_field disagreements)" = 0 ]
ok $? "self-check: zero disagreements with the buddy allocator"

free=$(selfcheck_field free)
unused=$(stat_of nr_unused)
memfree_pages=$(( $(awk '/^MemFree:/ { print $2 }' /proc/meminfo) / 4 ))   # 4 KiB pages on both arches
diag "free pages (buddy lists): $free, UNUSED: $unused, MemFree pages: $memfree_pages"
[ "$free" -gt 0 ] && [ $((unused * 100)) -ge $((free * 99)) ]
ok $? ">= 99% of free pages are UNUSED"

# Pages on per-cpu lists stay stable (the hooks run at the buddy lists);
# after a burst of frees gph drains lists once the idle ones hold more than
# 1 % of a zone (it looks twice a second). So free
# memory, buddy and per-cpu, is UNUSED within 1 s of the burst's end.
pagefault 1 64 >/dev/null
sleep 1
run_selfcheck
free=$(selfcheck_field free) pcp=$(selfcheck_field pcp) unused=$(stat_of nr_unused)
diag "after a 64 MiB fault burst: buddy free $free, per-cpu $pcp, UNUSED $unused"
[ "$(selfcheck_field disagreements)" = 0 ] &&
	[ $((unused * 100)) -ge $(((free + pcp) * 99)) ]
ok $? "1 s after a burst of frees >= 99% of free memory (buddy + per-cpu lists) is UNUSED"

# stats/states reads every state in one pass; separate files race with
# the running system.
sum=$(awk '{ s += $2 } END { print s }' /sys/kernel/mm/gph/stats/states)
diag "stats/states: $(tr '\n' ' ' </sys/kernel/mm/gph/stats/states)"
[ "$sum" = "$(sysfs nr_frames)" ]
ok $? "stats/states add up to nr_frames ($sum of $(sysfs nr_frames))"

unload_gph
ok $? "rmmod gph"
