# Guest-side TAP helpers (kselftest style), sourced by every scenario.
# Usage: plan N; ok COND_EXIT_STATUS "description"; skip "desc" "reason".
GPH=/mnt/gph
_n=0
_failed=0

plan() { echo "TAP version 13"; echo "1..$1"; }
# ok STATUS DESC — STATUS 0 is a pass.
ok() {
	_n=$((_n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $_n - $2"; else echo "not ok $_n - $2"; _failed=1; fi
}
skip() { _n=$((_n + 1)); echo "ok $_n - $1 # SKIP $2"; }
diag() { echo "# $*"; }
# check DESC CMD... — run CMD, pass if it exits 0.
check() { d=$1; shift; "$@"; ok $? "$d"; }
sysfs() { cat "/sys/kernel/mm/gph/$1"; }
stat_of() { cat "/sys/kernel/mm/gph/stats/$1"; }
# The table backend refuses to start without a host (host=auto finds no
# ivshmem device here): scenarios play the host in the guest, host=emul,
# unless they name one.
host_arg() {
	for _a in "$@"; do case $_a in host=*) return 0 ;; esac; done
	echo host=emul
}
load_gph() { insmod "$GPH/gph.ko" $(host_arg "$@") "$@"; }
# BPF programs that attached to gph's tracepoints hold the module until their
# links are released, which the kernel finishes asynchronously after the
# last user closes them: retry for a few seconds.
unload_gph() {
	for _i in 1 2 3 4 5 6 7 8 9 10; do
		rmmod gph 2>/dev/null && return 0
		sleep 0.5
	done
	rmmod gph
}
# refused_with "dmesg text" insmod-args... — insmod must fail, say TEXT in
# the kernel log, and leave no /sys/kernel/mm/gph behind.
refused_with() {
	msg=$1; shift
	dmesg -c >/dev/null
	if insmod "$GPH/gph.ko" $(host_arg "$@") "$@" 2>/tmp/err; then rmmod gph; return 1; fi
	diag "insmod $*: $(cat /tmp/err)"
	dmesg | grep -qF "$msg" || { diag "dmesg lacks: $msg"; dmesg | tail -3 | while read -r l; do diag "  $l"; done; return 1; }
	[ ! -d /sys/kernel/mm/gph ]
}
# gph-hostd scenarios: ask the host (tests/vm/hostchan.c on ttyS1).
host_open() { stty -F /dev/ttyS1 raw -echo 2>/dev/null && exec 3<>/dev/ttyS1; }
# host_ask REQUEST — print the answer's value (what follows the request's
# first word, which the answer repeats); fail if none in 10 s.
host_ask() {
	echo "$1" >&3
	read -r -t 10 _hq_key _hq_val <&3 || return 1
	[ "$_hq_key" = "${1%% *}" ] || { diag "host: $_hq_key $_hq_val"; return 1; }
	echo "$_hq_val"
}
# host_settle TRIES — the RAM file's allocated bytes once two reads 0.5 s
# apart agree (the last read after TRIES of them).
host_settle() {
	_prev=0
	for _i in $(seq "$1"); do
		_b=$(host_ask blocks) || return 1
		[ "$_b" = "$_prev" ] && break
		_prev=$_b
		sleep 0.5
	done
	echo "$_b"
}
# field_of FILE KEY — the value after KEY in a "key value" per line file
field_of() { awk -v k="$2" '$1 == k { print $2 }' "$1"; }
selfcheck_field() { field_of /tmp/selfcheck "$1"; }
run_selfcheck() { cat /sys/kernel/debug/gph/selfcheck >/tmp/selfcheck; }
arch() { uname -m; }

# --- volatile page cache and discard chaos --------------------------------
# Chaos: the emulated host discards every folio the moment it goes volatile
# (a large folio's last frame at once, its other frames within a second: it
# is partly discarded meanwhile) and takes it out of the direct map (needs
# debug_pagealloc=on), so a read that skipped make-stable reads poison or
# faults at once.
# pinned_sum MAP FIELD — FIELD ("discards", "value") summed over the
# entries of a pinned map, from bpftool's BTF-formatted JSON (the raw bytes
# beside it are arrays of hex strings, which the digits do not match).
pinned_sum() {
	bpftool -j map dump pinned "/sys/fs/bpf/gph/$1" | tr -d ' \n' |
		grep -o "\"$2\":[0-9]*" | awk -F: '{ s += $2 } END { print s + 0 }'
}
chaos_load() { load_gph emul_discard_rate=max emul_unmap=1 "$@"; }
# verify_set DIR MODE [REGEX] — read every file of DIR/MANIFEST (or those
# matching REGEX) with `gphcat MODE`, compare with the manifest; prints the
# number of mismatches.
verify_set() {
	_bad=0
	grep -E "/(${3:-.})" "$1/MANIFEST" >/tmp/manifest.$$	# on the file name
	while read -r _want _f; do
		_sum=$(gphcat "$2" "$1/$_f" | sha256sum | cut -d' ' -f1)
		if [ "$_sum" != "$_want" ]; then
			echo "# MISMATCH: $2 $1/$_f" >&2
			_bad=$((_bad + 1))
		fi
	done </tmp/manifest.$$
	rm -f /tmp/manifest.$$
	echo "$_bad"
}
# step_verify DIR MODE DESC [REGEX] — one TAP point: zero mismatches AND
# discards happened while reading (a pass with none proves nothing).
step_verify() {
	_d0=$(stat_of discards)
	_bad=$(verify_set "$1" "$2" "${4:-.}")
	_d1=$(stat_of discards)
	diag "$3: $_bad mismatches, $((_d1 - _d0)) discards"
	[ "$_bad" = 0 ] && [ "$_d1" -gt "$_d0" ]
	ok $? "$3: every file matches its manifest, with discards"
}

# bench_module — for bench/guest/*.sh: gphbench=mod loads gph.ko with the
# emulated host idle, and the module parameters in gphbench_modargs
# (comma-separated: one kernel parameter holds no spaces); any other value
# checks that it is not loaded. One TAP
# point. Then every configuration waits 2 s: gph's sweep walks every frame
# once, a second after load (for folios cached before it was on), and that
# one-time walk is no part of what a benchmark's steady state costs.
bench_module() {
	if [ "$gphbench" = mod ]; then
		# shellcheck disable=SC2046 # one word per parameter
		load_gph backend=table emul_rate=0 $(echo "${gphbench_modargs:-}" | tr , ' ')
		ok $? "insmod gph.ko backend=table emul_rate=0 ${gphbench_modargs:-} (emulated host idle)"
	else
		! lsmod | grep -q '^gph '
		ok $? "no gph module ($gphbench)"
	fi
	sleep 2
}

# pagefault_file PATH — for pagefault --file: 16 MiB of the big set copied
# to PATH, written back, then faulted through once (cached, warm). Status of
# the copy and the warm-up.
pagefault_file() {
	cat /mnt/bigset/big/b00? /mnt/bigset/big/b01[0-5] >"$1" && sync &&
		pagefault --file "$1" 0.5 >/dev/null
}
