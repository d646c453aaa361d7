# cycles: load/unload gph many times while a workload churns memory: no
# failure, zero self-check disagreements after each load, memory all back.
# gph-vm: mem=256M
# (Each cycle walks every frame several times: a small guest keeps 100
# cycles within minutes under TCG. make check runs 30, make check-full 100.)
. ./tests/lib.sh
n=$(sed -n 's/.*gph_cycles=\([0-9]*\).*/\1/p' /proc/cmdline)
n=${n:-100}
plan 5

memfree() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	# Empty slabs that SLUB keeps for reuse are not leaks: release them.
	for c in /sys/kernel/slab/*/shrink; do echo 1 >"$c" 2>/dev/null; done
	# MemFree leaves out pages on the per-cpu free lists, whose size the
	# allocator tunes with the workload: add them (zoneinfo "count:").
	pcp=$(awk '$1 == "count:" { s += $2 } END { print s + 0 }' /proc/zoneinfo)
	echo $(( $(awk '/^MemFree:/ { print $2 }' /proc/meminfo) + pcp * 4 ))
}
meminfo() { diag "$1: $(grep -E '^(MemFree|Slab|VmallocUsed|Percpu|KernelStack|PageTables):' /proc/meminfo | tr -s ' ' | tr '\n' ' ')"; }
# Warm-up cycle: first-load allocations (module text, sysfs) are not leaks.
load_gph && unload_gph
before=$(memfree)
meminfo "before"

rm -f /tmp/stop /tmp/churn-failed
( while [ ! -f /tmp/stop ]; do memcheck 48 1 2 >/dev/null || touch /tmp/churn-failed; done ) &
churn=$!

load_fail=0 bad=0
i=0
while [ $i -lt "$n" ]; do
	i=$((i + 1))
	if ! load_gph; then load_fail=$((load_fail + 1)); continue; fi
	run_selfcheck
	d=$(selfcheck_field disagreements)
	if [ "$d" != 0 ]; then
		bad=$((bad + 1))
		diag "cycle $i: $d disagreements"
		head -12 /tmp/selfcheck | while read -r l; do diag "  $l"; done
	fi
	unload_gph || load_fail=$((load_fail + 1))
	case $i in 1|10|50|100) meminfo "after cycle $i" ;; esac
done
touch /tmp/stop
wait $churn

[ "$load_fail" = 0 ]
ok $? "$n load/unload cycles under memory churn"
[ "$bad" = 0 ]
ok $? "zero self-check disagreements after each of $n loads"
[ ! -f /tmp/churn-failed ]
ok $? "the churn workload verified every page it wrote"

after=$(memfree)
meminfo "after"
diag "free memory (MemFree + per-cpu lists) before: $before kB, after $n cycles: $after kB"
# A leak of five pages per cycle would show as 2 MiB over 100 cycles.
[ $((before - after)) -lt 2048 ]
ok $? "free memory back to its level (lost $((before - after)) kB, limit 2048)"
! lsmod | grep -q '^gph '
ok $? "gph is unloaded at the end"
