# essa (s390x): without CMMA (QEMU TCG has no ESSA) backend=essa refuses to
# load with a message that says what to do, and leaves nothing behind.
. ./tests/lib.sh
plan 4

dmesg -c >/dev/null
insmod "$GPH/gph.ko" backend=essa 2>/tmp/err
rc=$?
diag "insmod backend=essa: rc=$rc: $(cat /tmp/err)"
[ $rc -ne 0 ] && grep -q 'No such device' /tmp/err
ok $? "insmod backend=essa fails with ENODEV"
dmesg | grep -qF "gph: essa: no CMMA (ESSA) on this machine; use backend=table"
ok $? "the kernel log says: no CMMA (ESSA) on this machine; use backend=table"
[ ! -d /sys/kernel/mm/gph ] && ! lsmod | grep -q '^gph '
ok $? "nothing left behind"
load_gph backend=table && grep -q essa /sys/kernel/mm/gph/avail_backends && unload_gph
ok $? "backend=table loads afterwards; avail_backends lists essa"
