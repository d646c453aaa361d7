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
load_gph() { insmod "$GPH/gph.ko" "$@"; }
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
selfcheck_field() { awk -v k="$1" '$1 == k { print $2 }' /tmp/selfcheck; }
run_selfcheck() { cat /sys/kernel/debug/gph/selfcheck >/tmp/selfcheck; }
arch() { uname -m; }
