# bench-swap: one measurement for bench/run. gphbench=vanilla|nomod|mod says
# what this boot measures:
#   all  faults that find their page in the swap cache (swapfault: pages
#        paged out with MADV_PAGEOUT, then written back in)
#   mod  also what share of those swap-cache folios went volatile while
#        they sat idle, from the module's coverage count
# gph-vm: swap=256M
. ./tests/lib.sh
plan 3
echo never >/sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null
[ -n "${swapdev:-}" ] && mkswap "$swapdev" >/dev/null && swapon "$swapdev"
ok $? "swap on ${swapdev:-(no swap disk)}"
bench_module
swapfault 0.2 64 >/dev/null			# warm up
swapfault "${gphbench_seconds:-3}" 64 >/tmp/sf
ok $? "swapfault ran"
echo "# $(cat /tmp/sf)"
[ "$gphbench" = mod ] || exit 0

# Coverage: 64 MiB parked in the swap cache; the module's candidates and
# volatile folios before and after (the difference is the parked folios).
cov() { field_of /sys/kernel/debug/gph/coverage "$1"; }
c0=$(cov candidates) v0=$(cov volatile)
swapfault --park 64 >/tmp/park &
park=$!
while ! grep -q parked /tmp/park; do sleep 0.2; done
c1=$(cov candidates) v1=$(cov volatile)
kill $park
wait $park 2>/dev/null
echo "# swap coverage: parked 16384 pages; candidates +$((c1 - c0)), volatile +$((v1 - v0))"
