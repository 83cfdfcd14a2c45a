#!/usr/bin/env python3
"""`make image-test`: the technician's first boot of a qrpos image, in QEMU under UEFI (OVMF), one PASS/FAIL line a check.

  image-test.py --image IMG --debdir DIR [--work DIR] [--bundle FILE --bad-bundle FILE ...]

The image is copied (sparse) and made 512 MiB larger, as a disk bigger than the image is; the copy gets the test's
kernel arguments (serial console) in cmdline.cfg on its EFI partition (mtools) and a command agent on ttyS1 in root
slot A (debugfs). The shipped image has neither. On the host: acquirer-sim and qrpos from the .debs (dpkg-deb -x),
a development PKI whose host certificate names 10.0.2.2 (the host as the guest sees it), and a small SNTP server on
127.0.0.1:123 (the guest's timesyncd syncs from 10.0.2.2). The guest's ECR port is forwarded to 127.0.0.1:18417.
QEMU uses KVM when it works here (QRPOS_VM_ACCEL=kvm|tcg forces one), else TCG.
"""
import argparse
import base64
import json
import os
import shutil
import socket
import ssl
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
OVMF_CODE = Path("/usr/share/OVMF/OVMF_CODE_4M.fd")
OVMF_VARS = Path("/usr/share/OVMF/OVMF_VARS_4M.fd")
ACQUIRER_PORT, ENROLL_PORT, ECR_PORT = 18443, 18444, 18417
TERMINAL_ID = "IMAGE-0001"
START = time.monotonic()
results = []


def log(text):
    print(f"image-test [{time.monotonic() - START:6.1f}s] {text}", flush=True)


def check(name, ok, detail=""):
    line = f"{'PASS' if ok else 'FAIL'}: {name}" + (f" ({detail})" if detail else "")
    print(line, flush=True)
    results.append((ok, line))
    return ok


class Failure(Exception):
    pass


def run(cmd, **kw):
    result = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    if result.returncode != 0:
        raise Failure(f"{cmd[0]} exited {result.returncode}: {(result.stdout + result.stderr).strip()[-2000:]}")
    return result.stdout


# MARK: the host side: programs from the .debs, PKI, acquirer-sim, SNTP

def extract_debs(debdir: Path, into: Path) -> Path:
    for name in ["qrpos", "qrpos-acquirer-sim"]:
        debs = sorted(debdir.glob(f"{name}_*_amd64.deb"))
        if not debs:
            raise Failure(f"no {name}_*_amd64.deb in {debdir}")
        run(["dpkg-deb", "-x", debs[-1], into])
    return into / "usr"


