# demo: what `make demo` shows — load gph, run a small workload, and print
# what the module's sysfs, the self-check and bpftool see.
. ./tests/lib.sh
plan 4
show() { sed 's/^/# /' "$@"; }

load_gph emul_rate=200000
ok $? "insmod gph.ko backend=table emul_rate=200000"
gphtrace --pin >/dev/null
ok $? "gphtrace --pin"
echo "# workload: read the 64 MiB data set, churn 2 x 64 MiB of anonymous memory"
cat /mnt/data/files/* >/dev/null
memcheck 64 2 2 | show
echo "# --- /sys/kernel/mm/gph/"
for f in backend avail_backends enabled nr_frames emul_rate; do echo "# $f: $(sysfs $f)"; done
echo "# --- /sys/kernel/mm/gph/stats/"
for f in nr_stable nr_unused nr_volatile nr_discarded backend_ops host_drops; do echo "# $f: $(stat_of $f)"; done
echo "# transitions (old new pages):"; show /sys/kernel/mm/gph/stats/transitions
echo "# --- gphstat -i 1 -c 3 (while 2 x 48 MiB churn)"
memcheck 48 6 2 >/dev/null &
gphstat -i 1 -c 3 | show
wait
echo "# --- /sys/kernel/debug/gph/selfcheck"
show /sys/kernel/debug/gph/selfcheck
echo "# --- bpftool map dump pinned /sys/fs/bpf/gph/transitions"
bpftool map dump pinned /sys/fs/bpf/gph/transitions | show
echo "# --- cat /sys/kernel/tracing/trace_pipe (5 events)"
echo 1 >/sys/kernel/tracing/events/gph/gph_state/enable
dd if=/dev/zero of=/tmp/x bs=1M count=64 2>/dev/null; rm /tmp/x
timeout 5 cat /sys/kernel/tracing/trace_pipe | head -5 | show
echo 0 >/sys/kernel/tracing/events/gph/gph_state/enable
gphtrace --unpin
ok $? "gphtrace --unpin"
unload_gph
ok $? "rmmod gph"
