#!/bin/bash
# The install test of the Debian packages (make deb-test): lintian, then install, reinstall, upgrade, remove and
# purge in a clean Debian 12 root (debootstrap minbase, cached as a tarball), with a PASS or FAIL line per check.
# Usage (as root): Packaging/deb-test.sh DEBDIR [CACHEDIR]     Packaging/deb-test.sh --prepare [CACHEDIR]
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
arch=$(dpkg --print-architecture)
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
if [ "${1:-}" = --prepare ]; then debdir=; else debdir=$(cd "${1:?usage: deb-test.sh DEBDIR [CACHEDIR]}" && pwd); fi
cache=$(mkdir -p "${2:-$top/.cache}" && cd "${2:-$top/.cache}" && pwd)
tarball=$cache/debroot-bookworm-$arch.tar
archives=$cache/apt-archives-bookworm-$arch     # downloaded .debs, kept between runs
failures=0

pass() { echo "PASS: $*"; }
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# check NAME COMMAND…: one PASS/FAIL line; the command's output only when it fails.
check() {
    local name=$1 out; shift
    if out=$("$@" 2>&1); then pass "$name"; else fail "$name"; echo "$out" | sed 's/^/    /'; fi
}
in_root() { chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 DEBIAN_FRONTEND=noninteractive "$@"; }
apt_in_root() { in_root apt-get -q -y -o Dpkg::Use-Pty=0 --no-install-recommends "$@"; }

# The clean root, made once: debootstrap minbase, plus systemd (systemd-analyze verify --root loads the unit
# against the root's own units), with fresh package lists. Rebuilt after a week, because a
# Debian point release removes the package versions the old lists name from the mirror.
prepare() {
    if [ -f "$tarball" ] && [ -n "$(find "$tarball" -mtime -7)" ]; then return 0; fi
    echo "deb-test: making the Debian 12 root (debootstrap --variant=minbase --include=systemd bookworm, $mirror) into $tarball"
    local dir; dir=$(mktemp -d /var/tmp/debroot.XXXXXX) && chmod 0755 "$dir"   # apt's _apt user walks it
    mkdir -p "$archives"
    debootstrap --variant=minbase --include=systemd --cache-dir="$archives" --arch="$arch" bookworm "$dir" "$mirror" \
        > "$cache/debootstrap.log" 2>&1 \
        || { tail -20 "$cache/debootstrap.log"; rm -rf "$dir"; return 1; }
    cp /etc/resolv.conf "$dir/etc/resolv.conf"
    chroot "$dir" apt-get -q update > /dev/null || { rm -rf "$dir"; return 1; }
    chroot "$dir" apt-get clean
    tar -C "$dir" -cf "$tarball.tmp" . && mv "$tarball.tmp" "$tarball"
    rm -rf "$dir"
}

cleanup() {
    [ -n "${root:-}" ] || return 0
    umount "$root/var/cache/apt/archives" "$root/proc" 2>/dev/null
    rm -rf "$root"
}
trap cleanup EXIT

prepare || { echo "FAIL: could not make the Debian 12 root"; exit 1; }
[ -n "$debdir" ] || exit 0

deb=$(ls "$debdir"/qrpos_*_"$arch".deb | tail -1)
sim_deb=$(ls "$debdir"/qrpos-acquirer-sim_*_"$arch".deb | tail -1)
[ -f "$deb" ] && [ -f "$sim_deb" ] || { echo "FAIL: no qrpos .debs in $debdir (make deb)"; exit 1; }
version=$(dpkg-deb -f "$deb" Version)

# lintian: errors fail the test, warnings are printed and accepted.
lint=$(lintian --tag-display-limit 0 "$deb" "$sim_deb" 2>&1); echo "$lint" | sed 's/^/lintian: /'
if echo "$lint" | grep -q '^E:'; then fail "lintian reports no errors"; else pass "lintian reports no errors"; fi

