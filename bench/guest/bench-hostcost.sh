# bench-hostcost: the guest's cost of gph-hostd, for make bench-host. gph.ko
# loaded with host=auto; gph-hostd beside QEMU drops at full speed, or is
# not started (GPH_VM_HOSTD=off: the table fills, nobody takes frames). The
# page-fault/munmap loop of make bench runs for gphbench_seconds (default 3).
# gph-vm: mem=1G
# gph-vm: hostd=--discard-volatile=always
. ./tests/lib.sh
plan 2
echo never >/sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null
load_gph host=auto
ok $? "insmod gph.ko host=auto ($gphbench)"
pagefault 0.5 >/dev/null			# warm up
pagefault "${gphbench_seconds:-3}" >/tmp/pf
ok $? "pagefault ran"
echo "# $(cat /tmp/pf)"
echo "# host_drops $(stat_of host_drops)"