def sntp_server(stop: threading.Event):
    """Answers NTP client requests with this host's clock (stratum 1), so the guest's clock is synchronised."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 123))
    sock.settimeout(0.5)

    def stamp(t):
        return struct.pack(">II", int(t) + 2208988800, int((t % 1) * 2**32))
    while not stop.is_set():
        try:
            data, peer = sock.recvfrom(512)
        except socket.timeout:
            continue
        if len(data) < 48 or data[0] & 7 != 3:
            continue
        received = time.time()
        version = (data[0] >> 3) & 7
        answer = struct.pack(">BBbb", (version << 3) | 4, 1, 4, -20) + struct.pack(">II", 0, 0) + b"LOCL"
        answer += stamp(received) + data[40:48] + stamp(received) + stamp(time.time())
        sock.sendto(answer, peer)
    sock.close()


class Host:
    def __init__(self, usr: Path, work: Path):
        self.usr, self.work = usr, work
        self.pki = work / "pki"
        self.db = work / "acquirer.sqlite"
        self.qrpos = str(usr / "bin/qrpos")
        self.sim = str(usr / "bin/acquirer-sim")
        run([self.qrpos, "pki", "dev", "--out", self.pki, "--terminal-id", "HOST-CHECK", "--host-name", "localhost",
             "--host-address", "10.0.2.2", "--host-address", "127.0.0.1"], cwd=usr / "share/qrpos")
        self.log = open(work / "acquirer-sim.log", "w")
        self.process = subprocess.Popen(
            [self.sim, "--listen", f"127.0.0.1:{ACQUIRER_PORT}", "--enroll-listen", f"127.0.0.1:{ENROLL_PORT}",
             "--pki", str(self.pki), "--db", str(self.db), "--auto-pay", "8"],
            cwd=usr / "share/qrpos", stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", ACQUIRER_PORT), timeout=1).close()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise Failure(f"acquirer-sim did not start: {(work / 'acquirer-sim.log').read_text()[-2000:]}")
                time.sleep(0.2)
        self.tls = ssl.create_default_context(cafile=str(self.pki / "ca.pem"))
        self.tls.load_cert_chain(str(self.pki / "terminal.pem"), str(self.pki / "terminal.key"))
        self.fingerprint = run(["openssl", "x509", "-in", self.pki / "ca.pem", "-noout", "-fingerprint", "-sha256"]).strip().split("=", 1)[1]

    def enroll_code(self) -> str:
        return run([self.sim, "enroll-code", "--terminal-id", TERMINAL_ID, "--db", self.db], cwd=self.usr / "share/qrpos").strip().splitlines()[-1].strip()

    def ledger(self) -> str:
        request = urllib.request.Request(f"https://localhost:{ACQUIRER_PORT}/sim/ledger")
        with urllib.request.urlopen(request, context=self.tls, timeout=10) as answer:
            return answer.read().decode()

    def decode(self, payload: str) -> dict:
        return json.loads(subprocess.run([self.qrpos, "code", "decode", payload], capture_output=True, text=True,
                                         cwd=self.usr / "share/qrpos").stdout)

    def stop(self):
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


# MARK: the guest: QEMU, its monitor, the agent

class QMP:
    def __init__(self, path: str):
        deadline = time.monotonic() + 20
        while True:
            try:
                self.sock = socket.socket(socket.AF_UNIX)
                self.sock.connect(path)
                break
            except OSError:
                self.sock.close()
                if time.monotonic() > deadline:
                    raise Failure("no QEMU monitor")
                time.sleep(0.1)
        self.file = self.sock.makefile("rw")
        self.events = []
        self.lock = threading.Lock()
        self.read()
        self.call("qmp_capabilities")

    def read(self):
        while True:
            line = self.file.readline()
            if not line:
                raise Failure("QEMU closed its monitor")
            message = json.loads(line)
            if "event" in message:
                self.events.append((time.monotonic(), message["event"]))
                continue
            return message

    def call(self, command, **arguments):
        with self.lock:
            self.file.write(json.dumps({"execute": command, "arguments": arguments}) + "\n")
            self.file.flush()
            answer = self.read()
        if "error" in answer:
            raise Failure(f"QEMU {command}: {answer['error'].get('desc')}")
        return answer.get("return", {})


class Agent:
    def __init__(self, path: str):
        self.path, self.sock, self.buffer, self.counter = path, None, b"", 0

    def connect(self):
        if self.sock:
            self.sock.close()
        self.sock = socket.socket(socket.AF_UNIX)
        self.sock.connect(self.path)
        self.buffer = b""

    def _line(self, deadline):
        while b"\n" not in self.buffer:
            self.sock.settimeout(max(0.1, deadline - time.monotonic()))
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                raise TimeoutError
            if not data:
                raise Failure("the agent's socket closed")
            self.buffer += data
        line, self.buffer = self.buffer.split(b"\n", 1)
        return line.decode(errors="replace").strip()

    def run(self, command: str, timeout=60):
        self.counter += 1
        tag = f"c{self.counter}"
        self.sock.sendall(f"{tag} {base64.b64encode(command.encode()).decode()}\n".encode())
        deadline = time.monotonic() + timeout
        output = ""
        while True:
            line = self._line(deadline)
            if line == f"AGENT-BEGIN {tag}":
                output = base64.b64decode(self._line(deadline)).decode(errors="replace")
            elif line.startswith(f"AGENT-END {tag} "):
                return int(line.split()[-1]), output

    def wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                self.connect()
                status, out = self.run("echo pong", timeout=3)
                if status == 0 and out.strip() == "pong":
                    return True
            except (TimeoutError, OSError, Failure):
                time.sleep(1)
        return False


def screendump(qmp: QMP, work: Path, name: str):
    """The display as QEMU scans it out (PPM), with the share of bright pixels (the idle screen is mostly white)."""
    ppm = work / "screens" / f"{name}.ppm"
    ppm.parent.mkdir(exist_ok=True)
    qmp.call("screendump", filename=str(ppm))
    data = ppm.read_bytes()
    header = data.split(b"\n", 3)
    width, height = map(int, header[1].split())
    pixels = header[3][:width * height * 3]
    sample = pixels[::3 * 7]   # every 7th pixel's red byte is enough for a brightness share
    bright = sum(1 for b in sample if b > 200) / max(1, len(sample))
    return ppm, width, height, bright


def zbar(path: Path):
    result = subprocess.run(["zbarimg", "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", str(path)], capture_output=True)
    return [line for line in result.stdout.decode(errors="replace").splitlines() if line]


def accelerator():
    wanted = os.environ.get("QRPOS_VM_ACCEL", "auto")
    if wanted in ("kvm", "tcg"):
        return wanted
    return "kvm" if os.access("/dev/kvm", os.R_OK | os.W_OK) else "tcg"


class VM:
    def __init__(self, disk: Path, vars_file: Path, work: Path):
        self.disk, self.vars, self.work = disk, vars_file, work
        sockets = Path(tempfile.mkdtemp(prefix="qrpos-img-"))
        self.qmp_path, self.agent_path = str(sockets / "qmp.sock"), str(sockets / "agent.sock")
        self.process = None

    def start(self, accel):
        command = [
            "qemu-system-x86_64", "-nodefaults", "-no-user-config", "-machine", "q35",
            "-accel", "tcg,thread=multi" if accel == "tcg" else "kvm", "-cpu", "max", "-smp", "2",
            "-m", os.environ.get("QRPOS_VM_MEMORY", "1536"),
            "-drive", f"if=pflash,format=raw,readonly=on,file={OVMF_CODE}",
            "-drive", f"if=pflash,format=raw,file={self.vars}",
            "-drive", f"file={self.disk},format=raw,if=virtio,cache=unsafe",
            "-device", "bochs-display", "-display", "none",
            "-serial", f"file:{self.work / 'console.log'}",
            "-chardev", f"socket,id=agent,path={self.agent_path},server=on,wait=off", "-serial", "chardev:agent",
            "-nic", f"user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:{ECR_PORT}-:8417",
            "-qmp", f"unix:{self.qmp_path},server=on,wait=off",
        ]
        self.log = open(self.work / "qemu.log", "a")
        self.started = time.monotonic()
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT)
        self.qmp = QMP(self.qmp_path)
        self.agent = Agent(self.agent_path)

    def boot(self):
        """Starts QEMU with KVM when it works: a KVM that cannot run OVMF (nested, old) stops with an internal
        error in the first seconds, and then TCG is used."""
        accel = accelerator()
        self.start(accel)
        if accel == "kvm":
            time.sleep(3)
            status = self.qmp.call("query-status").get("status")
            if status != "running" or self.process.poll() is not None:
                log(f"KVM cannot run the firmware here (QEMU status {status}); using TCG")
                self.stop()
                shutil.copy(OVMF_VARS, self.vars)
                accel = "tcg"
                self.start(accel)
        self.accel = accel
        log(f"QEMU started ({accel})")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


# MARK: preparing the test's copy of the image

def prepare_disk(image: Path, work: Path) -> Path:
    disk = work / "disk.img"
    run(["cp", "--sparse=always", image, disk])
    with open(disk, "r+b") as f:
        f.truncate(disk.stat().st_size + 512 * 1024 * 1024)   # a disk bigger than the image: the data partition grows
    table = json.loads(run(["sfdisk", "--json", disk]))["partitiontable"]["partitions"]
    esp_offset, root_offset = table[0]["start"] * 512, table[1]["start"] * 512
    # The test's kernel arguments: the boot log on the serial console, the usual log level.
    cfg = work / "cmdline.cfg"
    cfg.write_text('set qrpos_args="console=tty0 console=ttyS0,115200 loglevel=5"\n')
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    run(["mcopy", "-o", "-i", f"{disk}@@{esp_offset}", cfg, "::/EFI/qrpos/cmdline.cfg"], env=env)
    # The agent into root slot A: a file system edit with debugfs, no mount.
    commands = work / "debugfs.cmd"
    commands.write_text("\n".join([
        "mkdir /usr/lib/qrpos-test",
        f"write {HERE / 'test/agent'} /usr/lib/qrpos-test/agent",
        "set_inode_field /usr/lib/qrpos-test/agent mode 0100755",
        f"write {HERE / 'test/qrpos-test-agent.service'} /etc/systemd/system/qrpos-test-agent.service",
        "set_inode_field /etc/systemd/system/qrpos-test-agent.service mode 0100644",
        "mkdir /etc/systemd/system/sysinit.target.wants",
        "symlink /etc/systemd/system/sysinit.target.wants/qrpos-test-agent.service /etc/systemd/system/qrpos-test-agent.service",
    ]) + "\n")
    subprocess.run(["debugfs", "-w", "-f", str(commands), f"{disk}?offset={root_offset}"], capture_output=True, text=True)
    listing = run(["debugfs", "-R", "ls -l /usr/lib/qrpos-test", f"{disk}?offset={root_offset}"])
    if "agent" not in listing:
        raise Failure("could not write the agent into slot A")
    return disk


# MARK: the checks

def http(method, path, token, body=None, timeout=30):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{ECR_PORT}{path}", data=data, method=method,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def wait_for(predicate, timeout, interval=1.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    return None


def idle_screen(vm, work, name, timeout):
    """Screendumps until the display is mostly bright (the idle screen is white; the console is black)."""
    def look():
        ppm, width, height, bright = screendump(vm.qmp, work, name)
        return (ppm, width, height, bright) if bright > 0.5 else None
    return wait_for(look, timeout, 0.5)


def first_boot(vm, host, work, timings):
    vm.boot()
    ready = vm.agent.wait_ready(600)
    timings["power-on to the test agent, first boot"] = time.monotonic() - vm.started if ready else None
    if not check("the image boots under UEFI (OVMF, GRUB EFI) to the test agent", ready, f"{time.monotonic() - vm.started:.0f} s, {vm.accel}"):
        raise Failure("no agent: see console.log")
    a = vm.agent
    status, out = a.run("systemctl is-system-running --wait; systemctl --failed --no-legend --plain", timeout=300)
    state = out.split()[0] if out.split() else "?"
    check("systemd reaches its default target", state == "running", out.strip().replace("\n", "; "))
    _, out = a.run("systemd-analyze time | head -1; systemctl get-default")
    log("guest: " + out.strip().replace("\n", " | "))
    _, out = a.run("cat /proc/cmdline; findmnt -n -o SOURCE /")
    check("root is slot A by PARTUUID (rauc.slot=A)", "rauc.slot=A" in out and "root=PARTUUID=" in out, out.split("root=")[1].split()[0] if "root=" in out else out)
    _, out = a.run("hostname; cut -c1-8 /etc/machine-id")
    names = out.split()
    check("first boot: host name from the machine id", len(names) == 2 and names[0] == f"qrpos-{names[1]}", names[0] if names else "")
    _, out = a.run("lsblk -b -n -o SIZE $(findmnt -n -o SOURCE /var/lib/qrpos); df -B1M --output=size /var/lib/qrpos | tail -1; journalctl -b -u qrpos-firstboot -o cat | grep firstboot")
    parts = out.split()
    grown = len(parts) >= 2 and int(parts[0]) > 600 * 2**20 and int(parts[1]) > 550
    check("first boot: data partition grown to the disk's end, ext4 resized", grown,
          f"partition {int(parts[0]) // 2**20} MiB, file system {parts[1]} MiB" if len(parts) >= 2 else out)
    log("firstboot said: " + "; ".join(l for l in out.splitlines() if "firstboot" in l))
    status, out = a.run("systemctl is-active ssh; systemctl is-enabled ssh; ls /etc/ssh/ssh_host_*_key 2>/dev/null | wc -l")
    check("SSH is off without the switch file on the EFI partition", out.split()[:2] == ["inactive", "disabled"], " ".join(out.split()))
    status, out = a.run("stat -c '%U %a' /var/lib/qrpos; findmnt -n -o SOURCE,FSTYPE /var/lib/qrpos; id qrpos")
    check("/var/lib/qrpos is the data partition" + ", qrpos 0700" * bool(host),
          "ext4" in out and (out.startswith("qrpos 700") or not host), " ".join(out.split()[:4]))
    if not host:
        return
    status, out = a.run("systemctl is-enabled qrpos; systemctl is-active qrpos; dpkg-query -W qrpos")
    check("qrpos.service enabled, not started before provisioning", out.split()[:2] == ["enabled", "inactive"], " ".join(out.split()))


def provision(vm, host):
    a = vm.agent
    edit = (f"sed -i -e 's|^url = .*|url = \"https://10.0.2.2:{ACQUIRER_PORT}\"|' "
            f"-e 's|^enroll_url = .*|enroll_url = \"https://10.0.2.2:{ENROLL_PORT}\"|' "
            "-e 's|^listen = \"127.0.0.1:8417\"|listen = \"0.0.0.0:8417\"|' /etc/qrpos/terminal.toml && "
            "mkdir -p /etc/systemd/timesyncd.conf.d && printf '[Time]\\nNTP=10.0.2.2\\n' > /etc/systemd/timesyncd.conf.d/test.conf && "
            "systemctl restart systemd-timesyncd")
    status, out = a.run(edit)
    if status != 0:
        log("terminal.toml edit failed: " + out)
    synced = wait_for(lambda: a.run("timedatectl show -p NTPSynchronized --value")[1].strip() == "yes", 60, 2)
    check("clock synchronised by systemd-timesyncd (from the test's SNTP server on the host)", bool(synced))
    code = host.enroll_code()
    command = (f"runuser -u qrpos -- qrpos provision --board /etc/qrpos --state /var/lib/qrpos --terminal-id {TERMINAL_ID} "
               f"--code {code} --fingerprint {host.fingerprint}")
    status, out = a.run(command, timeout=120)
    _, modes = a.run("stat -c '%n %a %U' /var/lib/qrpos/pki/terminal.key /var/lib/qrpos/pki/terminal.pem")
    ok = status == 0 and "terminal.key 600 qrpos" in modes
    check("qrpos provision enrolls against acquirer-sim on the host (key 0600)", ok,
          out.strip().splitlines()[-1] if out.strip() else f"exit {status}")
    if not ok:
        log(out)


def selftest(vm):
    status, out = vm.agent.run("runuser -u qrpos -- qrpos selftest --board /etc/qrpos --state /var/lib/qrpos --json", timeout=120)
    try:
        report = json.loads(out[out.index("{"):] if "{" in out else out)
    except ValueError:
        check("qrpos selftest --json", False, out[-300:])
        return
    checks = report.get("checks", report if isinstance(report, list) else [])
    verdict = {}
    for item in checks:
        verdict[item.get("name") or item.get("part")] = (item.get("status") or item.get("result"), item.get("detail") or item.get("description", ""))
    # What the virtual PC has; it has no camera, keypad nor receipt printer on USB (those may fail or be skipped).
    needed = ["board", "terminal", "display", "clock", "acquirer", "certificate", "journal", "disk"]
    missing = [n for n in needed if str(verdict.get(n, ("?",))[0]).lower() != "pass"]
    absent = ", ".join(f"{n} {str(v[0]).upper()}" for n, v in verdict.items() if n not in needed)
    check("qrpos selftest --json passes for what the virtual PC has", not missing,
          ("failing: " + ", ".join(f"{n}: {verdict.get(n)}" for n in missing) + "; ") * bool(missing) + f"no such hardware: {absent}")
    log("selftest display: " + str(verdict.get("display")))


def service_and_idle(vm, work, timings):
    a = vm.agent
    started = time.monotonic()
    a.run("systemctl start qrpos", timeout=90)
    active = wait_for(lambda: a.run("systemctl is-active qrpos")[1].strip() == "active", 60)
    check("qrpos.service active once provisioned", bool(active), a.run("systemctl show -p MainPID,NRestarts qrpos")[1].replace("\n", " "))
    seen = idle_screen(vm, work, "idle", 60)
    timings["systemctl start qrpos to the idle screen, provisioned"] = time.monotonic() - started if seen else None
    check("the idle screen is on the DRM display (screendump, not blank)", bool(seen),
          f"{seen[1]}x{seen[2]}, {seen[3]:.0%} bright, {seen[0].name}" if seen else "")


def ecr_token(vm):
    status, out = vm.agent.run("cat /var/lib/qrpos/ecr.token")
    return out.strip()


def sale(vm, host, work):
    token = ecr_token(vm)
    status, body = http("POST", "/v1/sales", token, {"amount": 1200, "currency": "JPY", "reference": "IMAGE-SALE-1"})
    if not check("a sale over the ECR API (hostfwd to the guest's 8417)", status == 201, f"HTTP {status}, {body.get('id')} {body.get('status')}"):
        log(json.dumps(body))
        return None
    sale_id = body["id"]

    def shown():
        ppm, *_ = screendump(vm.qmp, work, "sale")
        codes = zbar(ppm)
        return codes or None
    codes = wait_for(shown, 20, 0.3)
    decoded = host.decode(codes[0]) if codes else {}
    check("its dynamic JPQR is on the screen (zbarimg on the screendump)",
          bool(codes) and decoded.get("valid") and decoded.get("amount") == "1200" and decoded.get("scheme") == "jpqr",
          f"{decoded.get('scheme')} {decoded.get('amount')} {decoded.get('currency')} valid={decoded.get('valid')}" if codes else "no code read")
    final = wait_for(lambda: (lambda r: r[1] if r[1].get("status") in ("paid", "declined", "expired", "cancelled") else None)(
        http("GET", f"/v1/sales/{sale_id}?wait=10", token, timeout=20)), 40, 0.1)
    ledger = host.ledger()
    check("the sale ends paid (simulator auto-pay) and is in the simulator's ledger",
          bool(final) and final.get("status") == "paid" and sale_id in ledger, f"{sale_id}: {final.get('status') if final else 'not final'}")
    return sale_id


def kill_mid_sale(vm, host):
    a = vm.agent
    token = ecr_token(vm)
    before = a.run("systemctl show -p NRestarts --value qrpos")[1].strip()
    status, body = http("POST", "/v1/sales", token, {"amount": 700, "currency": "JPY", "reference": "IMAGE-SALE-KILL"})
    if status != 201:
        check("SIGKILL mid-sale: sale started", False, f"HTTP {status} {body}")
        return
    sale_id = body["id"]
    wait_for(lambda: http("GET", f"/v1/sales/{sale_id}", token)[1].get("status") == "pending", 10, 0.2)
    a.run("systemctl kill --signal=SIGKILL --kill-whom=main qrpos")
    restarted = wait_for(lambda: (lambda out: out if out.split()[0] == "active" and out.split()[1] != before else None)(
        a.run("systemctl is-active qrpos; systemctl show -p NRestarts --value qrpos")[1]), 60, 0.5)
    final = None
    if restarted:
        def resolved():
            try:
                _, sale = http("GET", f"/v1/sales/{sale_id}?wait=10", token, timeout=20)
            except OSError:
                return None
            return sale if sale.get("status") in ("paid", "cancelled", "expired", "declined", "refunded") else None
        final = wait_for(resolved, 90, 0.5)
    ledger = json.loads(host.ledger())
    text = json.dumps(ledger)
    check("qrpos killed with SIGKILL mid-sale is restarted by systemd and the sale is resolved",
          bool(restarted) and bool(final),
          f"NRestarts {before} -> {restarted.split()[1] if restarted else '?'}; {sale_id}: {final.get('status') if final else 'unresolved'}"
          + (f", endReason {final.get('endReason')}" if final and final.get("endReason") else "") + f"; in ledger: {sale_id in text}")


def reboot_and_time(vm, work, timings):
    """A provisioned counter's boot: reset to the idle screen, timed; SSH switched on by the file on the ESP."""
    a = vm.agent
    a.run("touch /boot/efi/qrpos/enable-ssh && sync")
    vm.qmp.events.clear()
    a.sock.sendall(b"r1 " + base64.b64encode(b"systemctl reboot") + b"\n")
    # The reset comes once systemd has stopped everything; the clock starts there.
    reset = wait_for(lambda: next((t for t, e in vm.qmp.events if e == "RESET"), None) or (vm.qmp.call("query-status") and None), 120, 0.2)
    start = reset or time.monotonic()
    # Screens from the old boot are gone once the firmware runs: wait for dark, then for the idle screen.
    wait_for(lambda: screendump(vm.qmp, work, "reboot")[3] < 0.5, 60, 0.2)
    seen = idle_screen(vm, work, "idle-after-reboot", 600)
    seconds = time.monotonic() - start if seen else None
    timings["boot to idle screen"] = seconds
    check("after a reboot the provisioned counter comes up to its idle screen by itself", bool(seen),
          f"{seconds:.1f} s from reset to idle screen ({vm.accel})" if seen else "")
    if vm.agent.wait_ready(300):
        wait_for(lambda: vm.agent.run("systemctl is-system-running --wait", timeout=120)[1].strip() in ("running", "degraded"), 130, 1)
        _, out = vm.agent.run("systemctl show -p ActiveEnterTimestampMonotonic --value qrpos; systemd-analyze time | head -1; "
                              "systemd-analyze critical-chain qrpos.service | tail -n +2 | head -12")
        lines = out.strip().splitlines()
        if lines and lines[0].isdigit():
            timings["kernel start to qrpos ready (guest clock)"] = int(lines[0]) / 1e6
        log("guest after reboot:\n    " + "\n    ".join(lines[1:]))
        _, out = vm.agent.run("systemctl is-active ssh; ls /etc/ssh/ssh_host_*_key | wc -l; rm -f /boot/efi/qrpos/enable-ssh")
        check("SSH on after the technician's enable-ssh file on the EFI partition (host keys made on the counter)",
              out.split()[:1] == ["active"] and int(out.split()[1]) >= 2, " ".join(out.split()))


