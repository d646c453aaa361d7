# bench-pagefault: one measurement for bench/run. gphbench=vanilla|nomod|mod
# on the kernel command line says what this boot measures: page faults on
# anonymous memory (page_fault1) and on a private mapping of a cached ext4
# file (page_fault2: a page-cache lookup and a copy per fault), and
# anonymous memory in transparent huge pages (a 2 MiB folio allocated and
# freed per fault; per-cpu lists keep a few, so most pass the buddy hooks,
# which move their 512 frames at once).
. ./tests/lib.sh
plan 4
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
echo always >/sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null
thp_faults() { awk '$1 == "thp_fault_alloc" { n = $2 } END { print n + 0 }' /proc/vmstat; }
t0=$(thp_faults)
pagefault 0.2 64 >/dev/null			# warm up
pagefault "$s" 64 >/tmp/pf && t1=$(thp_faults) && [ "$t1" -gt "$t0" ]
ok $? "pagefault (anonymous, THP) ran, in huge pages"
echo "# thp $(cat /tmp/pf) huge_faults=$((t1 - t0))"
echo never >/sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null
