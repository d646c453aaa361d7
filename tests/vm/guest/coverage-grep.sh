# coverage-grep: the v7 experiment. grep -r over an unpacked kernel source
# tree in a 256 MB guest, chaos off: how much of the guest ends up volatile
# (v7 reported 75 % on z/VM). Issue 4 scenario 9.
# gph-vm: mem=256M
. ./tests/lib.sh
plan 5

load_gph
ok $? "insmod gph.ko (volatile on, no discards)"
du -sm /mnt/src/linux | while read -r mb _; do diag "source tree: $mb MiB"; done
grep -r gph_no_such_string_anywhere /mnt/src/linux >/dev/null
[ $? = 1 ]
ok $? "grep -r over the tree ran to the end"
sleep 3		# one sweep period and then some
frames=$(sysfs nr_frames)
vol=$(stat_of nr_volatile)
unused=$(stat_of nr_unused)
total=$(awk '$1 == "MemTotal:" { print $2 / 4 }' /proc/meminfo)
cached=$(awk '$1 == "Cached:" { print $2 / 4 }' /proc/meminfo)
diag "volatile $vol pages = $((vol * 100 / total)) % of the guest's $total pages ($((vol * 100 / (cached ? cached : 1))) % of its $cached page-cache pages); unused $unused; $frames frames"
echo "coverage-grep: volatile_pct=$((vol * 100 / total)) of_cache_pct=$((vol * 100 / (cached ? cached : 1)))"
[ "$vol" -gt $((total / 4)) ]
ok $? "more than a quarter of the guest's pages are volatile after the grep"
[ "$(stat_of discards)" = 0 ]
ok $? "no discards without chaos"
unload_gph
ok $? "rmmod gph"