# A fresh copy of the clean root; downloaded packages go to the cache folder.
root=$(mktemp -d /var/tmp/qrpos-deb-test.XXXXXX) && chmod 0755 "$root"
tar -C "$root" -xf "$tarball"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$archives/partial" && mount --bind "$archives" "$root/var/cache/apt/archives"
# /proc is needed: with the Swift runtime linked in statically, the programs read their arguments from
# /proc/self/cmdline (without it every command sees none and prints the top-level help).
mount -t proc proc "$root/proc"
cp "$deb" "$sim_deb" "$root/tmp/"

# 1. Install: apt pulls every dependency from Debian (nothing from this machine).
check "apt-get install ./$(basename "$deb") ./$(basename "$sim_deb")" \
    apt_in_root install "/tmp/$(basename "$deb")" "/tmp/$(basename "$sim_deb")"
check "ldd /usr/bin/qrpos: every library found, none from /opt/swift" \
    sh -c "out=\$(chroot '$root' ldd /usr/bin/qrpos) && ! echo \"\$out\" | grep -E 'not found|/opt/swift|libswift'"
check "ldd /usr/bin/acquirer-sim: every library found, none from /opt/swift" \
    sh -c "out=\$(chroot '$root' ldd /usr/bin/acquirer-sim) && ! echo \"\$out\" | grep -E 'not found|/opt/swift|libswift'"
check "/var/lib/qrpos is 0700 qrpos:qrpos" test "$(in_root stat -c '%a %U:%G' /var/lib/qrpos)" = "700 qrpos:qrpos"
check "user qrpos is a system user in groups video render input gpio lp audio" \
    sh -c "groups=\$(chroot '$root' id -nG qrpos) && for g in video render input gpio lp audio; do echo \" \$groups \" | grep -q \" \$g \" || exit 1; done"
check "/etc/qrpos/board.toml and terminal.toml are conffiles" \
    sh -c "[ \$(chroot '$root' dpkg-query -W -f='\${Conffiles}' qrpos | grep -c /etc/qrpos/) = 2 ]"
check "qrpos.service enabled (starts once provisioned)" \
    test -L "$root/etc/systemd/system/multi-user.target.wants/qrpos.service"
check "udev rules installed" test -f "$root/usr/lib/udev/rules.d/60-qrpos-gpio.rules"
# The unit, checked against this root's files (ExecStart, the other units) by the host's systemd-analyze; it
# exits 0 on an unknown key, so any line about qrpos.service fails the check too.
check "systemd-analyze verify qrpos.service" \
    sh -c "out=\$(systemd-analyze verify --root='$root' /usr/lib/systemd/system/qrpos.service 2>&1) && echo \"\$out\" && ! echo \"\$out\" | grep -q qrpos"

# 2. The program runs from the installed files alone (assets, boards through /usr/share/qrpos, fonts).
# The self-test runs in the clean root: no host answers there, so acquirer and certificate fail; the devices pass.
check "qrpos selftest on the simulated board" sh -c "chroot '$root' qrpos selftest --board /usr/share/qrpos/boards/sim --state /tmp/st | grep -q 'PASS  display'"
check "qrpos code --help (the subcommand, not the top-level help)" sh -c "chroot '$root' qrpos code --help | grep -q 'USAGE: qrpos code'"
check "qrpos code encode/decode a JPQR (wallet registry from /usr/share/qrpos)" sh -c \
    "code=\$(chroot '$root' qrpos code encode jpqr --jpqr-id 0000000000001-0001-000001-000001 --name SHOP --city OSAKA --postal 5540044 --mcc 5812 --amount 1200) && chroot '$root' qrpos code decode \"\$code\" | grep -q '\"valid\":true'"
check "qrpos screen show-code (fonts, screen texts, Board/sim through /usr/share/qrpos)" \
    sh -c "chroot '$root' qrpos screen show-code --size 800x480 --amount 1200 --png /tmp/show-code.png && test -s '$root/tmp/show-code.png'"
