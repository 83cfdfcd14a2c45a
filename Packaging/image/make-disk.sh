#!/bin/bash
# The disk image from a root tree, without loop devices or mounts: a GPT made by sfdisk on the image file, the
# EFI system partition as a FAT file filled with mtools (GRUB EFI from Debian's grub-efi-amd64-bin, its slot
# configuration and grubenv), root slot A as ext4 made by `mke2fs -d`, slot B empty (RAUC fills it), and the
# data partition (/var/lib/qrpos, grown to the disk at first boot), each placed with dd conv=notrunc.
# Usage (as root, for the file owners): make-disk.sh ROOTDIR OUT.img [ROOT_MIB] [DATA_MIB]
# Also writes ROOTDIR/../rootfs.ext4 (slot A's file system; `make bundle` packs it) and OUT.bmap.
set -euo pipefail
rootdir=$1 out=$2 root_mib=${3:-1536} data_mib=${4:-128}
esp_mib=64
here=$(cd "$(dirname "$0")" && pwd)
work=$(dirname "$out")/disk-parts
rm -rf "$work" && mkdir -p "$work"
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(date +%s)}

used=$(du -smx "$rootdir" | cut -f1)
# ext4 metadata, 1 % reserved and room for the counter's own files: the tree must leave a quarter free.
if [ $((used * 4 / 3)) -gt "$root_mib" ]; then
    echo "make-disk: the root tree is $used MiB; ROOT_MIB=$root_mib leaves less than a quarter free" >&2; exit 1
fi

# Partitions in MiB: 1 MiB for the GPT, then ESP, A, B, data; 1 MiB at the end for the backup GPT.
esp_start=1 a_start=$((1 + esp_mib)) b_start=$((1 + esp_mib + root_mib)) d_start=$((1 + esp_mib + 2 * root_mib))
total=$((d_start + data_mib + 1))
uuid() { cat /proc/sys/kernel/random/uuid; }
disk_uuid=$(uuid) esp_uuid=$(uuid) a_uuid=$(uuid) b_uuid=$(uuid) data_uuid=$(uuid)
ESP=C12A7328-F81F-11D2-BA4B-00A0C93EC93B ROOT_X86_64=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709 LINUX=0FC63DAF-8483-4772-8E79-3D69D8477DE4

rm -f "$out" && truncate -s "${total}M" "$out"
sfdisk -q "$out" <<EOF
label: gpt
label-id: $disk_uuid
unit: sectors
first-lba: 2048
start=$((esp_start * 2048)), size=$((esp_mib * 2048)), type=$ESP, uuid=$esp_uuid, name="esp"
start=$((a_start * 2048)), size=$((root_mib * 2048)), type=$ROOT_X86_64, uuid=$a_uuid, name="rootfs-a"
start=$((b_start * 2048)), size=$((root_mib * 2048)), type=$ROOT_X86_64, uuid=$b_uuid, name="rootfs-b"
start=$((d_start * 2048)), size=$((data_mib * 2048)), type=$LINUX, uuid=$data_uuid, name="qrpos-data"
EOF

# Slot A: the tree as ext4 (owners, modes and extended attributes as in the tree). 1 % reserved for root.
mke2fs -q -t ext4 -L qrpos-root -m 1 -E root_owner=0:0 -d "$rootdir" "$work/rootfs.ext4" "${root_mib}M"
# The data partition: its top folder is /var/lib/qrpos, owned by the package's qrpos user, 0700.
uid=$(awk -F: '$1 == "qrpos" {print $3 ":" $4}' "$rootdir/etc/passwd")
mkdir -p "$work/data" && chmod 0700 "$work/data"
mke2fs -q -t ext4 -L qrpos-data -m 0 -E root_owner="${uid:-0:0}" -d "$work/data" "$work/data.ext4" "${data_mib}M"
[ -n "$uid" ] || echo "make-disk: no qrpos user in the tree (built without the package): data folder owned by root"

# GRUB for UEFI on the removable-media path (no NVRAM entry needed), its modules built in, prefix on the ESP.
grub-mkimage -O x86_64-efi -p /EFI/qrpos -o "$work/BOOTX64.EFI" \
    part_gpt fat ext2 normal linux echo test regexp loadenv search configfile sleep all_video efi_gop gzio \
    minicmd reboot halt
sed -e "s/@A_PARTUUID@/$a_uuid/" -e "s/@B_PARTUUID@/$b_uuid/" "$here/grub.cfg.in" > "$work/grub.cfg"
grub-editenv "$work/grubenv" create
grub-editenv "$work/grubenv" set ORDER="A B" A_OK=1 A_TRY=0 B_OK=0 B_TRY=0
cat > "$work/README.txt" <<'EOF'
qrpos counter: files a technician may put in this folder (qrpos/ on the EFI partition).
  enable-ssh        any content: SSH is started at boot while this file is here (key login as root only)
  authorized_keys   the public keys allowed to log in as root over SSH
EOF

mkfs.vfat -F 32 -s 1 -n QRPOS-EFI -i "${esp_uuid:0:8}" -C "$work/esp.img" $((esp_mib * 1024)) >/dev/null
export MTOOLS_SKIP_CHECK=1
mmd -i "$work/esp.img" ::/EFI ::/EFI/BOOT ::/EFI/qrpos ::/qrpos
mcopy -i "$work/esp.img" "$work/BOOTX64.EFI" ::/EFI/BOOT/BOOTX64.EFI
mcopy -i "$work/esp.img" "$work/grub.cfg" "$work/grubenv" ::/EFI/qrpos/
mcopy -i "$work/esp.img" "$work/README.txt" ::/qrpos/README.txt

place() { dd if="$1" of="$out" bs=1M seek="$2" conv=notrunc,sparse status=none; }
place "$work/esp.img" "$esp_start"
place "$work/rootfs.ext4" "$a_start"
place "$work/data.ext4" "$d_start"
mv "$work/rootfs.ext4" "$(dirname "$out")/rootfs.ext4"
printf 'ROOT_MIB=%s\nA_PARTUUID=%s\nB_PARTUUID=%s\nDISK_UUID=%s\n' "$root_mib" "$a_uuid" "$b_uuid" "$disk_uuid" > "${out%.img}.env"
bmaptool -q create -o "${out%.img}.bmap" "$out"
rm -rf "$work"
echo "make-disk: $out: $total MiB, $(du -m "$out" | cut -f1) MiB used (root tree $used MiB in a $root_mib MiB slot)"
