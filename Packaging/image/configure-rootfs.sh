#!/bin/bash
# Makes the Debian root (ROOTDIR, from build-rootfs.sh) a qrpos counter's root: the image's files, services on and
# off, nothing that must differ per counter (machine id, host name, SSH host keys: made on the counter).
# Usage (as root): configure-rootfs.sh ROOTDIR [BOARD]; RAUC_CERT=FILE: the certificate bundles are checked with
set -euo pipefail
root=$1 board=${2:-generic-pc}
here=$(cd "$(dirname "$0")" && pwd)
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 "$@"; }

# The image's own files (boot step, network, fstab, RAUC), root-owned whatever the checkout's owner.
(cd "$here/rootfs" && find . -type f -print0) | while IFS= read -r -d '' f; do
    mode=0644; [ -x "$here/rootfs/$f" ] && mode=0755
    install -D -o root -g root -m "$mode" "$here/rootfs/$f" "$root/${f#./}"
done
mkdir -p "$root/boot/efi" "$root/var/lib/qrpos"

# The board's files as /etc/qrpos (the package installs its architecture's default; conffiles, kept on upgrades).
if [ -d "$root/usr/share/qrpos/boards/$board" ]; then
    for f in board.toml terminal.toml; do install -m 0644 "$root/usr/share/qrpos/boards/$board/$f" "$root/etc/qrpos/$f"; done
    echo "configure-rootfs: /etc/qrpos from board $board"
fi

# Made on the counter at its first boot: machine id (systemd), host name and SSH host keys (qrpos-firstboot).
printf 'uninitialized\n' > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id" "$root"/etc/ssh/ssh_host_*
echo qrpos-unnamed > "$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"

# Services: the network and the boot step on; SSH off (the boot step starts it when the technician asks).
in_root systemctl enable systemd-networkd.service systemd-resolved.service systemd-timesyncd.service qrpos-firstboot.service \
    qrpos-mark-good.service
in_root systemctl disable ssh.service >/dev/null 2>&1 || true
in_root systemctl set-default multi-user.target
rm -f "$root/etc/systemd/system/sshd.service"
install -d "$root/etc/ssh/sshd_config.d"
printf '# qrpos image: keys only (from qrpos/authorized_keys on the EFI partition).\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\n' \
    > "$root/etc/ssh/sshd_config.d/qrpos.conf"
# No passwords on the image: root logs in with the technician's SSH key only.
in_root passwd -q -l root

# RAUC: the certificate bundles must be signed with (make bundle's development one unless RAUC_CERT names another).
[ -n "${RAUC_CERT:-}" ] || { echo "configure-rootfs: RAUC_CERT is not set" >&2; exit 1; }
install -m 0644 "$RAUC_CERT" "$root/etc/rauc/keyring.pem"
# What this root is (a bundle's new root says so too): the image's version and build time.
printf 'QRPOS_IMAGE_VERSION=%s\nQRPOS_IMAGE_BUILT=%s\nQRPOS_PACKAGE=%s\n' "${IMAGE_VERSION:-unknown}" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    "$(in_root dpkg-query -W -f='${Version}' qrpos 2>/dev/null || echo none)" > "$root/etc/qrpos-release"

# The system journal kept small; the counter's own sale journal is on the data partition.
install -d "$root/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=persistent\nSystemMaxUse=64M\n' > "$root/etc/systemd/journald.conf.d/qrpos.conf"

# The kernel and initramfs by the names GRUB's configuration uses (/vmlinuz, /initrd.img: linux-base's links).
[ -e "$root/vmlinuz" ] && [ -e "$root/initrd.img" ] || { echo "configure-rootfs: /vmlinuz or /initrd.img missing" >&2; exit 1; }

# Package lists are not shipped (apt-get update fetches them on a counter that needs them).
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/log/*.log "$root"/var/log/apt/*
echo "configure-rootfs: $(du -smx "$root" | cut -f1) MiB"