check "qrpos pki dev (certificates for the acquirer link)" \
    sh -c "chroot '$root' qrpos pki dev --out /tmp/pki --terminal-id DEB-0001 && test -s '$root/tmp/pki/terminal.pem'"
check "Board/sim (the program's lookup) and boards/sim are the same folder" \
    test "$(in_root readlink -f /usr/share/qrpos/Board/sim)" = /usr/share/qrpos/boards/sim
check "acquirer-sim --help" sh -c "chroot '$root' acquirer-sim --help | grep -q 'acquirer host'"
check "files of qrpos under /usr/share/qrpos are root-owned and readable" \
    sh -c "[ -z \"\$(find '$root/usr/share/qrpos' ! -user root -o -type f ! -perm -0444)\" ]"

# 3. Reinstall the same version, then upgrade to a higher one: state and a technician's edits survive.
in_root sh -c 'echo kept > /var/lib/qrpos/journal.sqlite && chown qrpos:qrpos /var/lib/qrpos/journal.sqlite'
echo "# edited by a technician" >> "$root/etc/qrpos/terminal.toml"
check "reinstall the same version" apt_in_root install --reinstall "/tmp/$(basename "$deb")"
# The next version: the same packages with a higher Version (qrpos-acquirer-sim depends on qrpos's exact version).
for pkg in "$deb" "$sim_deb"; do
    name=$(dpkg-deb -f "$pkg" Package) next=$root/tmp/next
    dpkg-deb -R "$pkg" "$next" && sed -i "s/^Version: .*/Version: $version+test1/; s/(= $version)/(= $version+test1)/" "$next/DEBIAN/control"
    dpkg-deb --root-owner-group -Zgzip -b "$next" "$root/tmp/$name-next.deb" > /dev/null && rm -rf "$next"
done
check "upgrade to $version+test1" apt_in_root install /tmp/qrpos-next.deb /tmp/qrpos-acquirer-sim-next.deb
check "upgrade: the new versions are installed" test "$(in_root dpkg-query -W -f='${Version} ' qrpos qrpos-acquirer-sim)" = "$version+test1 $version+test1 "
check "upgrade: /var/lib/qrpos/journal.sqlite kept" grep -qx kept "$root/var/lib/qrpos/journal.sqlite"
check "upgrade: /var/lib/qrpos still 0700 qrpos:qrpos" test "$(in_root stat -c '%a %U:%G' /var/lib/qrpos)" = "700 qrpos:qrpos"
check "upgrade: the technician's terminal.toml kept" grep -q "edited by a technician" "$root/etc/qrpos/terminal.toml"

# 4. Remove keeps the state and the conffiles; installing again on top of them works; purge removes them.
check "remove qrpos (and the simulator that depends on it)" apt_in_root remove qrpos
check "remove: /usr/bin/qrpos gone" test ! -e "$root/usr/bin/qrpos"
check "remove: /var/lib/qrpos kept" test -f "$root/var/lib/qrpos/journal.sqlite"
check "remove: /etc/qrpos/terminal.toml kept" test -f "$root/etc/qrpos/terminal.toml"
check "install again after remove" apt_in_root install /tmp/qrpos-next.deb
check "install again: journal kept" grep -qx kept "$root/var/lib/qrpos/journal.sqlite"
check "purge qrpos" apt_in_root purge qrpos
check "purge: /var/lib/qrpos gone" test ! -e "$root/var/lib/qrpos"
check "purge: /etc/qrpos gone" test ! -e "$root/etc/qrpos"
check "purge: no enable link left" test ! -e "$root/etc/systemd/system/multi-user.target.wants/qrpos.service"
check "purge twice is harmless" in_root dpkg --purge qrpos

if [ "$failures" = 0 ]; then echo "deb-test: PASS"; else echo "deb-test: FAIL ($failures checks)"; exit 1; fi
