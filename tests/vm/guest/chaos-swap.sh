# chaos-swap: discard chaos against the swap cache. Clean, unmapped
# swap-cache folios go volatile and the emulated host discards (and unmaps)
# each one at once; every page read back must be the one written. Issue 5:
# anonymous memory of twice the guest's RAM in random order, fork with copy
# on write, MADV_PAGEOUT of anonymous and of shmem folios, a tmpfs file
# larger than RAM, and swapoff with the data still live.
# gph-vm: mem=128M
# gph-vm: swap=1536M
# gph-vm: append=debug_pagealloc=on transparent_hugepage=never
. ./tests/lib.sh
plan 20

# Non-rotational, as an SSD: swap then allocates clusters, and 6.12 swaps
# shmem's large folios out whole (step 4b).
[ -n "${swapdev:-}" ] && echo 0 >"/sys/block/${swapdev#/dev/}/queue/rotational" &&
	mkswap "$swapdev" >/dev/null && swapon "$swapdev"
ok $? "swap on ${swapdev:-(no swap disk)}, non-rotational"
chaos_load
ok $? "insmod gph.ko emul_discard_rate=max emul_unmap=1"
diag "$(grep -E 'MemTotal|SwapTotal' /proc/meminfo | tr -s ' ' | tr '\n' ' ')"

# swap_step DESC CMD... — one TAP point: CMD (a swapcheck run) finds every
# page intact AND swap-cache folios were discarded meanwhile (how many: in
# $step_discards).
swap_step() {
	_d=$1; shift
	_s0=$(stat_of discards_swap) _r0=$(stat_of rereads_swap)
	"$@" >/tmp/swapcheck.out 2>&1
	_rc=$?
	sed 's/^/# /' /tmp/swapcheck.out
	_s1=$(stat_of discards_swap) _r1=$(stat_of rereads_swap)
	step_discards=$((_s1 - _s0))
	diag "$_d: swapcheck exit $_rc, $step_discards swap-cache discards, $((_r1 - _r0)) re-read from swap; at $(cut -d' ' -f1 /proc/uptime) s"
	[ "$_rc" = 0 ] && [ "$step_discards" -gt 0 ]
	ok $? "$_d: every page matches, with swap-cache discards"
}

# 1. Twice the guest's RAM (MemTotal), two workers, touched in random order
# twice. make check on s390x (gphquick=1) touches RAM's size once, with one
# worker: enough to swap and discard, and x86_64 runs the whole step.
ram=$(awk '$1 == "MemTotal:" { print int($2 / 1024) }' /proc/meminfo)
passes=2 workers=2
[ "${gphquick:-0}" = 1 ] && passes=1 workers=1
swap_step "anonymous memory of ${workers}x RAM ($((workers * ram)) MiB), $passes random-order passes" \
	swapcheck anon $ram $passes $workers
# 2. Paged out, then forked: the child reads everything and rewrites half
# (copy on write), then the parent reads its own pattern.
swap_step "fork and copy on write while paged out" swapcheck fork 48
# 3. MADV_PAGEOUT without memory pressure: the folios stay in the swap cache.
# gph:gph_discard is traced meanwhile: it must name them as swap, by swap
# type (the one swap device is type 0) and slot.
TR=/sys/kernel/tracing
echo >$TR/trace
echo 1 >$TR/events/gph/gph_discard/enable
swap_step "MADV_PAGEOUT, then reads, 2 rounds" swapcheck pageout 48 2
echo 0 >$TR/events/gph/gph_discard/enable
traced=$(grep -c ' gph_discard: .* swap pfn=' $TR/trace)
named=$(grep -cE ' gph_discard: dev=0:0 ino=0 index=[0-9]+ order=0 swap pfn=' $TR/trace)
diag "gph_discard: $traced traced as swap, $named of them dev=0:0 ino=0 (trace buffer keeps the last)"
[ "$traced" -gt 0 ] && [ "$named" = "$traced" ]
ok $? "gph:gph_discard marks swap-cache discards as swap, named by swap type and slot"

# 4. Shmem is supported: its folios in the swap cache look like anonymous
# readahead ones and go volatile alike. MADV_PAGEOUT on a shared mapping of
# a 16 MiB tmpfs file, with no memory pressure (no one else is swapped out
# meanwhile), leaves its 4096 folios in the swap cache: most of them must be
# discarded, and every page read back intact.
T=/tmp/swapfs
mkdir -p $T && mount -t tmpfs -o size=1G swapfs $T
swap_step "tmpfs file mapped shared, MADV_PAGEOUT, then reads, 2 rounds" \
	swapcheck shmpageout $T/shm 16 2
rm $T/shm
[ "$step_discards" -ge 2048 ]
ok $? "shmem folios in the swap cache are discarded ($step_discards for 2 rounds of 4096, at least 2048)"
# 4b. The same on tmpfs with huge=always, the mapping allowed THP: shmem's
# large folios, which 6.12 swaps out whole, reach the swap cache large and
# are discarded whole (a swap-cache folio of order 9 counts once, 512 pages).
# A kernel whose machine has no transparent hugepages refuses huge= (s390
# needs EDAT-1, which QEMU's TCG does not emulate): both points are skipped
# then, and a refused mount anywhere else fails them.
H=/tmp/hugefs
huge_step="tmpfs huge=always file mapped shared, MADV_PAGEOUT, then reads, 2 rounds"
large_discards() { awk '$1 > 0 { n += $2 } END { print n + 0 }' /sys/kernel/mm/gph/stats/discards_by_order; }
mkdir -p $H
if mount -t tmpfs -o size=64M,huge=always hugefs $H; then
	echo 1 >/proc/sys/vm/compact_memory	# 2 MiB blocks after the steps above
	l0=$(large_discards)
	swap_step "$huge_step" swapcheck shmpageout-huge $H/shm 16 2
	large=$(($(large_discards) - l0))
	diag "by order: $(tr '\n' ';' </sys/kernel/mm/gph/stats/discards_by_order)"
	if zcat /proc/config.gz | grep -q '^CONFIG_THP_SWAP=y$'; then
		[ "$large" -gt 0 ]
		ok $? "large shmem folios were discarded from the swap cache whole: $large"
	else	# s390 does not select ARCH_WANTS_THP_SWAP: shmem splits them at swap-out
		skip "large shmem folios in the swap cache" "no CONFIG_THP_SWAP on $(uname -m)"
	fi
	rm $H/shm
	umount $H
