# hostd-hostile: a hostile guest (issue 14 f). With gph.ko unloaded, a root
# process in the guest writes garbage into the table through the ivshmem
# device's BAR (tabgarbage): random header pages, valid headers with one or
# two hostile fields, valid headers over random state bytes. gph-hostd must
# refuse the headers and log it, act on none of it, touch no file but the
# VM's own (a sentinel file beside them stays as it was), and carry on: a
# gph.ko loaded again afterwards gets its free memory taken as before.
# gph-vm: mem=512M
# gph-vm: hostd=
. ./tests/lib.sh
plan 11

host_open
ok $? "host channel on ttyS1"
load_gph host=auto
ok $? "insmod gph.ko host=auto"
host_settle 20 >/dev/null
unload_gph
ok $? "rmmod gph (every frame stable again)"
# Touch most of the guest's memory, so that the RAM file holds it: a punch
# of anything would show as a drop of its allocated size.
memcheck 256 1 >/tmp/mc.out 2>&1
ok $? "memcheck before: $(tail -1 /tmp/mc.out)"
set -- $(host_ask files)
size0=$1 blocks0=$2 tab0=$3
r0=$(host_ask "log-count table header refused")
diag "before the garbage: RAM file $((size0 >> 20)) MiB, $((blocks0 >> 20)) MiB allocated; table file $((tab0 >> 10)) KiB allocated"

gb=0
for mode in random fields bytes; do
	tabgarbage $mode 4 >/tmp/tg.out 2>&1 || gb=1
	diag "$(cat /tmp/tg.out)"
done
[ $gb = 0 ]
ok $? "12 s of garbage tables written through the ivshmem BAR"
r1=$(host_ask "log-count table header refused")
diag "gph-hostd log: $r0 -> $r1 'table header refused' lines"
[ "$r1" -gt "$r0" ]
ok $? "gph-hostd refused the garbage headers and said so"
set -- $(host_ask files)
diag "after the garbage: RAM file $(($1 >> 20)) MiB, $(($2 >> 20)) MiB allocated; table file $(($3 >> 10)) KiB allocated; sentinel $4"
[ "$1" = "$size0" ] && [ "$2" -ge "$blocks0" ] && [ "$3" -ge "$tab0" ] && [ "$4" = intact ]
ok $? "nothing punched: the RAM file and the table file kept every block, the sentinel is intact"
memcheck 256 1 >/tmp/mc.out 2>&1
ok $? "memcheck after: $(tail -1 /tmp/mc.out)"

# gph-hostd carries on: a fresh attach is trusted, free memory taken.
load_gph host=auto
ok $? "insmod gph.ko host=auto again"
# gph-hostd trusts the new table once its beat moves (about 1 s): wait 15 s
# at most for the drop.
for i in $(seq 75); do
	b=$(host_ask blocks) || break
	[ "$b" -lt $((blocks0 - (128 << 20))) ] && break
	sleep 0.2
done
diag "RAM file after the new attach: $((b >> 20)) MiB allocated (was $((blocks0 >> 20)) MiB)"
[ "$b" -lt $((blocks0 - (128 << 20))) ]
ok $? "gph-hostd took free memory again after the garbage ($(( (blocks0 - b) >> 20 )) MiB)"
unload_gph
ok $? "rmmod gph"
