# chaos-race: discard chaos against buffered reads mixed with O_DIRECT reads
# and writes, and against truncate/extend/rewrite racing readers. Issue 4
# scenarios 4-5.
# gph-vm: mem=160M
# gph-vm: append=debug_pagealloc=on
. ./tests/lib.sh
plan 8

chaos_load
ok $? "insmod gph.ko emul_discard_rate=max emul_unmap=1"
B=/mnt/bigset
set='b0[0-4]' secs=20
[ "$(uname -m)" = s390x ] && set='b00[0-9]|b01[0-5]' secs=15
# Buffered readers in the background, twice over (the second pass finds
# what the host discarded after the first), while O_DIRECT reads check the
# same files.
d0=$(stat_of discards)
(verify_set $B read "$set" >/tmp/bg1.bad; verify_set $B read "$set" >/tmp/bg2.bad) &
bad=$(verify_set $B direct "$set")
wait
d1=$(stat_of discards)
diag "O_DIRECT reads: $bad mismatches; $((d1 - d0)) discards meanwhile"
[ "$bad" = 0 ] && [ "$d1" -gt "$d0" ]
ok $? "O_DIRECT reads while buffered readers run: every file matches, with discards"
[ "$(cat /tmp/bg1.bad)" = 0 ] && [ "$(cat /tmp/bg2.bad)" = 0 ]
ok $? "the buffered readers beside them matched too"
mkdir -p /mnt/scratch
d0=$(stat_of discards)
pagerace direct /mnt/scratch/direct $secs
ok $? "pagerace direct: O_DIRECT writes against buffered and O_DIRECT readers"
pagerace truncate /mnt/scratch/trunc $secs
ok $? "pagerace truncate: truncate, extend, rewrite, fadvise against readers"
d1=$(stat_of discards)
diag "discards during the races: $((d1 - d0))"
[ "$d1" -gt "$d0" ]
ok $? "folios were discarded during the races"
run_selfcheck
[ "$(selfcheck_field disagreements)" = 0 ]
ok $? "self-check: zero disagreements"
unload_gph
ok $? "rmmod gph"