# MARK: updates (RAUC)

def serve(folder: Path, port: int):
    import functools
    import http.server
    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass
    handler = functools.partial(Quiet, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def make_bundles(image_dir: Path, keys: Path, work: Path) -> Path:
    """The test's bundles: the image's root file system with the agent (so the test can follow it into slot B) and a
    marker, signed with the development key; the same signed by another key; the good one with bytes flipped."""
    www = work / "www"
    shutil.rmtree(www, ignore_errors=True)
    www.mkdir()
    rootfs = work / "bundle-rootfs.ext4"
    run(["cp", "--sparse=always", image_dir / "rootfs.ext4", rootfs])
    marker = work / "marker"
    marker.write_text("image-test bundle 2\n")
    commands = work / "debugfs-bundle.cmd"
    commands.write_text((work / "debugfs.cmd").read_text() + f"write {marker} /etc/qrpos-test-bundle\n")
    subprocess.run(["debugfs", "-w", "-f", str(commands), str(rootfs)], capture_output=True)
    maker = HERE / "make-bundle.sh"
    run([maker, rootfs, keys / "development.key.pem", keys / "development.cert.pem", www / "good.raucb", "test-2"])
    other = work / "other-key"
    other.mkdir(exist_ok=True)
    run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "365",
         "-keyout", other / "key.pem", "-out", other / "cert.pem", "-subj", "/CN=not the qrpos signing key"])
    os.chmod(other / "key.pem", 0o600)
    run(["rauc", "resign", f"--keyring={keys / 'development.cert.pem'}", f"--signing-keyring={other / 'cert.pem'}",
         f"--cert={other / 'cert.pem'}", f"--key={other / 'key.pem'}",
         www / "good.raucb", www / "other-key.raucb"])
    data = bytearray((www / "good.raucb").read_bytes())
    middle = len(data) // 2
    data[middle:middle + 4096] = bytes(b ^ 0x5A for b in data[middle:middle + 4096])
    (www / "corrupted.raucb").write_bytes(bytes(data))
    rootfs.unlink()
    log("bundles: " + ", ".join(f"{p.name} {p.stat().st_size // 2**20} MiB" for p in sorted(www.glob("*.raucb"))))
    return www


