#!/bin/bash
# A signed RAUC bundle (verity format) holding a new root file system for slot A or B.
# Usage: make-bundle.sh ROOTFS.ext4 KEY CERT OUT.raucb VERSION [COMPATIBLE]
# ROOTFS.ext4 is what `make image` left in .build-image/rootfs.ext4 (the same file system slot A got).
set -euo pipefail
rootfs=$1 key=$2 cert=$3 out=$4 version=$5 compatible=${6:-qrpos-generic-pc-amd64}
here=$(cd "$(dirname "$0")" && pwd)
stage=$(mktemp -d "$(dirname "$out")/bundle-stage.XXXXXX")
trap 'rm -rf "$stage"' EXIT
cp --sparse=always "$rootfs" "$stage/rootfs.ext4"
install -m 0755 "$here/bundle-hook" "$stage/hook"
cat > "$stage/manifest.raucm" <<MANIFEST
[update]
compatible=$compatible
version=$version
description=qrpos root file system $version

[bundle]
format=verity

[hooks]
filename=hook

[image.rootfs]
filename=rootfs.ext4
hooks=post-install
MANIFEST
rm -f "$out"
rauc bundle --cert="$cert" --key="$key" --mksquashfs-args="-comp zstd -Xcompression-level 6" "$stage" "$out" > "$stage.log" 2>&1 || { cat "$stage.log"; rm -f "$stage.log"; exit 1; }
rm -f "$stage.log"
echo "make-bundle: $out ($(du -m "$out" | cut -f1) MiB, version $version, signed by $(openssl x509 -in "$cert" -noout -subject))"
