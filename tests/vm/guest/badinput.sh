# badinput: every bad module parameter and sysfs write is refused with a
# clear error, and a refused load leaves nothing behind.
. ./tests/lib.sh
plan 13

refused_with() { # refused_with "dmesg text" insmod-args...
	msg=$1; shift
	dmesg -c >/dev/null
	if insmod "$GPH/gph.ko" "$@" 2>/tmp/err; then rmmod gph; return 1; fi
	diag "insmod $*: $(cat /tmp/err)"
	dmesg | grep -qF "$msg" || { diag "dmesg lacks: $msg"; dmesg | tail -3 | while read -r l; do diag "  $l"; done; return 1; }
	[ ! -d /sys/kernel/mm/gph ]
}
valid=$(case $(uname -m) in s390x) echo "essa, table" ;; *) echo "table" ;; esac)
refused_with "unknown backend=bogus; valid: $valid" backend=bogus
ok $? "backend=bogus refused, message lists the valid backends"
if [ "$(uname -m)" != s390x ]; then
	refused_with "unknown backend=essa; valid: table" backend=essa
	ok $? "backend=essa refused off s390 with the valid list"
else
	refused_with "no CMMA (ESSA) on this machine; use backend=table" backend=essa
	ok $? "backend=essa refused without CMMA, saying what to use"
fi
refused_with "emul_rate" emul_rate=abc
ok $? "emul_rate=abc refused"
refused_with "emul_rate" emul_rate=-5
ok $? "emul_rate=-5 refused"
refused_with "emul_rate" emul_rate=100000001
ok $? "emul_rate above 100000000 refused"

load_gph
ok $? "insmod gph.ko with defaults"
w() { echo "$2" >"/sys/kernel/mm/gph/$1" 2>/tmp/err; }
! w enabled 2 && ! w enabled maybe
ok $? "enabled: '2' and 'maybe' refused ($(cat /tmp/err))"
! w emul_rate abc && ! w emul_rate 100000001 && ! w emul_rate -1
ok $? "emul_rate: 'abc', 100000001 and -1 refused"
! w backend essa && ! w nr_frames 1 && ! w stats/nr_unused 0
ok $? "read-only attributes refuse writes"
[ "$(sysfs enabled)" = 1 ] && [ "$(sysfs emul_rate)" = 0 ]
ok $? "refused writes changed nothing"

w enabled 0 && run_selfcheck && [ "$(selfcheck_field disagreements)" = 0 ] &&
	[ "$(stat_of nr_unused)" = 0 ]
r=$?
[ $r = 0 ] || diag "after enabled=0: nr_unused $(stat_of nr_unused); $(head -6 /tmp/selfcheck | tr '\n' ' ')"
ok $r "enabled=0: every frame stable again"
w enabled 1 && run_selfcheck && [ "$(selfcheck_field disagreements)" = 0 ] &&
	[ "$(stat_of nr_unused)" -gt 0 ]
ok $? "enabled=1: free pages unused again, zero disagreements"
unload_gph
ok $? "rmmod gph"
