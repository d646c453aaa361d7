# bench-volatile: one measurement for bench/run. gphbench=nomod|mod says
# what this boot measures:
#   nomod  cached-read throughput with gph.ko not loaded
#   mod    the same with gph.ko loaded (volatile on, emulated host idle),
#          then coverage over time (ext4, then XFS) and the cost of a
#          discard
# gph-vm: xfs
. ./tests/lib.sh
plan 4
F=/mnt/bigset/big
cat $F/b000 >/dev/null		# the 1 MiB file the throughput test reads, cached
bench_module
s=${gphbench_seconds:-2}
cachedread $F/b000 4096 0.3 >/dev/null		# warm up
cachedread $F/b000 4096 "$s" >/tmp/r4 && cachedread $F/b000 65536 "$s" >/tmp/r64
ok $? "cachedread ran"
echo "# $(cat /tmp/r4)"
echo "# $(cat /tmp/r64)"
if [ "$gphbench" != mod ]; then
	ok 0 "no coverage to measure without the module # SKIP nomod"
	ok 0 "no discard cost to measure without the module # SKIP nomod"
	exit 0
fi

# Coverage, on ext4 and then on XFS (large folios, issue 15): drop the
# caches, read 22 MiB once, then watch what share of the idle, clean,
# unmapped page-cache pages (the module's own count of what could be
# volatile: /sys/kernel/debug/gph/coverage) is volatile, every 100 ms for 2 s.
coverage_watch() { # coverage_watch FS DIR
	sync; echo 3 >/proc/sys/vm/drop_caches
	(cd "$2" && cat b02[0-9] b03[0-9] b04[0-1] >/dev/null)
	t=0
	while [ $t -le 20 ]; do
		cat /sys/kernel/debug/gph/coverage >/tmp/cov
		c=$(awk '$1 == "candidates" { print $2 }' /tmp/cov)
		v=$(awk '$1 == "volatile" { print $2 }' /tmp/cov)
		echo "# coverage fs=$1 t=${t}00ms volatile=$v candidates=$c pct=$(( v * 100 / (c ? c : 1) ))"
		sleep 0.1
		t=$((t + 1))
	done
}
coverage_watch ext4 $F
mkdir -p /mnt/xfs
dev=$(findfs LABEL=gphxfs) && mount -t xfs "$dev" /mnt/xfs &&
	coverage_watch xfs /mnt/xfs/bigset/big && [ "$c" -gt 0 ]
ok $? "coverage measured on ext4 and XFS ($c XFS candidates)"
# The cost of a discard: one pass over a file the host discarded page by
# page (every read goes to disk), against one over a cached file.
echo max >/sys/kernel/mm/gph/emul_discard_rate
cat $F/b050 >/dev/null; sleep 1.5	# every page volatile, then discarded
echo 0 >/sys/kernel/mm/gph/emul_discard_rate
d0=$(stat_of discards)
cachedread --latency $F/b050 | sed 's/^/# discarded: /'
echo "# discards found by the latency pass: $(( $(stat_of discards) - d0 ))"
cat $F/b051 >/dev/null
cachedread --latency $F/b051 | sed 's/^/# cached: /'
echo "# discards $(stat_of discards) rereads $(stat_of rereads)"
[ "$(stat_of discards)" -gt 0 ]
ok $? "discards happened in the discard-cost pass"
