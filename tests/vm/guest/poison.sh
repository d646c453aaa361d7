# poison: the emulated host drops UNUSED pages by poisoning them; a workload
# that churns memory and checks every page it wrote reads no poison, and the
# data set read through the page cache matches its manifest.
. ./tests/lib.sh
plan 6

load_gph emul_rate=5000000
ok $? "insmod gph.ko emul_rate=5000000"
# Let the emulated host drop what was free at load (more on a busy host).
i=0
while [ "$(stat_of host_drops)" -le 1000 ] && [ $i -lt 120 ]; do
	sleep 0.5
	i=$((i + 1))
done
d0=$(stat_of host_drops)
memcheck 96 3 2
ok $? "memcheck: 2 workers x 96 MiB x 3 passes, every page verified"
echo 3 >/proc/sys/vm/drop_caches
(cd /mnt/data && sha256sum -c -s MANIFEST)
ok $? "data set read through the page cache matches its manifest"
d1=$(stat_of host_drops)
diag "emul host dropped $d0 frames before the workload, $d1 after"
[ "$d1" -gt "$d0" ] && [ "$d0" -gt 1000 ]
ok $? "the emulated host really dropped (poisoned) free pages"
run_selfcheck
[ "$(selfcheck_field disagreements)" = 0 ]
ok $? "self-check: zero disagreements"
unload_gph
ok $? "rmmod gph"
