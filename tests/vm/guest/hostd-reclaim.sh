# hostd-reclaim: gph-hostd on the host gives a 1 GiB guest's free memory
# back. Loaded with host=auto, the guest finds the ivshmem device; the RAM
# file then holds little more than the guest uses; after a process that
# touched 768 MiB exits, the file's allocated size drops by >= 99 % of it
# within 2 s (host time); memory churned meanwhile is verified.
# gph-vm: mem=1G
# gph-vm: hostd=--discard-volatile=never
. ./tests/lib.sh
plan 9

MIB=768
host_open
ok $? "host channel on ttyS1"
load_gph host=auto
ok $? "insmod gph.ko host=auto"
dmesg | grep -q "gph: table: host: hostd (ivshmem "
ok $? "host=auto found the ivshmem device: $(dmesg | grep -o 'host: hostd.*' | head -1)"

# Wait until the file stops shrinking: hostd trusts the table after a beat.
base=$(host_settle 60)
used=$(awk '/^MemTotal/ { t = $2 } /^MemFree/ { f = $2 } END { print (t - f) * 1024 }' /proc/meminfo)
diag "RAM file after load: $((base >> 20)) MiB allocated; the guest uses $((used >> 20)) MiB"
[ -n "$base" ] && [ "$base" -le $((used + used / 5 + (48 << 20))) ]
ok $? "free memory given back at load: the RAM file holds at most the guest's use + 20 % + 48 MiB"

rm -f /tmp/hold
MEMCHECK_HOLD=/tmp/hold memcheck $MIB 1 >/tmp/mc.out 2>&1 &
mc=$!
while [ ! -e /tmp/hold ] && kill -0 $mc 2>/dev/null; do sleep 0.1; done
peak=$(host_ask blocks)
t0=$(host_ask time)
rm -f /tmp/hold
wait $mc
ok $? "memcheck: $MIB MiB written and verified ($(cat /tmp/mc.out | tail -1))"
# >= 99 % of what was freed, measured against the footprint while held.
want=$((MIB * 1024 * 1024 * 99 / 100))
while :; do
	b=$(host_ask blocks) && t=$(host_ask time) || break
	[ $((peak - b)) -ge $want ] && break
	[ $((t - t0)) -gt 5000000000 ] && break
	sleep 0.05
done
ms=$(( (t - t0) / 1000000 ))
diag "held: $((peak >> 20)) MiB allocated; $ms ms after the free: $((b >> 20)) MiB (returned $(( (peak - b) >> 20 )) MiB of $MIB)"
[ $((peak - b)) -ge $want ] && [ $ms -le 2000 ]
ok $? "gph-hostd returned >= 99 % of $MIB MiB within 2 s (${ms} ms)"

memcheck 128 3 2 >/tmp/mc2.out 2>&1
ok $? "memory churned while gph-hostd drops is intact: $(tail -1 /tmp/mc2.out)"
drops=$(stat_of host_drops)
diag "host_drops $drops; $(sysfs host)"
[ "$drops" -gt $((MIB * 256 * 9 / 10)) ] && [ "$(sysfs host)" = hostd ]
ok $? "the guest counts what gph-hostd took (stats/host_drops $drops) and names it (host: hostd)"
unload_gph
ok $? "rmmod gph"
