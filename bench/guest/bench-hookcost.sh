# bench-hookcost: what each of gph's hooks costs per call, in the workloads
# of make bench, for bench/run's per-hook table. Boot with gphbench=mod
# gphbench_modargs=hookcost=1: gph.ko then registers timed copies of its
# hooks (module/hookcost.c). The table is read after each workload alone:
#   pagefault   anonymous faults and munmap: buddy_alloc and buddy_free
#   pagefault-file  faults on a private mapping of a cached file: folio_stable
#   cachedread  4 KiB preads of a cached file: folio_stable, folio_idle
#   swapfault   faults on pages in the swap cache
#   pagefault-thp  anonymous faults in transparent huge pages: buddy_alloc
#               and buddy_free of 512 frames a call
# Ops per workload are printed beside its table, so that bench/run can say
# what the hooks cost per op. Not for ratios: the timer costs cycles too.
# gph-vm: swap=256M
. ./tests/lib.sh
plan 8
echo never >/sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null
[ -n "${swapdev:-}" ] && mkswap "$swapdev" >/dev/null && swapon "$swapdev"
ok $? "swap on ${swapdev:-(no swap disk)}"
F=/mnt/bigset/big
cat $F/b000 >/dev/null
bench_module
HC=/sys/kernel/debug/gph/hookcost
grep -q '^# cycles' $HC
ok $? "hook cost profiler on (hookcost=1)"
s=${gphbench_seconds:-1}
# hookcost WORKLOAD COMMAND...: time the hooks over one workload alone
hookcost() {
	name=$1; shift
	echo reset >$HC && "$@" >/tmp/out && cp $HC /tmp/hc
	ok $? "$name ran with the hooks timed"
	echo "# hookcost $name: $(cat /tmp/out)"
	sed "s/^/# hookcost $name: /" /tmp/hc
}
pagefault 0.5 >/dev/null			# warm up
hookcost pagefault pagefault "$s"
P=/mnt/pagefault-file
pagefault_file $P
hookcost pagefault-file pagefault --file $P "$s"
hookcost cachedread cachedread $F/b000 4096 "$s"
hookcost swapfault swapfault "$s" 64
echo always >/sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null
hookcost pagefault-thp pagefault "$s" 64
echo never >/sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null
