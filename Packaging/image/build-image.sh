#!/bin/bash
# `make image`: the root tree (build-rootfs.sh), then the disk (make-disk.sh), timed.
# Usage (as root): build-image.sh OUTDIR CACHEDIR ARCH BOARD DEBDIR|none [ROOT_MIB]
set -euo pipefail
out=$1 cache=$2 arch=$3 board=$4 debdir=$5 root_mib=${6:-1536}
here=$(cd "$(dirname "$0")" && pwd)
if [ "$arch" != amd64 ] || [ "$board" != generic-pc ]; then
    echo "make image: only ARCH=amd64 BOARD=generic-pc is built here (README \"For technicians\", arm64: an arm64" >&2
    echo "  build machine for the Swift packages, and the Raspberry Pi firmware partition, which this recipe lacks)" >&2
    exit 1
fi
started=$(date +%s)
mkdir -p "$out"
# RAUC's signing keys: RAUC_KEY/RAUC_CERT for real ones, else the development pair in CACHEDIR/rauc-keys.
if [ -z "${RAUC_CERT:-}" ]; then
    "$here/dev-keys.sh" "$cache/rauc-keys"
    export RAUC_CERT=$(cd "$cache/rauc-keys" && pwd)/development.cert.pem
fi
export IMAGE_VERSION=${IMAGE_VERSION:-$(cat "$here/../../VERSION")-$(git -C "$here" describe --always --dirty 2>/dev/null || echo local)}
echo "make image: root tree ($arch, board $board, packages from $debdir) in $out/rootfs; log $out/rootfs.log"
if ! "$here/build-rootfs.sh" "$out/rootfs" "$cache" "$arch" "$debdir" "$board" > "$out/rootfs.log" 2>&1; then
    tail -30 "$out/rootfs.log"; echo "make image: the root tree failed (log: $out/rootfs.log)" >&2; exit 1
fi
grep -E '^configure-rootfs:' "$out/rootfs.log" || true
image=$out/qrpos-$board-$arch.img
"$here/make-disk.sh" "$out/rootfs" "$image" "$root_mib"
# For shipping: compressed (bmaptool copy reads .zst with the .bmap; holes come back as holes). IMAGE_ZSTD=0
# (make test) leaves it out: the test boots the raw image.
if [ "${IMAGE_ZSTD:-1}" = 1 ]; then
    zstd -q -f -T0 -6 "$image" -o "$image.zst"
    echo "make image: $image.zst $(du -m "$image.zst" | cut -f1) MiB"
else
    rm -f "$image.zst"
fi
echo "make image: $image (+ .bmap) in $(( $(date +%s) - started )) s"
