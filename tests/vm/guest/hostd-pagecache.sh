# hostd-pagecache: gph-hostd discards the guest's clean page cache, and
# nothing read afterwards is wrong (issue 14 b, c, d).
#  b) Read 600 MiB of files (checksums made on the host), go idle: the RAM
#     file shrinks by >= 90 % of the page cache those reads added.
#  d) From then on the runner's host channel kills gph-hostd with SIGKILL
#     again and again (half of the kills while a window is open) and the
#     runner starts it again, as systemd would.
#  b) Every file read again matches, with discards and re-reads counted.
#  c) The chaos-read workloads (random preads, mmap, sendfile, splice,
#     io_uring) on a data set that gph-hostd has discarded: every file
#     matches.
# A hang fails on the runner's timeout, a kernel report in the runner.
# gph-vm: mem=1G
# gph-vm: hostd=--discard-volatile=always
. ./tests/lib.sh
plan 15

H=/mnt/hostset B=/mnt/bigset
host_open
ok $? "host channel on ttyS1"
load_gph host=auto
ok $? "insmod gph.ko host=auto"
dmesg | grep -q "gph: table: host: hostd (ivshmem "
ok $? "host=auto found the ivshmem device"

kib() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
base=$(host_settle 20)
cached0=$(kib Cached)
diag "RAM file before the reads: $((base >> 20)) MiB allocated, page cache $((cached0 >> 10)) MiB"

# b) 600 MiB read once, then idle.
bad=$(verify_set $H read)
cached1=$(kib Cached)
pc=$(( (cached1 - cached0) * 1024 ))
diag "read $H: $bad mismatches; the page cache grew by $((pc >> 20)) MiB"
[ "$bad" = 0 ] && [ $pc -ge $((500 << 20)) ]
ok $? "600 MiB read, every file matches, >= 500 MiB of it in the page cache"
t0=$(host_ask time)
# What the RAM file would hold with the page cache kept: base + pc. Wait
# (30 s at most) until gph-hostd has given back >= 90 % of pc.
limit=$((base + pc / 10))
while :; do
	b=$(host_ask blocks) && t=$(host_ask time) || break
	[ "$b" -le $limit ] && break
	[ $((t - t0)) -gt 30000000000 ] && break
	sleep 0.2
done
ms=$(( (t - t0) / 1000000 ))
diag "RAM file $((b >> 20)) MiB, $ms ms after the reads: $(( (base + pc - b) >> 20 )) MiB of $((base >> 20)) + $((pc >> 20)) given back; discarded by gph-hostd: $(stat_of host_drops) frames in all"
[ "$b" -le $limit ]
ok $? "idle: the RAM file shrank by >= 90 % of the page cache ($(( (base + pc - b) * 100 / pc )) %)"

# d) From here on, gph-hostd is killed and started again all the time.
[ "$(host_ask kill-on)" = ok ]
ok $? "host: kill -9 gph-hostd again and again"

d0=$(stat_of discards) r0=$(stat_of rereads)
bad=$(verify_set $H read)
d1=$(stat_of discards) r1=$(stat_of rereads)
diag "re-read $H: $bad mismatches, $((d1 - d0)) discards found, $((r1 - r0)) re-reads"
[ "$bad" = 0 ] && [ $((d1 - d0)) -gt 0 ] && [ $((r1 - r0)) -gt 0 ]
ok $? "b) every file read again matches its host checksum, with discards and re-reads counted"

# c) The chaos-read workloads on the 192 MiB set, read once and let idle
# (so that gph-hostd discards it) before each.
bad=$(verify_set $B read)
diag "$B read once: $bad mismatches"
idle() { sleep 3; }
idle; step_verify $B random "c) random 4 KiB preads" 'b0[0-4]'
idle; step_verify $B mmap "c) mmap reads" 'b0[5-9]'
idle; step_verify $B sendfile "c) sendfile to a pipe" 'b1[0-4]'
idle; step_verify $B splice "c) splice to a pipe" 'b1[5-8]'
idle; step_verify $B uring "c) io_uring buffered reads" 'b0[0-9]'

r=$(host_ask kill-off)
set -- $r
diag "host: kill-off $r (kills, of them with a window open, windows a restarted gph-hostd finished)"
[ "${1:-0}" -ge 4 ] && [ "${2:-0}" -ge 1 ] && [ "${3:-0}" -ge 1 ]
ok $? "d) gph-hostd killed ${1:-0} times, ${2:-0} of them with a window open; restarted ones finished ${3:-0} windows"

sleep 0.2
run_selfcheck
[ "$(selfcheck_field disagreements)" = 0 ]
ok $? "self-check: zero disagreements"
unload_gph
ok $? "rmmod gph"
