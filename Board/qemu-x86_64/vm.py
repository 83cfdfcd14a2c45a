#!/usr/bin/env python3
"""The virtual board: Debian's own amd64 kernel under QEMU (TCG), with real drivers and no hardware.

  vm.py prepare            fetch Debian's current kernel image, modules, headers and source (resolved with apt
                           now: the mirror moves), build gpio-sim out of tree, assemble the initramfs. Cached in
                           Board/qemu-x86_64/cache/; run again, it only checks the mirror's version.
  vm.py boot               boot the board to a root shell on this terminal (the serial console). `exit` powers it
                           off, Ctrl-a x stops QEMU at once, Ctrl-a c switches to the QEMU monitor and back.
  vm.py run -- CMD [ARG..] run CMD in the board's shell (working directory: the repository), show its output,
                           exit with its status.
  vm.py screendump FILE    save what the board's display shows now (a VM started by boot or run) as PNG or PPM.
  vm.py test               `make vm-test`: every Linux device backend against the real drivers (see guest_test.py).

Options: --bin DIR  where qrpos and acquirer-sim were built on the host (default .build/debug)
         --board DIR the board folder (default Board/qemu-x86_64); its [lights] names the gpio-sim lines.

Inside, the host's root is mounted read-only over 9p (so the binaries built here run unchanged), /tmp and /run
are in memory, and Board/qemu-x86_64/cache/run is shared read-write at /run/qrpos-vm.
Environment: QRPOS_VM_ACCEL=kvm where KVM works (default tcg), QRPOS_VM_MEMORY (MiB, default 2048).
"""
import argparse
import atexit
import gzip
import hashlib
import json
import os
import re
import shlex
import shutil
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
import zlib
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
CACHE = HERE / "cache"
RUN = CACHE / "run"
# What the scripts need on the host, as Debian packages (installed when missing, as `make deps` does).
PACKAGES = ["qemu-system-x86", "busybox-static", "build-essential", "kmod", "xz-utils", "zbar-tools", "v4l-utils"]
# The drivers the board uses, loaded by /init; their dependencies come along.
MODULES = ["virtio_pci", "9pnet_virtio", "9p", "bochs", "vivid", "configfs", "gpio-sim"]
SBIN = "/usr/local/sbin:/usr/sbin:/sbin"
# The checks guest_test.py runs, in order; each must report.
STEPS = ["devices", "drm", "fbdev", "lights", "camera", "loopback", "sale"]
START = time.monotonic()


def log(text: str) -> None:
    print(f"vm: {text}", flush=True)


class Failure(Exception):
    pass


def run(cmd, cwd=None, capture=False, check=True, env=None, quiet=False):
    """Runs a command; on failure raises Failure with its output."""
    if not quiet:
        log("$ " + " ".join(shlex.quote(str(c)) for c in cmd))
    result = subprocess.run([str(c) for c in cmd], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE if capture else None, stderr=subprocess.PIPE if capture else None)
    if check and result.returncode != 0:
        detail = ((result.stdout or "") + (result.stderr or "")).strip()
        raise Failure(f"{cmd[0]} exited with {result.returncode}" + (f":\n{detail[-4000:]}" if detail else ""))
    return result


def tool(name: str) -> str:
    found = shutil.which(name, path=os.environ.get("PATH", "") + ":" + SBIN)
    if not found:
        raise Failure(f"{name} is not installed")
    return found


# MARK: host packages

def sudo() -> list:
    return [] if os.geteuid() == 0 else ["sudo"]


def apt_lists_present() -> bool:
    lists = Path("/var/lib/apt/lists")
    return any(p.name.endswith("_Packages") or p.name.endswith("_Packages.lz4") for p in lists.glob("*")) if lists.exists() else False


def apt_update(reason: str) -> None:
    log(f"apt-get update ({reason})")
    run(sudo() + ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "update", "-q"])