def install(vm, name, timeout=900):
    return vm.agent.run(f"set -o pipefail; curl -sSf -o /var/tmp/update.raucb http://10.0.2.2:18080/{name} && "
                        "rauc install /var/tmp/update.raucb > /var/tmp/rauc.log 2>&1; status=$?; grep -v -i 'progress\\|%' /var/tmp/rauc.log | tail -4; "
                        "rm -f /var/tmp/rauc.log; rm -f /var/tmp/update.raucb; exit $status",
                        timeout=timeout)


def grubenv(vm):
    out = vm.agent.run("grub-editenv /boot/efi/EFI/qrpos/grubenv list")[1]
    return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)


def reboot_to_idle(vm, work, name):
    vm.qmp.events.clear()
    vm.agent.sock.sendall(b"r2 " + base64.b64encode(b"systemctl reboot") + b"\n")
    reset = wait_for(lambda: next((t for t, e in vm.qmp.events if e == "RESET"), None) or (vm.qmp.call("query-status") and None), 180, 0.2)
    start = reset or time.monotonic()
    wait_for(lambda: screendump(vm.qmp, work, name)[3] < 0.5, 60, 0.2)
    seen = idle_screen(vm, work, name, 600)
    ready = vm.agent.wait_ready(300)
    return (time.monotonic() - start if seen else None), ready


