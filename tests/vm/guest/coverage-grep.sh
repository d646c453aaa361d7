# coverage-grep: the v7 experiment. grep -r over an unpacked kernel source
# tree in a 256 MB guest, chaos off: how much of the guest ends up volatile
# (v7 reported 75 % on z/VM). Issue 4 scenario 9. Issue 15: the same tree on
# ext4 and on XFS in the same boot, caches dropped before each, and the share
# of idle, clean, unmapped page-cache pages that is volatile 1.2 s after the
# grep (gph's sweep runs every second; make bench reads it every 100 ms).
# gph-vm: mem=256M
# gph-vm: xfs
. ./tests/lib.sh
plan 11

mkdir -p /mnt/xfs
dev=$(findfs LABEL=gphxfs) && mount -t xfs "$dev" /mnt/xfs
ok $? "mount the XFS disk ($dev)"
# mkfs.xfs 6.1 cannot fill a file system with the tree from a protofile
# (ENOSPC from its directory code): the guest copies it, before gph loads.
mkdir -p /mnt/xfs/src && cp -a /mnt/src/linux /mnt/xfs/src/ && sync
ok $? "copy the source tree to XFS"
load_gph
ok $? "insmod gph.ko (volatile on, no discards)"

# grep_tree FS TREE — three points: the grep ran, >= 95 % of the idle clean
# page cache volatile 1.2 s after it, more than a quarter of the guest's
# pages volatile 3 s after it.
grep_tree() {
	sync; echo 3 >/proc/sys/vm/drop_caches
	du -sm "$2" | while read -r mb _; do diag "$1: source tree of $mb MiB"; done
	grep -r gph_no_such_string_anywhere "$2" >/dev/null
	[ $? = 1 ]
	ok $? "$1: grep -r over the tree ran to the end"
	sleep 1.2
	cat /sys/kernel/debug/gph/coverage >/tmp/cov
	_c=$(awk '$1 == "candidates" { print $2 }' /tmp/cov)
	_v=$(awk '$1 == "volatile" { print $2 }' /tmp/cov)
	_cov=$((_v * 100 / (_c ? _c : 1)))
	diag "$1: volatile $_v of $_c candidate pages 1.2 s after the grep"
	sleep 1.8	# 3 s in all: one sweep period and then some
	_vol=$(stat_of nr_volatile)
	_total=$(awk '$1 == "MemTotal:" { print $2 / 4 }' /proc/meminfo)
	_cached=$(awk '$1 == "Cached:" { print $2 / 4 }' /proc/meminfo)
	diag "$1: volatile $_vol pages = $((_vol * 100 / _total)) % of the guest's $_total pages ($((_vol * 100 / (_cached ? _cached : 1))) % of its $_cached page-cache pages); unused $(stat_of nr_unused)"
	echo "coverage-grep: fs=$1 coverage_pct=$_cov volatile_pct=$((_vol * 100 / _total)) of_cache_pct=$((_vol * 100 / (_cached ? _cached : 1)))"
	[ "$_c" -gt 0 ] && [ "$_cov" -ge 95 ]
	ok $? "$1: $_cov % of idle clean page cache volatile 1.2 s after the grep (want >= 95)"
	[ "$_vol" -gt $((_total / 4)) ]
	ok $? "$1: more than a quarter of the guest's pages are volatile after the grep"
}
grep_tree ext4 /mnt/src/linux
grep_tree XFS /mnt/xfs/src/linux
[ "$(stat_of discards)" = 0 ]
ok $? "no discards without chaos"
unload_gph
ok $? "rmmod gph"
umount /mnt/xfs
