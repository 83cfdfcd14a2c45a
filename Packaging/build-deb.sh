#!/bin/bash
# Builds qrpos_VERSION_ARCH.deb and qrpos-acquirer-sim_VERSION_ARCH.deb with dpkg-deb from release binaries.
# Usage: Packaging/build-deb.sh VERSION ARCH BINDIR OUTDIR   (make deb passes them; VERSION is the Debian version)
set -euo pipefail
version=$1 arch=$2 bindir=$3 out=$4
here=$(cd "$(dirname "$0")" && pwd) top=$(cd "$(dirname "$0")/.." && pwd)
maintainer=${DEB_MAINTAINER:-qrpos maintainers <maintainers@qrpos.example>}
# DEB_COMPRESSION=gzip for the test packages of `make test`: xz takes minutes over an unoptimised binary.
# Reproducible: file times and the changelog date come from the commit, not the clock.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git -C "$top" log -1 --format=%ct 2>/dev/null || date +%s)}
commit=$(git -C "$top" describe --always --dirty 2>/dev/null || echo unknown)
stage=$out/stage
rm -rf "$stage" && mkdir -p "$stage/debian"
printf 'Source: qrpos\n\nPackage: qrpos\nArchitecture: any\n\nPackage: qrpos-acquirer-sim\nArchitecture: any\n' > "$stage/debian/control"

fail() { echo "build-deb: $*" >&2; exit 1; }

# The static Swift stdlib is the point: nothing may come from the toolchain at run time.
for prog in qrpos acquirer-sim; do
    [ -x "$bindir/$prog" ] || fail "$bindir/$prog is missing (swift build -c release --static-swift-stdlib first)"
    if ldd "$bindir/$prog" | grep -E '/opt/swift|libswift|not found'; then
        fail "$prog links the Swift toolchain or a missing library (above): build with --static-swift-stdlib"
    fi
done

# The default board for this architecture: a generic one when the repository has it, else the simulated board.
default_board() {
    case $arch in amd64) b=generic-pc ;; arm64) b=generic-arm64 ;; *) b= ;; esac
    if [ -n "$b" ] && [ -f "$top/Board/$b/board.toml" ]; then echo "$b"; else echo sim; fi
}

# Depends from the libraries the binary really links (dpkg-shlibdeps reads the shlibs of Debian's packages).
# The staging folder has debhelper's layout (debian/control, debian/PACKAGE/) because dpkg-shlibdeps expects it.
shlibs() {
    local deps; deps=$(cd "$stage" && dpkg-shlibdeps -O -e"$1" | sed -n 's/^shlibs:Depends=//p')
    [ -n "$deps" ] || fail "dpkg-shlibdeps found no dependencies for $1"
    echo "$deps"
}

# Common parts of a package: stripped program, doc folder, md5sums, control file, then dpkg-deb.
finish() {
    local pkg=$1 root=$2 depends=$3
    mkdir -p "$root/usr/share/doc/$pkg" "$root/DEBIAN"
    install -m 0644 "$here/debian/copyright" "$root/usr/share/doc/$pkg/copyright"
    install -D -m 0644 "$here/debian/$pkg.lintian-overrides" "$root/usr/share/lintian/overrides/$pkg"
    printf 'qrpos (%s) stable; urgency=medium\n\n  * Built from git %s; the changes are in the git log.\n\n -- %s  %s\n' \
        "$version" "$commit" "$maintainer" "$(date -R -u -d "@$SOURCE_DATE_EPOCH")" \
        | gzip -9n > "$root/usr/share/doc/$pkg/changelog.Debian.gz"
    chmod 0644 "$root/usr/share/doc/$pkg/changelog.Debian.gz"
    (cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) > "$root/DEBIAN/md5sums"
    chmod 0644 "$root/DEBIAN/md5sums"
    local size; size=$(du -sk --exclude=DEBIAN "$root" | cut -f1)
    sed -e "s|@VERSION@|$version|" -e "s|@ARCH@|$arch|" -e "s|@MAINTAINER@|$maintainer|" \
        -e "s|@SIZE@|$size|" -e "s|@DEPENDS@|$depends|" "$here/debian/$pkg.control.in" > "$root/DEBIAN/control"
    find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
    dpkg-deb --root-owner-group "-Z${DEB_COMPRESSION:-xz}" --build "$root" "$out/${pkg}_${version}_${arch}.deb" >/dev/null
    echo "build-deb: $out/${pkg}_${version}_${arch}.deb"
}

# qrpos: program, shared files, board files, /etc defaults, service, udev rules, maintainer scripts.
root=$stage/debian/qrpos
install -D -m 0755 "$bindir/qrpos" "$root/usr/bin/qrpos"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/qrpos"
mkdir -p "$root/usr/share/qrpos"
cp -r "$top/Assets" "$root/usr/share/qrpos/Assets"
# Only the files a board is described by, not the VM and bench scripts next to them.
for board in "$top"/Board/*/; do
    name=$(basename "$board")
    for f in board.toml terminal.toml README.md; do
        [ -f "$board/$f" ] && install -D -m 0644 "$board/$f" "$root/usr/share/qrpos/boards/$name/$f"
    done
done
# `--board sim` looks for Board/sim under /usr/share/qrpos (Sources/Installation): the same folders by that name.
ln -s boards "$root/usr/share/qrpos/Board"
board=$(default_board)
install -D -m 0644 "$top/Board/$board/board.toml" "$root/etc/qrpos/board.toml"
install -D -m 0644 "$top/Board/$board/terminal.toml" "$root/etc/qrpos/terminal.toml"
install -D -m 0644 "$here/systemd/qrpos.service" "$root/usr/lib/systemd/system/qrpos.service"
install -D -m 0644 "$here/udev/60-qrpos-gpio.rules" "$root/usr/lib/udev/rules.d/60-qrpos-gpio.rules"
find "$root/usr/share/qrpos" -type f -exec chmod 0644 {} + && find "$root/usr/share/qrpos" -type d -exec chmod 0755 {} +
mkdir -p "$root/DEBIAN"
install -m 0644 "$here/debian/conffiles" "$root/DEBIAN/conffiles"
for s in postinst prerm postrm; do install -m 0755 "$here/debian/qrpos.$s" "$root/DEBIAN/$s"; done
# Fonts the screens draw with (Assets/languages.toml: Noto Sans CJK; Noto Sans, Thai, Khmer, Devanagari from
# fonts-noto-core), and useradd for postinst.
depends=$(shlibs debian/qrpos/usr/bin/qrpos) || exit 1
finish qrpos "$root" "$depends, fonts-noto-cjk, fonts-noto-core, passwd"
echo "build-deb: qrpos default board: $board"

# qrpos-acquirer-sim: the simulator; the wallet registry it reads comes from qrpos.
root=$stage/debian/qrpos-acquirer-sim
install -D -m 0755 "$bindir/acquirer-sim" "$root/usr/bin/acquirer-sim"
strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/acquirer-sim"
mkdir -p "$root/DEBIAN"   # dpkg-shlibdeps tells package folders by it
depends=$(shlibs debian/qrpos-acquirer-sim/usr/bin/acquirer-sim) || exit 1
finish qrpos-acquirer-sim "$root" "$depends, qrpos (= $version)"
