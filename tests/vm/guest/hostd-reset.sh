# hostd-reset: the guest reboots again and again, half the time by sysrq b,
# half by QMP system_reset, while gph-hostd drops and discards at full
# speed. The table and the RAM file outlive every reset, and the table still
# names the last boot's free frames UNUSED: gph-hostd must not punch them
# once the new boot uses them. Each boot, before gph loads, fills memory,
# waits 3 s and verifies it; then loads gph and churns memory while
# gph-hostd drops. The data disk (snapshot=on: kept across resets, dropped
# when QEMU ends) carries the count and each boot's results.
# gph-vm: mem=512M
# gph-vm: hostd=--discard-volatile=always
# gph-vm: append=gph_boots=20
. ./tests/lib.sh

boots=$(sed -n 's/.*gph_boots=\([0-9]*\).*/\1/p' /proc/cmdline)
dir=/mnt/hostd-reset
mkdir -p $dir
n=$(( $(cat $dir/boots 2>/dev/null || echo 0) + 1 ))
echo $n >$dir/boots
sync
host_open || { echo "Bail out! no host channel on ttyS1"; exit 1; }
# Each boot appends "STATUS DESCRIPTION" lines; the last one reports them.
record() { echo "$1 boot $n: $2" >>$dir/results; sync; }

if [ $n -le "$boots" ]; then
	[ $n = 1 ] && { host_ask reboots-on >/dev/null || echo "# reboots-on failed"; }
	rm -f /tmp/hold
	MEMCHECK_HOLD=/tmp/hold memcheck 256 1 >/tmp/mc.out 2>&1 &
	mc=$!
	while [ ! -e /tmp/hold ] && kill -0 $mc 2>/dev/null; do sleep 0.1; done
	sleep 3
	rm -f /tmp/hold
	wait $mc
	record $? "256 MiB written before gph loaded, intact 3 s later ($(tail -1 /tmp/mc.out))"
	load_gph host=auto && sleep 1.5 &&
		memcheck 96 2 2 >/tmp/mc2.out 2>&1 &&
		[ "$(stat_of host_drops)" -gt 0 ]
	record $? "gph loaded, gph-hostd dropped $(stat_of host_drops) frames, churn intact ($(tail -1 /tmp/mc2.out))"
	sync
	if [ $((n % 2)) = 1 ]; then
		echo b >/proc/sysrq-trigger
	else
		host_ask reset >/dev/null
	fi
	sleep 30
	echo "Bail out! boot $n: the reset did not happen"
	exit 1
fi

host_ask reboots-off >/dev/null
plan $((2 * boots + 1))
i=0
while read -r status desc; do
	i=$((i + 1))
	[ "$status" = 0 ]
	ok $? "$desc"
done <$dir/results
[ $i = $((2 * boots)) ]
ok $? "$boots boots, by sysrq b and QMP system_reset, each reported ($i results)"