elif [ ! -d /sys/kernel/mm/transparent_hugepage ]; then	# has_transparent_hugepage() is false
	skip "$huge_step" "no transparent hugepages on this $(uname -m) machine: tmpfs refuses huge="
	skip "large shmem folios in the swap cache" "no transparent hugepages on this $(uname -m) machine"
else
	ok 1 "$huge_step: mount tmpfs huge=always"
	ok 1 "large shmem folios in the swap cache: no huge tmpfs to page out"
fi
# 4c. Anonymous THPs (allowed for this step only), paged out whole, with the
# deferred-split shrinker run while they sit in the swap cache. 6.12 queues
# every anonymous THP for deferred split at its fault, and the shrinker's
# thp_underused() reads a queued folio's pages without a lookup when
# khugepaged/max_ptes_none is below 511: gph keeps such a folio stable until
# a scan has taken it off the queue, and only then discards it (whole).
THP=/sys/kernel/mm/transparent_hugepage
if zcat /proc/config.gz | grep -q '^CONFIG_THP_SWAP=y$'; then
	ptes0=$(cat $THP/khugepaged/max_ptes_none)
	echo madvise >$THP/enabled && echo 1 >$THP/shrink_underused &&
		echo 256 >$THP/khugepaged/max_ptes_none
	echo 1 >/proc/sys/vm/compact_memory
	l0=$(large_discards)
	swap_step "anonymous THPs, MADV_PAGEOUT, deferred-split shrinker, then reads, 2 rounds" \
		swapcheck pageout-thp 16 2
	large=$(($(large_discards) - l0))
	echo never >$THP/enabled && echo "$ptes0" >$THP/khugepaged/max_ptes_none
	diag "by order: $(tr '\n' ';' </sys/kernel/mm/gph/stats/discards_by_order)"
	[ "$large" -gt 0 ]
	ok $? "anonymous THPs were discarded from the swap cache whole, after the shrinker: $large"
else
	skip "anonymous THPs, MADV_PAGEOUT, deferred-split shrinker" "no CONFIG_THP_SWAP on $(uname -m)"
	skip "anonymous THPs discarded whole" "no CONFIG_THP_SWAP on $(uname -m)"
fi

# 5. A tmpfs file larger than RAM (1.25x MemTotal): written, then every
# page read back twice in a random order.
file_mib=$((ram + ram / 4)) keep_mib=32
swap_step "tmpfs file of $file_mib MiB, 2 random-order reads" \
	swapcheck file $T/pattern $file_mib

# 6. swapoff with part of it still swapped: it comes back through the swap
# cache (discarded folios are read again), and must still match.
truncate -s ${keep_mib}M $T/pattern
swapped=$(awk '$1 == "SwapTotal:" { t = $2 } $1 == "SwapFree:" { f = $2 } END { print int((t - f) / 1024) }' /proc/meminfo)
swapoff "$swapdev"
ok $? "swapoff with $keep_mib MiB of tmpfs left, $swapped MiB in swap"
swapcheck file-verify $T/pattern $keep_mib >/tmp/swapcheck.out 2>&1
rc=$?
sed 's/^/# /' /tmp/swapcheck.out
[ "$rc" = 0 ]
ok $? "tmpfs file matches after swapoff"
umount $T

# 7. zram (x86_64 test kernels have CONFIG_ZRAM): a SWP_SYNCHRONOUS_IO
# device. A fault on a slot with one user skips the swap cache and its
# read-ahead, and finds a discarded folio only through swap_cache_get_folio
# (SL1), which removes it there. Fork (slots with two users, so read-ahead
# fills the swap cache) and shmem (read-ahead always) put folios in the swap
# cache to be discarded; both must read back intact.
if [ -e /sys/block/zram0/disksize ]; then
	echo 256M >/sys/block/zram0/disksize && mkswap /dev/zram0 >/dev/null &&
		swapon /dev/zram0
	ok $? "swap on zram0 (256 MiB)"
	swap_step "zram: fork and copy on write while paged out" swapcheck fork 48
	mount -t tmpfs -o size=64M swapfs $T
	swap_step "zram: tmpfs file mapped shared, MADV_PAGEOUT, then reads, 2 rounds" \
		swapcheck shmpageout $T/shm 16 2
	umount $T
	swapoff /dev/zram0
else
	for d in "swap on zram0" "zram: fork" "zram: tmpfs"; do
		skip "$d" "no zram in this kernel (x86_64 test kernels only)"
	done
fi

diag "discards $(stat_of discards) (swap $(stat_of discards_swap)), re-reads $(stat_of rereads) (swap $(stat_of rereads_swap))"
run_selfcheck
[ "$(selfcheck_field disagreements)" = 0 ]
ok $? "self-check: zero disagreements"
unload_gph
ok $? "rmmod gph"
