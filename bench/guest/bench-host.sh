# bench-host: one configuration of make bench-host (bench/host-run). The
# host samples the RAM file's allocated size every 100 ms (hostchan's
# sample-on); the guest marks where each workload starts and frees, and
# bench/host-run reads footprint against time from the samples.
# gphbench=none|fpr|gph|both says what this boot runs with: gph.ko (host=auto,
# gph-hostd beside QEMU with --discard-volatile=always) for gph and both;
# the virtio-balloon device with free page reporting is the host's choice.
#   1 alloc    a process touches 768 MiB and exits
#   2 frag     512 MiB touched, every other 4 KiB page freed, the rest held
#   3 read     600 MiB of files read, then idle
#   4 phased   a build-like mix: 4 rounds of 192 MiB allocated and freed
#              and 150 MiB of files read
# gph-vm: mem=1G
# gph-vm: hostd=--discard-volatile=always
. ./tests/lib.sh
plan 7
H=/mnt/hostset/host
idle=${gphbench_idle:-6}
echo never >/sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null

host_open
ok $? "host channel on ttyS1"
case $gphbench in
gph | both) load_gph host=auto ;;
*) ! lsmod | grep -q '^gph ' ;;
esac
ok $? "$gphbench: gph.ko $(lsmod | grep -q '^gph ' && echo "loaded ($(sysfs host))" || echo "not loaded")"
mark() { host_ask "mark $1" >/dev/null; }
[ "$(host_ask sample-on)" = ok ]
ok $? "the host samples the RAM file every 100 ms"
sleep "$idle"

mark alloc-start
rm -f /tmp/hold /tmp/freeing
MEMCHECK_HOLD=/tmp/hold MEMCHECK_FREEING=/tmp/freeing memcheck 768 1 >/tmp/mc.out 2>&1 &
mc=$!
while [ ! -e /tmp/hold ] && kill -0 $mc 2>/dev/null; do sleep 0.05; done
sleep 1
rm -f /tmp/hold	# memcheck verifies again, then frees
while [ ! -e /tmp/freeing ] && kill -0 $mc 2>/dev/null; do sleep 0.02; done
mark alloc-free
wait $mc
ok $? "alloc: 768 MiB touched, verified and freed"
sleep "$idle"

# fragfree holds the kept half for idle + 3 s: frag-end comes before it lets go.
mark frag-start
fragfree 512 $((idle + 3)) >/tmp/frag.out 2>&1 &
fr=$!
while ! grep -q freed /tmp/frag.out && kill -0 $fr 2>/dev/null; do sleep 0.05; done
mark frag-free
sleep "$idle"
mark frag-end
wait $fr
ok $? "frag: $(tail -1 /tmp/frag.out)"
sleep 2

sync
echo 3 >/proc/sys/vm/drop_caches
sleep "$idle"	# what FPR returns comes after 2 s: let every configuration settle
mark read-start
cat $H/* >/dev/null
mark read-done
sleep "$idle"
mark read-end

# Every configuration starts the mix from disk: the files of case 3 are
# still cached without gph, and gph gave them back.
sync
echo 3 >/proc/sys/vm/drop_caches
sleep "$idle"
mark phased-start
rc=0
for r in 1 2 3 4; do
	memcheck 192 1 >/dev/null 2>&1 || rc=1
	lo=$(( (r - 1) * 37 ))
	for i in $(seq $lo $((lo + 36))); do cat $(printf '%s/h%03d' $H $i); done >/dev/null
	sleep 1
done
mark phased-end
[ $rc = 0 ]
ok $? "phased: 4 rounds of 192 MiB allocated and verified, 600 MiB of files read"
sleep 1
[ "$(host_ask sample-off)" -gt 0 ]
ok $? "samples taken"
echo "# $(grep -E 'MemTotal|MemFree|^Cached' /proc/meminfo | tr -s ' ' | tr '\n' ' ')"
