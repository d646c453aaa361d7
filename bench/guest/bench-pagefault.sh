# bench-pagefault: one measurement for bench/run. gphbench=vanilla|nomod|mod
# on the kernel command line says what this boot measures: page faults on
# anonymous memory (page_fault1) and on a private mapping of a cached ext4
# file (page_fault2: a page-cache lookup and a copy per fault).
. ./tests/lib.sh
plan 3
echo never >/sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null
bench_module
s=${gphbench_seconds:-3}
pagefault 0.5 >/dev/null			# warm up
pagefault "$s" >/tmp/pf
ok $? "pagefault (anonymous) ran"
echo "# anon $(cat /tmp/pf)"
F=/mnt/pagefault-file				# 16 MiB, written back and cached
pagefault_file $F && pagefault --file $F "$s" >/tmp/pf
ok $? "pagefault --file ran"
echo "# file $(cat /tmp/pf)"
