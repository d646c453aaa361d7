# chaos-pressure: discard chaos against compaction (migration of volatile
# folios), the guest's own reclaim in a memory cgroup, and mlocked file
# mappings, which must never be volatile or discarded. Issue 4 scenarios 6-8.
# gph-vm: mem=160M
# gph-vm: append=debug_pagealloc=on
. ./tests/lib.sh
plan 9

chaos_load
ok $? "insmod gph.ko emul_discard_rate=max emul_unmap=1"
B=/mnt/bigset
compact='b0[0-7]' memcg='b1[0-4]' max=24M stream='b1[5-9]*'
[ "$(uname -m)" = s390x ] && compact='b00[0-9]|b01[0-9]' memcg='b02[0-9]|b03[0-9]' max=8M stream='b18*'

# 6. Compaction over and over while the data set is read. (The test
# kernels have no vm event counters: count migrations by tracepoint.)
C=/sys/kernel/tracing/events/compaction/mm_compaction_migratepages
echo >/sys/kernel/tracing/trace
echo 1 >$C/enable
(while [ ! -e /tmp/stop ]; do echo 1 >/proc/sys/vm/compact_memory; sleep 0.2; done) &
step_verify $B read "buffered reads during repeated compaction" "$compact"
touch /tmp/stop; wait; rm -f /tmp/stop
echo 0 >$C/enable
migrated=$(sed -n 's/.*nr_migrated=\([0-9]*\).*/\1/p' /sys/kernel/tracing/trace | awk '{ n += $1 } END { print n + 0 }')
diag "compaction migrated $migrated pages"
[ "$migrated" -gt 0 ]
ok $? "compaction really migrated pages"

# 7. A memory cgroup far smaller than the data set: the guest's own reclaim
# races with the host's discards.
cg=/sys/fs/cgroup/chaos
echo +memory >/sys/fs/cgroup/cgroup.subtree_control
mkdir -p $cg && echo $max >$cg/memory.max
d0=$(stat_of discards)
bad=$(sh -c "echo \$\$ >$cg/cgroup.procs; . ./tests/lib.sh; verify_set $B mmap '$memcg'")
d1=$(stat_of discards)
steal=$(awk '$1 == "pgsteal" { print $2 }' $cg/memory.stat)
diag "memory.max $max: $bad mismatches, $((d1 - d0)) discards, pgsteal $steal"
[ "$bad" = 0 ] && [ "$d1" -gt "$d0" ]
ok $? "mmap reads inside memory.max=$max match, with discards"
[ "${steal:-0}" -gt 0 ]
ok $? "the cgroup's own reclaim ran (pgsteal > 0)"

# 8. mlocked mappings: once locked, never volatile, never discarded, while
# reads of other files make the host discard everything else.
T=/sys/kernel/tracing/events/gph/gph_discard
locked="big/b000 big/b001 big/b002 big/b003"
control=big/b100
rm -f /tmp/ready
for f in $locked; do
	GPHCAT_READY=/tmp/ready.${f##*/} GPHCAT_UNTIL=/tmp/unlock GPHCAT_PASSES=3 \
		gphcat mlock $B/$f >/tmp/mlock.${f##*/} &
done
for f in $locked; do
	while [ ! -e /tmp/ready.${f##*/} ]; do sleep 0.1; done
done
filter=""
for f in $locked; do filter="$filter${filter:+ || }ino == $(stat -c %i $B/$f)"; done
echo "$filter || ino == $(stat -c %i $B/$control)" >$T/filter
echo >/sys/kernel/tracing/trace
echo 1 >$T/enable
cat $B/big/$stream >/dev/null
for i in 1 2 3; do gphcat read $B/$control >/dev/null; done
echo 0 >$T/enable
touch /tmp/unlock	# only now may the mappings go (and their folios with them)
wait
hits_locked=0
for f in $locked; do
	n=$(grep -c "ino=$(stat -c %i $B/$f) " /sys/kernel/tracing/trace)
	hits_locked=$((hits_locked + n))
done
hits_control=$(grep -c "ino=$(stat -c %i $B/$control) " /sys/kernel/tracing/trace)
diag "discards traced: mlocked files $hits_locked, control file $hits_control"
[ "$hits_locked" = 0 ] && [ "$hits_control" -gt 0 ]
ok $? "no mlocked folio was discarded (the control file's were)"
bad=0
for f in $locked; do
	want=$(awk -v f="$f" '$2 == f { print $1 }' $B/MANIFEST)
	[ "$(sha256sum </tmp/mlock.${f##*/} | cut -d' ' -f1)" = "$want" ] || bad=$((bad + 1))
done
[ "$bad" = 0 ]
ok $? "mlocked mappings kept their content, pass after pass"

run_selfcheck
[ "$(selfcheck_field disagreements)" = 0 ]
ok $? "self-check: zero disagreements"
unload_gph
ok $? "rmmod gph"
