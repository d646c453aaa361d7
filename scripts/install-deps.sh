#!/usr/bin/env bash
# Install, by name from Debian's archive, every host package gph needs to
# build kernels, the module, BPF objects and tools, and to boot QEMU guests.
# Idempotent: installs only what is missing. Not root → prints the command.
set -euo pipefail

PKGS=(
	linux-source-6.12
	make gcc libc6-dev flex bison bc libelf-dev libssl-dev dwarves
	gcc-s390x-linux-gnu binutils-s390x-linux-gnu libc6-dev-s390x-cross
	clang llvm libbpf-dev bpftool zlib1g-dev pkg-config libclang-rt-14-dev
	qemu-system-x86 qemu-system-misc qemu-user
	busybox-static cpio e2fsprogs xfsprogs xz-utils kmod openssl
	spin libvirt-clients gnuplot-nox
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "gph: missing host packages; run as root:" >&2
	echo "  apt-get update && apt-get install -y --no-install-recommends ${missing[*]}" >&2
	exit 1
fi
echo "gph: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