def ensure_packages() -> None:
    missing = []
    for package in PACKAGES:
        status = subprocess.run(["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True)
        if "ok installed" not in status.stdout:
            missing.append(package)
    if not missing:
        return
    log("installing " + " ".join(missing))
    command = sudo() + ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-q", "--no-install-recommends"] + missing
    if not apt_lists_present() or subprocess.run(command).returncode != 0:
        apt_update("package lists missing or stale")
        run(command)


# MARK: Debian's kernel, resolved now

def apt_cache(*args) -> str:
    return run(["apt-cache", *args], capture=True, quiet=True).stdout


def depends(package: str) -> list:
    names = []
    for line in apt_cache("depends", package).splitlines():
        match = re.match(r"\s*\|?(?:Pre)?Depends:\s+(\S+)", line)
        if match and not match.group(1).startswith("<"):
            names.append(match.group(1))
    return names


def candidate(package: str) -> str:
    match = re.search(r"Candidate:\s+(\S+)", apt_cache("policy", package))
    if not match or match.group(1) == "(none)":
        raise Failure(f"apt has no candidate for {package}")
    return match.group(1)


def resolve() -> dict:
    """Debian's current amd64 kernel, every package from one build of Debian's `linux` source package.

    The ABI comes from linux-headers-amd64 (built with linux-source and the unsigned image). The signed image
    (linux-signed-amd64) is uploaded a little later: until it catches up, the unsigned image of the same
    build is taken (the VM does not need a signature)."""
    headers = next((d for d in depends("linux-headers-amd64") if d.startswith("linux-headers-")), None)
    if not headers:
        raise Failure("linux-headers-amd64 depends on no linux-headers-* package")
    release = headers.removeprefix("linux-headers-")
    version = candidate(headers)
    source = "linux-source-" + ".".join(release.split(".")[:2])
    if candidate(source) != version:
        raise Failure(f"{source} is at {candidate(source)} but {headers} at {version}: the apt lists are inconsistent")
    image = "linux-image-" + release
    if candidate(image) != version:
        image += "-unsigned"
        if candidate(image) != version:
            raise Failure(f"no linux-image-{release} at {version} (signed or unsigned)")
    header_deps = [d for d in depends(headers) if d.startswith(("linux-headers-", "linux-kbuild-"))]
    packages = {image: version, headers: version, source: version}
    for dep in header_deps:
        packages[dep] = candidate(dep)
    return {"release": release, "version": version, "image": image, "headers": headers, "source": source,
            "header_deps": header_deps, "packages": packages}


def resolve_current() -> dict:
    """Resolves with the local lists; refreshes them when they are missing or a day old."""
    stale = not apt_lists_present()
    cache_file = Path("/var/cache/apt/pkgcache.bin")
    if not stale and cache_file.exists() and time.time() - cache_file.stat().st_mtime > 86400:
        stale = True
    if stale:
        try:
            apt_update("resolving Debian's current kernel")
        except Failure as error:
            log(f"apt-get update failed ({error}); using the lists there are")
    return resolve()


def download(kernel: dict) -> Path:
    folder = CACHE / "debs" / kernel["version"]
    folder.mkdir(parents=True, exist_ok=True)
    for package, version in kernel["packages"].items():
        if list(folder.glob(f"{package}_*.deb")):
            continue
        extra = ["-o", "APT::Sandbox::User=root"] if os.geteuid() == 0 else []
        log(f"downloading {package} {version}")
        run(["apt-get", *extra, "download", f"{package}={version}"], cwd=folder)
    return folder


def deb(folder: Path, package: str) -> Path:
    found = sorted(folder.glob(f"{package}_*.deb"))
    if not found:
        raise Failure(f"{package} was not downloaded into {folder}")
    return found[0]


# MARK: building

def build_gpio_sim(kernel: dict, debs: Path, kdir: Path) -> Path:
    """gpio-sim from linux-source, its irq_sim use removed, against the matching linux-headers."""
    module = kdir / "gpio-sim" / "gpio-sim.ko"
    if module.exists():
        return module
    release = kernel["release"]
    headers_root = kdir / "headers"
    if not (headers_root / ".done").exists():
        shutil.rmtree(headers_root, ignore_errors=True)
        headers_root.mkdir(parents=True)
        for package in [kernel["headers"], *kernel["header_deps"]]:
            run(["dpkg-deb", "-x", deb(debs, package), headers_root])
        # The arch Makefile includes the common tree by absolute path (/usr/src/...): point it at ours.
        makefile = headers_root / "usr/src" / f"linux-headers-{release}" / "Makefile"
        makefile.write_text(makefile.read_text().replace("include /usr/src/", f"include {headers_root}/usr/src/"))
        (headers_root / ".done").touch()
    build = kdir / "gpio-sim"
    shutil.rmtree(build, ignore_errors=True)
    build.mkdir(parents=True)
    tree = kernel["source"]  # linux-source-6.1: the tarball and its top folder have this name
    members = [f"{tree}/drivers/gpio/gpio-sim.c", f"{tree}/drivers/gpio/gpiolib.h"]
    log(f"extracting gpio-sim.c and gpiolib.h from {deb(debs, tree).name}")
    pipeline = (f"dpkg-deb --fsys-tarfile {shlex.quote(str(deb(debs, tree)))} | tar -xO ./usr/src/{tree}.tar.xz"
                f" | tar -xJ -C {shlex.quote(str(build))} --strip-components=3 " + " ".join(members))
    run(["bash", "-o", "pipefail", "-c", pipeline])
    run([sys.executable, HERE / "gpio-sim-no-irq.py", build / "gpio-sim.c"])
    (build / "Kbuild").write_text("obj-m := gpio-sim.o\n")
    run(["make", "-j2", "-C", headers_root / "usr/src" / f"linux-headers-{release}", f"M={build}", "modules"], capture=True)
    if not module.exists():
        raise Failure("the gpio-sim build made no gpio-sim.ko")
    info = run(["modinfo", "-F", "vermagic", module], capture=True, quiet=True).stdout.split()
    if not info or info[0] != release:
        raise Failure(f"gpio-sim.ko was built for {info[:1]}, not {release}")
    log(f"built {module.relative_to(REPO)} for {release}")
    return module


def extract_modules(kernel: dict, debs: Path, kdir: Path, gpio_sim: Path) -> Path:
    """vmlinuz, and the modules /init loads with everything they depend on (modules.dep made by depmod)."""
    tree = kdir / "modules"
    release = kernel["release"]
    if (tree / ".done").exists() and (kdir / "vmlinuz").exists():
        return tree
    shutil.rmtree(tree, ignore_errors=True)
    with tempfile.TemporaryDirectory(dir=CACHE) as scratch:
        image = Path(scratch)
        log(f"extracting {deb(debs, kernel['image']).name}")
        run(["dpkg-deb", "-x", deb(debs, kernel["image"]), image])
        shutil.copy(image / "boot" / f"vmlinuz-{release}", kdir / "vmlinuz")
        moddir = image / "lib/modules" / release
        (moddir / "extra").mkdir(exist_ok=True)
        shutil.copy(gpio_sim, moddir / "extra/gpio-sim.ko")
        run([tool("depmod"), "-b", image, release], quiet=True)
        needed = []
        for name in MODULES:
            out = run([tool("modprobe"), "-d", image, "-S", release, "--show-depends", name], capture=True, quiet=True).stdout
            for line in out.splitlines():
                parts = line.split()
                if parts and parts[0] == "insmod" and parts[1] not in needed:
                    needed.append(parts[1])
        target = tree / "lib/modules" / release
        for path in needed:
            relative = Path(path).relative_to(moddir)
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(path, target / relative)
        for meta in ["modules.builtin", "modules.builtin.modinfo", "modules.order"]:
            if (moddir / meta).exists():
                shutil.copy(moddir / meta, target / meta)
        run([tool("depmod"), "-b", tree, release], quiet=True)
    (tree / ".done").write_text("\n".join(str(Path(p).relative_to(moddir)) for p in needed) + "\n")
    log(f"{len(needed)} modules for the initramfs")
    return tree


def static_busybox() -> Path:
    busybox = Path("/bin/busybox")
    data = busybox.read_bytes() if busybox.exists() else b""
    if data[:4] != b"\x7fELF":
        raise Failure("/bin/busybox is missing: install busybox-static")
    # A dynamically linked busybox has a PT_INTERP program header; the initramfs has no libc for it.
    phoff, = struct.unpack_from("<Q", data, 0x20)
    phentsize, phnum = struct.unpack_from("<HH", data, 0x36)
    if any(struct.unpack_from("<I", data, phoff + i * phentsize)[0] == 3 for i in range(phnum)):
        raise Failure("/bin/busybox is dynamically linked: install busybox-static (it replaces busybox)")
    return busybox


def newc(entries) -> bytes:
    """A cpio archive in the kernel's initramfs format (newc), made without root (device nodes included)."""
    out = bytearray()
    for ino, (name, mode, data, rdev) in enumerate(entries + [("TRAILER!!!", 0, b"", (0, 0))], start=1):
        encoded = name.encode() + b"\0"
        fields = [ino, mode, 0, 0, 1, 0, len(data), 0, 0, rdev[0], rdev[1], len(encoded), 0]
        out += b"070701" + b"".join(b"%08X" % f for f in fields) + encoded
        out += b"\0" * (-len(out) % 4) + data
        out += b"\0" * (-len(out) % 4)
    return bytes(out)


def build_initramfs(kernel: dict, kdir: Path, modules: Path) -> Path:
    busybox = static_busybox()
    init = HERE / "init"
    inputs = hashlib.sha256(init.read_bytes() + busybox.read_bytes() + (modules / ".done").read_bytes()).hexdigest()
    image, stamp = kdir / "initramfs.cpio.gz", kdir / "initramfs.sha256"
    if image.exists() and stamp.exists() and stamp.read_text() == inputs:
        return image
    entries = []
    for folder in ["bin", "dev", "proc", "sys", "tmp", "newroot", "share", "lib", "lib/modules"]:
        entries.append((folder, stat.S_IFDIR | 0o755, b"", (0, 0)))
    entries.append(("dev/console", stat.S_IFCHR | 0o600, b"", (5, 1)))
    entries.append(("bin/busybox", stat.S_IFREG | 0o755, busybox.read_bytes(), (0, 0)))
    entries.append(("init", stat.S_IFREG | 0o755, init.read_bytes(), (0, 0)))
    for path in sorted((modules / "lib").rglob("*")):
        name = str(path.relative_to(modules))
        if path.is_dir():
            entries.append((name, stat.S_IFDIR | 0o755, b"", (0, 0)))
        else:
            entries.append((name, stat.S_IFREG | 0o644, path.read_bytes(), (0, 0)))
    image.write_bytes(gzip.compress(newc(entries), compresslevel=6, mtime=0))
    stamp.write_text(inputs)
    log(f"initramfs {image.relative_to(REPO)}: {image.stat().st_size // 1024} KiB")
    return image


def prune(keep: Path) -> None:
    """Old kernels and their downloads go when a newer one is ready."""
    for old in (CACHE / "kernel").glob("*"):
        if old != keep and old.is_dir():
            log(f"removing the old kernel {old.name}")
            shutil.rmtree(old, ignore_errors=True)
    for old in (CACHE / "debs").glob("*"):
        if old.name != keep.name.split("_", 1)[1] and old.is_dir():
            shutil.rmtree(old, ignore_errors=True)


def prepare() -> dict:
    started = time.monotonic()
    ensure_packages()
    try:
        kernel = resolve_current()
    except Failure as error:
        ready = sorted((CACHE / "kernel").glob("*/initramfs.cpio.gz"))
        if not ready:
            raise
        log(f"cannot resolve Debian's kernel ({error}); using the cached {ready[-1].parent.name}")
        kdir = ready[-1].parent
        return {"kdir": kdir, "release": kdir.name.split("_")[0], "vmlinuz": kdir / "vmlinuz", "initramfs": ready[-1]}
    kdir = CACHE / "kernel" / f"{kernel['release']}_{kernel['version']}"
    kdir.mkdir(parents=True, exist_ok=True)
    if not (kdir / "vmlinuz").exists() or not (kdir / "gpio-sim/gpio-sim.ko").exists():
        log(f"Debian's current amd64 kernel: {kernel['release']} ({kernel['version']})")
        try:
            debs = download(kernel)
        except Failure:
            apt_update("a download failed: the mirror moved on")
            kernel = resolve()
            kdir = CACHE / "kernel" / f"{kernel['release']}_{kernel['version']}"
            kdir.mkdir(parents=True, exist_ok=True)
            debs = download(kernel)
    else:
        debs = CACHE / "debs" / kernel["version"]
    gpio_sim = build_gpio_sim(kernel, debs, kdir)
    modules = extract_modules(kernel, debs, kdir, gpio_sim)
    initramfs = build_initramfs(kernel, kdir, modules)
    prune(kdir)
    log(f"ready: kernel {kernel['release']} ({kernel['version']}) in {time.monotonic() - started:.1f} s")
    return {"kdir": kdir, "release": kernel["release"], "vmlinuz": kdir / "vmlinuz", "initramfs": initramfs}


# MARK: booting

def board_lines(board: Path) -> list:
    """The gpio-sim line names, in the order of the board's [lights] (green, amber, red, then others)."""
    with open(board / "board.toml", "rb") as f:
        lights = tomllib.load(f).get("lights", {})
    wired = [(name, spec) for name, spec in lights.items() if isinstance(spec, dict) and isinstance(spec.get("line"), str)]
    order = {"green": 0, "amber": 1, "red": 2}
    wired.sort(key=lambda item: (order.get(item[0], 3), item[0]))
    if not wired:
        raise Failure(f"{board}/board.toml names no gpio lines in [lights]")
    return [spec["line"] for _, spec in wired]


def fresh_run_folder() -> None:
    RUN.mkdir(parents=True, exist_ok=True)
    for entry in RUN.iterdir():
        shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()


def qemu_command(ready: dict, board: Path, bin_dir: Path, serial: str, qmp: str) -> list:
    size = shutil.get_terminal_size((80, 24))
    cmdline = " ".join([
        "console=ttyS0", "loglevel=4", "panic=-1", "vt.global_cursor_default=0",
        f"qrpos.lines={','.join(board_lines(board))}", f"qrpos.repo={REPO}", f"qrpos.bin={bin_dir}",
        f"qrpos.rows={size.lines}", f"qrpos.cols={size.columns}",
    ])
    accel = os.environ.get("QRPOS_VM_ACCEL", "tcg")
    return [
        tool("qemu-system-x86_64"), "-nodefaults", "-no-user-config", "-machine", "pc",
        "-accel", "tcg,thread=multi" if accel == "tcg" else accel, "-cpu", "max", "-smp", "2",
        "-m", os.environ.get("QRPOS_VM_MEMORY", "2048"),
        "-vga", "std", "-display", "none",
        "-kernel", str(ready["vmlinuz"]), "-initrd", str(ready["initramfs"]), "-append", cmdline,
        "-fsdev", "local,id=hostroot,path=/,security_model=none,readonly=on,multidevs=remap",
        "-device", "virtio-9p-pci,fsdev=hostroot,mount_tag=hostroot",
        # The repository on its own share: a clone under /tmp or /run (CI's) would be hidden by the guest's tmpfs.
        "-fsdev", f"local,id=repo,path={REPO},security_model=none,readonly=on,multidevs=remap",
        "-device", "virtio-9p-pci,fsdev=repo,mount_tag=repo",
        "-fsdev", f"local,id=share,path={RUN},security_model=none",
        "-device", "virtio-9p-pci,fsdev=share,mount_tag=share",
        "-qmp", f"unix:{qmp},server=on,wait=off",
        "-serial", serial, "-no-reboot",
    ]


def qmp_socket_path() -> str:
    # Under /tmp: a unix socket path must stay short (108 bytes), wherever the repository is.
    folder = Path(tempfile.mkdtemp(prefix="qrpos-vm-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = str(folder / "qmp.sock")
    (RUN / "qmp-socket").write_text(path + "\n")
    return path


class QMP:
    """QEMU's machine protocol on its unix socket: enough for screendump."""

    def __init__(self, path: str, timeout: float = 30):
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise Failure(f"no QEMU monitor at {path}")
                time.sleep(0.1)
        self.sock.settimeout(timeout)
        self.file = self.sock.makefile("rw")
        self.read()
        self.call("qmp_capabilities")

    def read(self) -> dict:
        while True:
            line = self.file.readline()
            if not line:
                raise Failure("QEMU closed its monitor")
            message = json.loads(line)
            if "event" not in message:
                return message

    def call(self, command: str, **arguments) -> dict:
        self.file.write(json.dumps({"execute": command, "arguments": arguments} if arguments else {"execute": command}) + "\n")
        self.file.flush()
        answer = self.read()
        if "error" in answer:
            raise Failure(f"QEMU {command}: {answer['error'].get('desc')}")
        return answer.get("return", {})

    def close(self) -> None:
        self.sock.close()


def read_ppm(path: Path):
    data = path.read_bytes()
    tokens, position = [], 0
    while len(tokens) < 4:
        while data[position:position + 1].isspace():
            position += 1
        if data[position:position + 1] == b"#":
            position = data.index(b"\n", position)
            continue
        end = position
        while not data[end:end + 1].isspace():
            end += 1
        tokens.append(data[position:end])
        position = end
    if tokens[0] != b"P6" or int(tokens[3]) != 255:
        raise Failure(f"{path} is not an 8-bit P6 PPM")
    width, height = int(tokens[1]), int(tokens[2])
    return width, height, data[position + 1:position + 1 + width * height * 3]


def write_png(path: Path, width: int, height: int, rgb: bytes) -> None:
    """RGB PNG with zlib alone (no PIL, no ImageMagick)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    rows = b"".join(b"\0" + rgb[y * width * 3:(y + 1) * width * 3] for y in range(height))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(rows, 6)) + chunk(b"IEND", b""))


def read_png_luma(path: Path):
    """An 8-bit PNG (grey, grey+alpha, RGB or RGBA, not interlaced) as one luma byte per pixel."""
    data = path.read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise Failure(f"{path} is not a PNG")
    position, idat, header = 8, b"", None
    while position < len(data):
        length, kind = struct.unpack_from(">I4s", data, position)
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        position += 12 + length
    width, height, depth, colour, _, _, interlace = header
    channels = {0: 1, 4: 2, 2: 3, 6: 4}.get(colour)
    if depth != 8 or channels is None or interlace:
        raise Failure(f"{path}: only 8-bit non-interlaced grey/RGB PNGs are read here")
    raw, stride = zlib.decompress(idat), width * channels
    previous, pixels = bytearray(stride), bytearray()
    for y in range(height):
        kind, row = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            left = row[x - channels] if x >= channels else 0
            up, corner = previous[x], previous[x - channels] if x >= channels else 0
            if kind == 1:
                row[x] = (row[x] + left) & 255
            elif kind == 2:
                row[x] = (row[x] + up) & 255
            elif kind == 3:
                row[x] = (row[x] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                row[x] = (row[x] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 255
        previous = row
        if channels <= 2:
            pixels += row[::channels]
        else:
            for x in range(0, stride, channels):
                pixels.append((77 * row[x] + 150 * row[x + 1] + 29 * row[x + 2] + 128) >> 8)
    return width, height, bytes(pixels)


def screendump(qmp: QMP, name: str):
    """The display as QEMU scans it out: a PPM, also saved as PNG for people to look at."""
    screens = RUN / "screens"
    screens.mkdir(exist_ok=True)
    ppm = screens / f"{name}.ppm"
    qmp.call("screendump", filename=str(ppm))
    width, height, rgb = read_ppm(ppm)
    write_png(screens / f"{name}.png", width, height, rgb)
    return ppm, width, height


def zbar_read(image: Path) -> list:
    result = subprocess.run([tool("zbarimg"), "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(image)],
                            capture_output=True)
    if result.returncode not in (0, 4):
        raise Failure(f"zbarimg {image}: exit {result.returncode}: {result.stderr.decode(errors='replace').strip()}")
    return [line for line in result.stdout.decode("utf-8", errors="replace").splitlines() if line]


# MARK: commands

def boot_interactive(args) -> int:
    ready = prepare()
    fresh_run_folder()
    qmp = qmp_socket_path()
    command = qemu_command(ready, args.board, args.bin, "mon:stdio", qmp)
    log("booting the board: `exit` powers it off, Ctrl-a x stops QEMU at once, Ctrl-a c toggles the QEMU monitor "
        f"(`screendump FILE.ppm`); from another terminal: {Path(sys.argv[0])} screendump FILE.png")
    return subprocess.run(command).returncode


def run_in_vm(args) -> int:
    if not args.command:
        raise Failure("vm.py run -- COMMAND [ARGS...]")
    ready = prepare()
    fresh_run_folder()
    (RUN / "autorun").write_text("#!/bin/bash\n" + " ".join(shlex.quote(c) for c in args.command) + "\n")
    qmp = qmp_socket_path()
    command = qemu_command(ready, args.board, args.bin, "stdio", qmp)
    code = subprocess.run(command, stdin=subprocess.DEVNULL).returncode
    status = RUN / "exit-status"
    if not status.exists():
        log(f"the VM stopped (QEMU exit {code}) before the command finished")
        return 1
    return int(status.read_text().strip() or 1)


def screendump_command(args) -> int:
    path = (RUN / "qmp-socket").read_text().strip() if (RUN / "qmp-socket").exists() else ""
    if not path or not os.path.exists(path):
        raise Failure("no running board (start one with vm.py boot)")
    qmp = QMP(path, timeout=5)
    target = Path(args.file).resolve()
    ppm, width, height = screendump(qmp, "manual")
    if target.suffix == ".png":
        shutil.copy(ppm.with_suffix(".png"), target)
    else:
        shutil.copy(ppm, target)
    codes = zbar_read(ppm)
    log(f"{target}: {width}x{height}" + (f"; QR: {codes}" if codes else "; no QR code on screen"))
    return 0


class TestRun:
    """`make vm-test`: boots the board with guest_test.py as its command and serves its requests."""

    def __init__(self, args):
        self.args = args
        self.steps = {}
        self.current = "boot"
        self.exit_status = None
        self.booted_at = None
        self.lock = threading.Lock()

    def elapsed(self) -> str:
        return f"{time.monotonic() - START:6.1f}s"

    def say(self, text: str) -> None:
        print(f"[{self.elapsed()}] {text}", flush=True)

    def shopper_frame(self) -> None:
        """The shopper's phone for vivid's video output: `qrpos present`, made a raw 1280x720 GREY frame."""
        payload = "900081818812345678901234"
        folder = RUN / "shopper"
        out = run([self.args.bin / "qrpos", "present", payload, "--into", folder], capture=True, cwd=REPO, quiet=True).stdout.split()
        width, height, luma = read_png_luma(Path(out[0]))
        frame_w, frame_h = 1280, 720
        if width > frame_w or height > frame_h:
            raise Failure(f"the shopper's image is {width}x{height}, larger than the {frame_w}x{frame_h} frame")
        frame = bytearray([176]) * (frame_w * frame_h)
        left, top = (frame_w - width) // 2, (frame_h - height) // 2
        for y in range(height):
            frame[(top + y) * frame_w + left:(top + y) * frame_w + left + width] = luma[y * width:(y + 1) * width]
        (RUN / "shopper-1280x720.grey").write_bytes(bytes(frame))
        (RUN / "shopper.json").write_text(json.dumps({"payload": payload, "symbology": out[1], "wallet": out[2],
                                                      "width": frame_w, "height": frame_h, "format": "GREY"}))

    def handle(self, qmp: QMP, message: dict) -> None:
        event = message.get("event")
        if event == "booted":
            self.booted_at = time.monotonic()
            self.say(f"booted: init to chroot in {float(message.get('uptime', 0)):.1f} s of guest uptime, "
                     f"{self.booted_at - self.qemu_started:.1f} s from starting QEMU")
        elif event == "step-start":
            self.current = message["step"]
        elif event == "step":
            self.steps[message["step"]] = message
        elif event == "exit":
            self.exit_status = message.get("status")
        elif event == "boot-failed":
            self.steps["boot"] = {"step": "boot", "ok": False, "detail": message.get("why")}
        elif event == "screendump":
            threading.Thread(target=self.serve_screendump, args=(qmp, message), daemon=True).start()

    def serve_screendump(self, qmp: QMP, request: dict) -> None:
        """Takes screendumps until zbarimg's reading matches the request or `within` seconds pass: a panel
        shows a frame some time after it is written (fbdev emulation flushes its shadow buffer from a worker)."""
        name = request["name"]
        answer = {"ok": False}
        try:
            started, attempts = time.monotonic(), 0
            while True:
                attempts += 1
                with self.lock:
                    ppm, width, height = screendump(qmp, name)
                codes = zbar_read(ppm)
                answer.update(read=codes, width=width, height=height, png=str((RUN / "screens" / f"{name}.png").relative_to(REPO)))
                if request.get("absent"):
                    answer["ok"] = not codes
                    answer["detail"] = "no code on screen" if not codes else f"a code is still on screen: {codes}"
                elif request.get("contains"):
                    wanted = request["contains"]
                    answer["ok"] = len(codes) == 1 and all(part in codes[0] for part in wanted)
                    answer["detail"] = (f"zbarimg read one code holding {wanted}" if answer["ok"] else
                                        f"zbarimg read {codes!r}, expected one code holding {wanted}")
                else:
                    expected = request["expect"]
                    answer["ok"] = codes == [expected]
                    answer["detail"] = ("zbarimg read exactly the payload shown" if answer["ok"] else
                                        f"zbarimg read {codes!r}, expected [{expected!r}]")
                if answer["ok"] or time.monotonic() - started > request.get("within", 10):
                    break
                time.sleep(0.5)
            answer["detail"] += f" ({attempts} screendump{'s' if attempts > 1 else ''} in {time.monotonic() - started:.1f} s)"
            if answer["ok"] and codes:
                # What the code on screen is, by the same rules a wallet applies (CRC, JPQR fields).
                decoded = run([self.args.bin / "qrpos", "code", "decode", codes[0]], capture=True, cwd=REPO, check=False, quiet=True)
                answer["decoded"] = json.loads(decoded.stdout) if decoded.stdout.strip().startswith("{") else decoded.stdout
                answer["decode_status"] = decoded.returncode
            self.say(f"screendump {name}: {width}x{height} -> {answer.get('png')}: " + answer["detail"])
        except Exception as error:  # the guest waits for an answer whatever happened
            answer["detail"] = f"screendump failed: {error}"
            self.say(answer["detail"])
        partial = RUN / f".ack-{name}.json"
        partial.write_text(json.dumps(answer, ensure_ascii=False))
        partial.rename(RUN / f"ack-{name}.json")

    def go(self) -> int:
        ready = prepare()
        for binary in ["qrpos", "acquirer-sim"]:
            if not (self.args.bin / binary).exists():
                raise Failure(f"{self.args.bin / binary} is missing: build it first (make vm-test does)")
        fresh_run_folder()
        self.shopper_frame()
        if self.args.only:
            unknown = [name for name in self.args.only.split(",") if name not in STEPS]
            if unknown:
                raise Failure(f"unknown step(s) {', '.join(unknown)}; the steps are {', '.join(STEPS)}")
            (RUN / "only-steps").write_text(" ".join(self.args.only.split(",")) + "\n")
        (RUN / "autorun").write_text('#!/bin/bash\nexec /usr/bin/python3 -u "$QRPOS_VM_REPO/Board/qemu-x86_64/guest_test.py"\n')
        qmp_path = qmp_socket_path()
        command = qemu_command(ready, self.args.board, self.args.bin, "stdio", qmp_path)
        self.say(f"booting Debian's {ready['release']} under QEMU (TCG, -vga std) with {self.args.bin} from the host")
        self.qemu_started = time.monotonic()
        qemu = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        qmp = QMP(qmp_path)
        console = []
        deadline = time.monotonic() + self.args.timeout
        self.last_output = time.monotonic()

        def watchdog():
            while qemu.poll() is None:
                silent = time.monotonic() - self.last_output
                if time.monotonic() > deadline or silent > self.args.stall:
                    why = (f"TIMEOUT after {self.args.timeout} s" if time.monotonic() > deadline
                           else f"the guest printed nothing for {silent:.0f} s")
                    self.say(f"{why} in step {self.current}: asking the kernel what it is doing, then stopping QEMU")
                    self.kernel_dump(qmp)
                    qemu.kill()
                    return
                time.sleep(1)
        threading.Thread(target=watchdog, daemon=True).start()
        for raw in qemu.stdout:
            self.last_output = time.monotonic()
            line = raw.decode("utf-8", errors="replace").rstrip("\r\n")
            console.append(line)
            if line.startswith("@@qrpos-vm "):
                try:
                    self.handle(qmp, json.loads(line[len("@@qrpos-vm "):]))
                except json.JSONDecodeError:
                    self.say(line)
                continue
            print(f"[{self.elapsed()}] | {line}", flush=True)
        qemu.wait()
        qmp.close()
        return self.report(console)

    def kernel_dump(self, qmp: QMP) -> None:
        """Magic SysRq through the emulated keyboard (/init enables it): blocked tasks and every CPU's
        backtrace go to the serial console, so a hang in a driver shows where it is stuck."""
        try:
            with self.lock:
                for key in ["w", "l"]:
                    qmp.call("human-monitor-command", **{"command-line": f"sendkey alt-sysrq-{key}"})
                    time.sleep(3)
        except Exception as error:
            self.say(f"could not ask the kernel: {error}")

    def report(self, console: list) -> int:
        total = time.monotonic() - START
        failed = [name for name, step in self.steps.items() if not step.get("ok")]
        passed = [name for name, step in self.steps.items() if step.get("ok")]
        print()
        self.say(f"vm-test finished in {total:.1f} s (boot {self.booted_at - self.qemu_started:.1f} s)" if self.booted_at
                 else f"vm-test stopped after {total:.1f} s before the board booted")
        for name, step in self.steps.items():
            print(f"  {'ok  ' if step.get('ok') else 'FAIL'} {name}: {step.get('detail', '')}")
        complete = self.exit_status is not None
        if not complete:
            failed.append(self.current)
            print(f"  FAIL {self.current}: the VM stopped during this step (timeout, panic or crash)")
        else:
            # Every step must have reported: a guest script that dies early must not pass for a clean run.
            wanted = self.args.only.split(",") if self.args.only else STEPS
            for name in wanted:
                if name not in self.steps:
                    failed.append(name)
                    print(f"  FAIL {name}: never reported (guest_test.py exited with {self.exit_status}; "
                          f"see the console above)")
            if self.exit_status != 0 and not failed:
                failed.append("guest")
                print(f"  FAIL guest: guest_test.py exited with {self.exit_status}")
        if failed:
            dmesg = RUN / "dmesg.txt"
            print(f"\nvm-test FAILED in step(s): {', '.join(failed)}. Kernel log"
                  + (f" ({dmesg.relative_to(REPO)}):" if dmesg.exists() else " (the console, as the guest could not save it):"))
            text = dmesg.read_text(errors="replace").splitlines() if dmesg.exists() else console
            print("\n".join(text[-120:]))
            print(f"(logs and screendumps in {RUN.relative_to(REPO)}/)")
        print(f"vm-test: {len(passed)} passed, {len(failed)} failed")
        return 1 if failed else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter,
                                     epilog=__doc__.split("\n", 2)[2])
    parser.add_argument("--bin", type=Path, default=REPO / ".build" / "debug")
    parser.add_argument("--board", type=Path, default=HERE)
    sub = parser.add_subparsers(dest="what", required=True)
    sub.add_parser("prepare")
    sub.add_parser("boot")
    runner = sub.add_parser("run")
    runner.add_argument("command", nargs=argparse.REMAINDER)
    shot = sub.add_parser("screendump")
    shot.add_argument("file")
    tester = sub.add_parser("test")
    tester.add_argument("--timeout", type=int, default=900, help="seconds for the whole run in the VM")
    tester.add_argument("--stall", type=int, default=240, help="seconds the guest may print nothing before it counts as hung")
    tester.add_argument("--only", help="comma-separated steps to run (devices, drm, fbdev, lights, camera, loopback, sale)")
    args = parser.parse_args()
    args.bin = args.bin.resolve()
    args.board = args.board.resolve()
    # The guest sees the host's root, but its own /tmp and /run; the repository is shared on its own.
    if not args.bin.is_relative_to(REPO) and args.bin.parts[1:2] in (("tmp",), ("run",)):
        print(f"vm: {args.bin} is under /{args.bin.parts[1]}, which the board keeps in memory: build inside the repository "
              f"({REPO}) or elsewhere on disk", file=sys.stderr)
        return 2
    if getattr(args, "command", None) and args.command[:1] == ["--"]:
        args.command = args.command[1:]
    try:
        if args.what == "prepare":
            prepare()
            return 0
        if args.what == "boot":
            return boot_interactive(args)
        if args.what == "run":
            return run_in_vm(args)
        if args.what == "screendump":
            return screendump_command(args)
        return TestRun(args).go()
    except Failure as error:
        print(f"vm: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
