#!/bin/bash
# The root file system of a qrpos image: Debian 12 from Debian's packages (mmdebstrap, no recommends), Debian's
# kernel, systemd, the qrpos .deb with only what it depends on, the image's own files (Packaging/image/rootfs/).
# Downloaded .debs are kept in CACHEDIR/debs-bookworm-ARCH, so a second build downloads nothing but the lists.
# Usage (as root): build-rootfs.sh ROOTDIR CACHEDIR ARCH DEBDIR|none [BOARD]
set -euo pipefail
root=$1 cache=$2 arch=$3 debdir=$4 board=${5:-generic-pc}
here=$(cd "$(dirname "$0")" && pwd)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
security=${DEBIAN_SECURITY:-http://security.debian.org/debian-security}
archives=$(mkdir -p "$cache/debs-bookworm-$arch" && cd "$cache/debs-bookworm-$arch" && pwd)

case $arch in
    amd64) kernel=linux-image-amd64 ;;
    arm64) kernel=linux-image-arm64 ;;
    *) echo "build-rootfs: no kernel for $arch" >&2; exit 1 ;;
esac
# The base system: init, udev, the kernel and its initramfs, what the boot step, RAUC and a technician use.
packages=(systemd systemd-sysv udev dbus kmod "$kernel" initramfs-tools zstd e2fsprogs fdisk util-linux
          iproute2 procps openssh-server systemd-timesyncd rauc rauc-service grub-common curl)

qrpos_debs=()
if [ "$debdir" != none ]; then
    for name in qrpos; do
        deb=$(ls "$debdir"/${name}_*_"$arch".deb 2>/dev/null | sort -V | tail -1)
        [ -n "$deb" ] || { echo "build-rootfs: no ${name}_*_$arch.deb in $debdir (make deb, or DEBDIR=…)" >&2; exit 1; }
        qrpos_debs+=("$(cd "$(dirname "$deb")" && pwd)/$(basename "$deb")")
    done
fi

rm -rf "$root"
mkdir -p "$(dirname "$root")"
hooks=()
if [ ${#qrpos_debs[@]} -gt 0 ]; then
    # The packages by the same path inside (apt hands dpkg the path as given), then apt resolves their Depends.
    hooks+=(--customize-hook='mkdir -p "$1/tmp/qrpos-debs"')
    for deb in "${qrpos_debs[@]}"; do hooks+=(--customize-hook="copy-in '$deb' /tmp/qrpos-debs"); done
    hooks+=(--customize-hook='chroot "$1" sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Use-Pty=0 --no-install-recommends /tmp/qrpos-debs/*.deb && rm -rf /tmp/qrpos-debs"')
fi
# systemd-resolved last: its postinst turns /etc/resolv.conf into a link to /run, which is empty in the chroot.
hooks+=(--customize-hook='chroot "$1" sh -c "DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o Dpkg::Use-Pty=0 --no-install-recommends systemd-resolved"')
hooks+=(--customize-hook='sync-out /var/cache/apt/archives '"'$archives'")
hooks+=(--customize-hook="RAUC_CERT='${RAUC_CERT:-}' IMAGE_VERSION='${IMAGE_VERSION:-}' '$here/configure-rootfs.sh' \"\$1\" '$board'")

mmdebstrap --mode=root --variant=minbase --arch="$arch" --format=directory \
    --aptopt='APT::Install-Recommends "false"' --aptopt='Acquire::Languages "none"' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --include="$(IFS=,; echo "${packages[*]}")" \
    --skip=download/empty --skip=essential/unlink \
    --setup-hook='mkdir -p "$1/var/cache/apt/archives/partial"' \
    --setup-hook="sync-in '$archives' /var/cache/apt/archives/" \
    "${hooks[@]}" \
    bookworm "$root" \
    "deb $mirror bookworm main" "deb $mirror bookworm-updates main" "deb $security bookworm-security main"
