# smoke: gph.ko loads, shows /sys/kernel/mm/gph/, fires gph:gph_state, and a
# BPF program on that tracepoint counts into a pinned map bpftool can dump.
. ./tests/lib.sh
plan 10

load_gph
ok $? "insmod gph.ko"
test -d /sys/kernel/mm/gph && test -r /sys/kernel/mm/gph/stats/nr_unused
ok $? "/sys/kernel/mm/gph/ exists with stats/"
test -d /sys/kernel/tracing/events/gph/gph_state
ok $? "tracepoint gph:gph_state is registered"

gphtrace --pin
ok $? "gphtrace --pin attaches and pins /sys/fs/bpf/gph/transitions"

# A workload that frees and allocates pages: page cache of the data set,
# then anonymous memory through a tmpfs file.
cat /mnt/data/files/* >/dev/null
dd if=/dev/zero of=/tmp/churn bs=1M count=64 2>/dev/null && rm /tmp/churn
sync

bpftool -j map dump pinned /sys/fs/bpf/gph/transitions >/tmp/dump.json 2>/tmp/dump.err
ok $? "bpftool map dump pinned /sys/fs/bpf/gph/transitions"
diag "$(head -c 600 /tmp/dump.json)"
grep -q '"GPH_STABLE"' /tmp/dump.json && grep -q '"GPH_UNUSED"' /tmp/dump.json &&
	grep -q '"GPH_REASON_FREE"' /tmp/dump.json
ok $? "bpftool prints state and reason names from BTF"
# Pages counted for stable -> unused by buddy frees must be non-zero.
pages=$(tr -d ' \n' </tmp/dump.json |
	grep -o '"old":"GPH_STABLE","new":"GPH_UNUSED","reason":"GPH_REASON_FREE"},"value":{"events":[0-9]*,"pages":[0-9]*' |
	sed 's/.*"pages"://')
diag "stable->unused (free) pages counted by BPF: ${pages:-none}"
[ "${pages:-0}" -gt 0 ]
ok $? "BPF counted stable->unused frees"

gphstat -c 2 -i 0.5 >/tmp/gphstat.txt
ok $? "gphstat -c 2 -i 0.5"
while read -r l; do diag "gphstat: $l"; done </tmp/gphstat.txt
gphstat -c 1 --json >/tmp/gphstat.json
total=$(sed 's/.*"pages":{\([^}]*\)}.*/\1/' /tmp/gphstat.json | tr ',' '\n' | cut -d: -f2 |
	awk '{ s += $1 } END { print s }')
diag "gphstat --json: $(cat /tmp/gphstat.json)"
[ "$total" = "$(sysfs nr_frames)" ]
ok $? "gphstat --json page totals add up to nr_frames ($total)"

gphtrace --unpin && unload_gph
ok $? "gphtrace --unpin and rmmod gph"
