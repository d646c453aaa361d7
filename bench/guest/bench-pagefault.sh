# bench-pagefault: one measurement for bench/run. gphbench=vanilla|nomod|mod
# on the kernel command line says what this boot measures.
. ./tests/lib.sh
plan 2
echo never >/sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null
bench_module
pagefault 0.5 >/dev/null			# warm up
pagefault "${gphbench_seconds:-3}" >/tmp/pf
ok $? "pagefault ran"
echo "# $(cat /tmp/pf)"
