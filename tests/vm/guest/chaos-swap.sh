# chaos-swap: discard chaos against the swap cache. Clean, unmapped
# swap-cache folios go volatile and the emulated host discards (and unmaps)
# each one at once; every page read back must be the one written. Issue 5:
# anonymous memory of twice the guest's RAM in random order, fork with copy
# on write, MADV_PAGEOUT, a tmpfs larger than RAM, and swapoff with the data
# still live.
# gph-vm: mem=160M
# gph-vm: swap=1536M
# gph-vm: append=debug_pagealloc=on transparent_hugepage=never
. ./tests/lib.sh
plan 10

[ -n "${swapdev:-}" ] && mkswap "$swapdev" >/dev/null && swapon "$swapdev"
ok $? "swap on ${swapdev:-(no swap disk)}"
chaos_load
ok $? "insmod gph.ko emul_discard_rate=max emul_unmap=1"
diag "$(grep -E 'MemTotal|SwapTotal' /proc/meminfo | tr -s ' ' | tr '\n' ' ')"

# swap_step DESC CMD... — one TAP point: CMD (a swapcheck run) finds every
# page intact AND swap-cache folios were discarded meanwhile.
swap_step() {
	_d=$1; shift
	_s0=$(stat_of discards_swap) _r0=$(stat_of rereads_swap)
	"$@" >/tmp/swapcheck.out 2>&1
	_rc=$?
	sed 's/^/# /' /tmp/swapcheck.out
	_s1=$(stat_of discards_swap) _r1=$(stat_of rereads_swap)
	diag "$_d: swapcheck exit $_rc, $((_s1 - _s0)) swap-cache discards, $((_r1 - _r0)) re-read from swap; at $(cut -d' ' -f1 /proc/uptime) s"
	[ "$_rc" = 0 ] && [ "$_s1" -gt "$_s0" ]
	ok $? "$_d: every page matches, with swap-cache discards"
}

# 1. Twice the guest's RAM (MemTotal), two workers, touched in random order.
ram=$(awk '$1 == "MemTotal:" { print int($2 / 1024) }' /proc/meminfo)
swap_step "anonymous memory of 2x RAM ($((2 * ram)) MiB), 2 random-order passes" \
	swapcheck anon $ram 2 2
# 2. Paged out, then forked: the child reads everything and rewrites half
# (copy on write), then the parent reads its own pattern.
swap_step "fork and copy on write while paged out" swapcheck fork 48
# 3. MADV_PAGEOUT without memory pressure: the folios stay in the swap cache.
swap_step "MADV_PAGEOUT, then reads, 2 rounds" swapcheck pageout 48 2

# 4. A tmpfs larger than RAM: two copies of the data set's first 100 MiB,
# read back.
B=/mnt/bigset T=/tmp/swapfs
mkdir -p $T && mount -t tmpfs -o size=1G swapfs $T
# sums FILTER — mismatches of the copies in $T against the manifest.
sums() {
	_bad=0
	for _c in $T/*; do
		grep -E "$1" $B/MANIFEST >/tmp/sums.manifest
		_ok=$(cd $_c && sha256sum -c /tmp/sums.manifest 2>/dev/null | grep -c ': OK$')
		_bad=$((_bad + $(wc -l </tmp/sums.manifest) - _ok))
	done
	echo $_bad
}
set_re='big/b0' keep_re='big/b0[0-2]'
s0=$(stat_of discards_swap)
bad=0
for c in 1 2; do
	mkdir -p $T/$c/big
	for f in $(grep -E "$set_re" $B/MANIFEST | cut -d' ' -f3); do
		cp $B/$f $T/$c/$f || bad=$((bad + 1))
	done
done
bad=$((bad + $(sums "$set_re")))
s1=$(stat_of discards_swap)
diag "tmpfs $(du -sm $T | cut -f1) MiB: $bad mismatches, $((s1 - s0)) swap-cache discards; at $(cut -d' ' -f1 /proc/uptime) s"
[ "$bad" = 0 ] && [ "$s1" -gt "$s0" ]
ok $? "tmpfs larger than RAM reads back intact, with swap-cache discards"

# 5. swapoff with part of it still swapped: it comes back through the swap
# cache (discarded folios are read again), and must still match.
rm -rf $T/2
for f in $(grep -E "$set_re" $B/MANIFEST | grep -vE "$keep_re" | cut -d' ' -f3); do
	rm $T/1/$f
done
swapped=$(awk '$1 == "SwapTotal:" { t = $2 } $1 == "SwapFree:" { f = $2 } END { print int((t - f) / 1024) }' /proc/meminfo)
swapoff "$swapdev"
ok $? "swapoff with $(du -sm $T | cut -f1) MiB of tmpfs left, $swapped MiB in swap"
bad=$(sums "$keep_re")
diag "after swapoff: $bad mismatches"
[ "$bad" = 0 ]
ok $? "tmpfs content matches after swapoff"
umount $T

diag "discards $(stat_of discards) (swap $(stat_of discards_swap)), re-reads $(stat_of rereads) (swap $(stat_of rereads_swap))"
run_selfcheck
[ "$(selfcheck_field disagreements)" = 0 ]
ok $? "self-check: zero disagreements"
unload_gph
ok $? "rmmod gph"