def update(vm, host, work, image_dir, keys, timings):
    a = vm.agent
    www = make_bundles(image_dir, keys, work)
    server = serve(www, 18080)
    try:
        _, before = a.run("hostname; cat /etc/machine-id")
        for name, why in [("other-key.raucb", "signed by another key"), ("corrupted.raucb", "corrupted")]:
            status, out = install(vm, name)
            env = grubenv(vm)
            check(f"a bundle {why} is refused and nothing changes", status != 0 and env.get("ORDER") == "A B" and env.get("B_OK") == "0",
                  " / ".join(l.strip() for l in out.strip().splitlines() if "failed" not in l.lower() or "verif" in l.lower())[-200:]
                  or (out.strip().splitlines() or [f"exit {status}"])[-1])
        started = time.monotonic()
        status, out = install(vm, "good.raucb")
        env = grubenv(vm)
        check("the signed bundle installs into slot B from the host's HTTP server, B next",
              status == 0 and env.get("ORDER", "").startswith("B") and env.get("B_OK") == "1",
              f"{time.monotonic() - started:.0f} s; grubenv ORDER={env.get('ORDER')} B_OK={env.get('B_OK')} B_TRY={env.get('B_TRY')}")
        timings["bundle download and install"] = time.monotonic() - started
        seconds, ready = reboot_to_idle(vm, work, "idle-slot-b")
        timings["boot to idle screen, slot B"] = seconds
        check("reboot into slot B: the counter comes up to its idle screen", bool(seconds and ready),
              f"{seconds:.1f} s from reset" if seconds else "")
        if not ready:
            return
        _, out = a.run("cat /proc/cmdline; cat /etc/qrpos-test-bundle; hostname; cat /etc/machine-id; systemctl is-active qrpos")
        check("slot B runs the new root (rauc.slot=B, the bundle's marker), same host name and machine id, qrpos active",
              "rauc.slot=B" in out and "image-test bundle 2" in out and before.split()[0] in out and before.split()[1] in out
              and out.strip().endswith("active"), " ".join(w for w in out.split() if w.startswith(("rauc.slot", "qrpos-"))))
        token = ecr_token(vm)
        status, body = http("GET", "/v1/sales?reference=IMAGE-SALE-1", token)
        sales = body.get("sales", [])
        check("the counter's journal is intact after the update (the sale before it, over the ECR API)",
              status == 200 and len(sales) == 1 and sales[0].get("status") == "paid", f"{sales[0]['id']} {sales[0]['status']}" if sales else f"HTTP {status}")
        good = wait_for(lambda: grubenv(vm).get("B_TRY") == "0" or None, 60, 2)
        env = grubenv(vm)
        check("slot B marked good after the boot (qrpos-mark-good, rauc status mark-good)", bool(good),
              f"ORDER={env.get('ORDER')} B_OK={env.get('B_OK')} B_TRY={env.get('B_TRY')}")
        # Rolling back: the technician makes the other slot active and reboots.
        status, out = a.run("rauc status mark-active other")
        seconds, ready = reboot_to_idle(vm, work, "idle-rollback")
        out = a.run("cat /proc/cmdline; systemctl is-active qrpos")[1] if ready else ""
        status, body = http("GET", "/v1/sales?reference=IMAGE-SALE-1", ecr_token(vm)) if ready else (0, {})
        check("rolling back (rauc status mark-active other, reboot): slot A again, journal intact",
              "rauc.slot=A" in out and out.strip().endswith("active") and len(body.get("sales", [])) == 1,
              f"{seconds:.1f} s to idle screen" if seconds else "")
    finally:
        server.shutdown()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--image", required=True, type=Path)
    parser.add_argument("--debdir", type=Path, help="the qrpos .debs (acquirer-sim for the host); without: boot checks only")
    parser.add_argument("--work", type=Path)
    parser.add_argument("--update", action="store_true", help="also install RAUC bundles, boot slot B and roll back")
    parser.add_argument("--first-boot-only", action="store_true",
                        help="make test's short run: the first boot, provisioning, self-test, the sale and the SIGKILL; no reboot, no updates")
    parser.add_argument("--resume", action="store_true", help="debugging: boot the work folder's provisioned disk again, updates only")
    parser.add_argument("--keys", type=Path, default=Path(".cache/rauc-keys"), help="the development signing keys")
    args = parser.parse_args()
    work = (args.work or Path(tempfile.mkdtemp(prefix="qrpos-image-test-"))).resolve()
    if work.exists() and not args.resume:
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    log(f"work folder {work} (console.log: the guest's serial console)")
    timings = {}
    stop = threading.Event()
    threading.Thread(target=sntp_server, args=(stop,), daemon=True).start()
    host = vm = None
    try:
        if args.debdir:
            usr = extract_debs(args.debdir.resolve(), work / "host")
            host = Host(usr, work)
        vars_file = work / "OVMF_VARS.fd"
        if args.resume:
            vm = VM(work / "disk.img", vars_file, work)
            vm.boot()
            if not vm.agent.wait_ready(600):
                raise Failure("no agent")
            vm.agent.run("systemctl is-system-running --wait", timeout=300)
            update(vm, host, work, args.image.resolve().parent, args.keys.resolve(), timings)
            raise Failure("resumed run: updates only")
        disk = prepare_disk(args.image.resolve(), work)
        shutil.copy(OVMF_VARS, vars_file)
        vm = VM(disk, vars_file, work)
        first_boot(vm, host, work, timings)
        if not host:
            raise Failure("boot checks only: no --debdir (an image without qrpos)")
        provision(vm, host)
        selftest(vm)
        service_and_idle(vm, work, timings)
        sale(vm, host, work)
        kill_mid_sale(vm, host)
        if not args.first_boot_only:
            reboot_and_time(vm, work, timings)
        if args.update and not args.first_boot_only:
            update(vm, host, work, args.image.resolve().parent, args.keys.resolve(), timings)
    except (Failure, OSError, ValueError, KeyError, IndexError, TimeoutError) as error:
        check("image-test ran to the end", False, f"{type(error).__name__}: {error}")
    finally:
        stop.set()
        if vm:
            vm.stop()
        if host:
            host.stop()
    for name, value in timings.items():
        if value is not None:
            log(f"time: {name}: {value:.1f} s")
    failed = [line for ok, line in results if not ok]
    print(f"image-test: {len(results) - len(failed)} passed, {len(failed)} failed (work folder {work})")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
