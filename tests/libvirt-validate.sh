#!/usr/bin/env bash
# libvirt-validate.sh — contrib/libvirt/gph-domain.xml is a valid libvirt
# domain (libvirt's own schema, virt-xml-validate from libvirt-clients), and
# the check can fail: a copy with a bad shmem model must be rejected. TAP;
# last line "libvirt-result passed=N failed=N skipped=N". Exit 0, 1 on a
# failure, 4 (skip) without virt-xml-validate.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
xml=$top/contrib/libvirt/gph-domain.xml

echo "TAP version 13"
echo "1..2"
if ! command -v virt-xml-validate >/dev/null; then
	echo "ok 1 # SKIP no virt-xml-validate (Debian: apt-get install libvirt-clients)"
	echo "ok 2 # SKIP no virt-xml-validate"
	echo "libvirt-result passed=0 failed=0 skipped=2"
	exit 4
fi
passed=0 failed=0
point() { # point N OK DESCRIPTION [OUTPUT]
	if [ "$2" = 1 ]; then
		echo "ok $1 - $3"
		passed=$((passed + 1))
	else
		echo "not ok $1 - $3"
		[ -n "${4:-}" ] && sed 's/^/# /' <<<"$4"
		failed=$((failed + 1))
	fi
}

out=$(virt-xml-validate "$xml" domain 2>&1) && r=1 || r=0
point 1 $r "virt-xml-validate $(basename "$xml") domain" "$out"

bad=$(mktemp --suffix=.xml)
trap 'rm -f "$bad"' EXIT
sed "s/<model type='ivshmem-plain'\/>/<model type='ivshmem-bogus'\/>/" "$xml" >"$bad"
r=0
if cmp -s "$xml" "$bad"; then
	out="no <model type='ivshmem-plain'/> in $xml to break"
elif ! out=$(virt-xml-validate "$bad" domain 2>&1); then
	r=1
fi
point 2 $r "virt-xml-validate rejects a copy with shmem model ivshmem-bogus" "$out"

echo "libvirt-result passed=$passed failed=$failed skipped=0"
[ $failed = 0 ]
