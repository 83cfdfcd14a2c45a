#!/usr/bin/env python3
"""`make vm-test`, the part inside the virtual board: qrpos's Linux device backends against real drivers.

vm.py boots the board with this as its command (the host's root is / here, read-only; /tmp is in memory;
/run/qrpos-vm is vm.py's run folder). Steps, each reported to the host as an "@@qrpos-vm" line:

  devices  the drivers are bound: bochs-drm (card0, fb0), vivid (video0 capture, video1 output), gpio-sim
  drm      `qrpos screen show-code --display drm`: the host takes QEMU's screendump and zbarimg must read
           exactly the dynamic JPQR qrpos showed; after qrpos exits (SIGTERM) the code is gone (CRTC restored)
  fbdev    the same through /dev/fb0, after blanking it (so an old picture cannot pass)
  lights   `qrpos lights test --board Board/qemu-x86_64`: sim_gpioN/value sampled all along, each phase
           checked against the board's wiring (red is active low)
  camera   `qrpos scan --camera /dev/video0`: frames arrive in the format and size the driver chose
           (checked against the driver's own G_FMT), and vivid's test pattern is not taken for a code
  loopback a shopper's code written to vivid's video output comes back through its HDMI loop into
           /dev/video0 and `qrpos scan` decodes it
  sale     `qrpos run --board Board/qemu-x86_64` (DRM, vivid, gpio-sim) with acquirer-sim on the VM's loopback:
           refused while the kernel clock is unsynchronised; a shown-code sale over the ECR API, its JPQR read
           off the screen, paid; a scan-mode sale reading the shopper's code through vivid's loop, charged;
           the lights checked at each stage; one paid order and one paid charge in the simulator's ledger

Each step runs where it is defined (the @step decorator calls it), so what a step uses is defined above it.
"""
import ctypes
import json
import os
import pty
import re
import select
import shutil
import signal
import ssl
import subprocess
import sys
import threading
import time
import tomllib
import urllib.error
import urllib.request
from pathlib import Path

SHARE = Path(os.environ.get("QRPOS_VM_SHARE", "/run/qrpos-vm"))
REPO = Path(os.environ.get("QRPOS_VM_REPO", "."))
BIN = Path(os.environ.get("QRPOS_VM_BIN", REPO / ".build/debug"))
BOARD = "Board/qemu-x86_64"
QRPOS, ACQUIRER_SIM = str(BIN / "qrpos"), str(BIN / "acquirer-sim")
T0 = time.monotonic()
results = []


# The simulated shopper pays a shown code this long after it is registered. A debug build drawing its first
# show-code frame under TCG emulation (40x slower than the host) on a loaded 2-core machine took up to 9 s.
AUTO_PAY = 20

def say(text: str) -> None:
    print(f"guest {time.monotonic() - T0:6.1f}s: {text}", flush=True)


def marker(**fields) -> None:
    print("@@qrpos-vm " + json.dumps(fields, ensure_ascii=False), flush=True)


class StepFailed(Exception):
    pass


def check(condition: bool, text: str) -> None:
    if not condition:
        raise StepFailed(text)


ONLY = (SHARE / "only-steps").read_text().split() if (SHARE / "only-steps").exists() else None


def step(name: str):
    def wrap(body):
        if ONLY is not None and name not in ONLY:
            return body
        marker(event="step-start", step=name)
        say(f"--- {name}")
        started = time.monotonic()
        try:
            detail = body() or "ok"
            ok = True
        except StepFailed as error:
            detail, ok = str(error), False
        except Exception as error:  # a broken step must not stop the others
            detail, ok = f"{type(error).__name__}: {error}", False
        seconds = time.monotonic() - started
        say(f"{name}: {'ok' if ok else 'FAILED'} ({seconds:.1f} s): {detail}")
        if not ok:
            # The host prints the kernel log at the end; the last lines now show what this step caused.
            say("kernel log, last lines:\n" + "\n".join(subprocess.run(["dmesg"], capture_output=True, text=True).stdout.splitlines()[-15:]))
        marker(event="step", step=name, ok=ok, seconds=round(seconds, 1), detail=detail)
        results.append(ok)
        return body
    return wrap


def read(path) -> str:
    return Path(path).read_text().strip()


def wait_for(predicate, seconds: float, what: str, interval: float = 0.2):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise StepFailed(f"timed out after {seconds:.0f} s waiting for {what}")


def screendump(name: str, expect: str = None, contains: list = None, absent: bool = False, timeout: float = 120,
               within: float = 10) -> dict:
    """Asks the host for QEMU's screendump and zbarimg's reading of it, and waits for the answer: ok when
    zbarimg read exactly `expect`, or one code holding every string in `contains`, or (`absent`) no code."""
    answer = SHARE / f"ack-{name}.json"
    marker(event="screendump", name=name, expect=expect, contains=contains, absent=absent, within=within)
    wait_for(answer.exists, timeout, f"the host's screendump {name}", 0.1)
    return json.loads(answer.read_text())


def stop(process: subprocess.Popen, timeout: float = 30) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        say(f"{process.args[0]} ignored SIGTERM for {timeout:.0f} s: killing it")
        process.kill()
        try:
            return process.wait(30)
        except subprocess.TimeoutExpired:
            raise StepFailed(f"{process.args[0]} (pid {process.pid}) cannot be killed: stuck in the kernel?")


class Console:
    """A command with its output on a pseudo-terminal, so lines come as they are printed (through a pipe,
    stdio would hold them until the command exits); every line is timed and kept in a log file."""

    def __init__(self, command: list, log: Path):
        leader, follower = pty.openpty()
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=follower, stderr=follower, cwd=REPO)
        os.close(follower)
        self.lines, self.log, self.changed = [], open(log, "w"), threading.Condition()
        self.reader = threading.Thread(target=self._read, args=(leader,), daemon=True)
        self.reader.start()

    def _read(self, leader: int) -> None:
        buffered = b""
        while True:
            try:
                chunk = os.read(leader, 4096)
            except OSError:  # EIO: the command and its children closed the terminal
                chunk = b""
            if not chunk:
                break
            buffered += chunk
            while b"\n" in buffered:
                line, buffered = buffered.split(b"\n", 1)
                self._add(line.decode(errors="replace").rstrip("\r"))
        if buffered:
            self._add(buffered.decode(errors="replace").rstrip("\r"))
        os.close(leader)
        with self.changed:
            self.changed.notify_all()

    def _add(self, text: str) -> None:
        self.log.write(text + "\n")
        self.log.flush()
        with self.changed:
            self.lines.append((time.monotonic(), text))
            self.changed.notify_all()

    def wait_line(self, predicate, seconds: float, what: str) -> str:
        """The first line (seen so far or to come) for which predicate holds."""
        deadline = time.monotonic() + seconds
        with self.changed:
            while True:
                for _, text in self.lines:
                    if predicate(text):
                        return text
                if not self.reader.is_alive():
                    raise StepFailed(f"{what}: the command ended (exit {self.process.poll()}) without it: {self.tail()}")
                if time.monotonic() > deadline:
                    raise StepFailed(f"timed out after {seconds:.0f} s waiting for {what}: {self.tail()}")
                self.changed.wait(0.5)

    def tail(self, count: int = 12) -> str:
        return " | ".join(text for _, text in self.lines[-count:])

    def finish(self, seconds: float = 600) -> int:
        try:
            status = self.process.wait(seconds)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise StepFailed(f"still running after {seconds:.0f} s: {self.tail()}")
        self.reader.join(10)
        return status


# MARK: devices

SIM = Path("/sys/kernel/config/gpio-sim/qrpos")


def sim_value_files() -> dict:
    """line name -> /sys/devices/platform/gpio-sim.N/gpiochipM/sim_gpioK/value, from the chip's configfs."""
    device, chip = read(SIM / "dev_name"), read(SIM / "bank0/chip_name")
    files = {}
    for line in sorted((SIM / "bank0").glob("line*"), key=lambda p: int(p.name[4:])):
        files[read(line / "name")] = Path(f"/sys/devices/platform/{device}/{chip}/sim_gpio{line.name[4:]}/value")
    return files


@step("devices")
def devices():
    drm = os.path.basename(os.readlink("/sys/class/drm/card0/device/driver"))
    fb = read("/sys/class/graphics/fb0/name")
    video = {n: read(f"/sys/class/video4linux/{n}/name") for n in ("video0", "video1")}
    files = sim_value_files()
    labels = [read(p) for p in Path("/sys/class/gpio").glob("gpiochip*/label")]
    label = next((l for l in labels if l.startswith("gpio-sim")), None)
    check(label is not None, f"no gpio-sim chip among {labels}")
    check(drm == "bochs-drm", f"card0 is driven by {drm}, not bochs-drm")
    check("bochs" in fb, f"fb0 is {fb}")
    check(video["video0"].endswith("vid-cap") and video["video1"].endswith("vid-out"), f"video nodes: {video}")
    check(all(f.exists() for f in files.values()), f"gpio-sim value files missing: {files}")
    modes = read(next(Path("/sys/class/drm").glob("card0-*/modes"))).splitlines()
    return (f"card0 {drm} (preferred mode {modes[0]}), fb0 {fb}, video0 {video['video0']}, video1 {video['video1']}, "
            f"{read(SIM / 'bank0/chip_name')} \"{label}\" lines {', '.join(files)}; kernel {os.uname().release}")


# MARK: display

def show_code(backend: str, device: str):
    """Shows the show-code screen with qrpos, has the host read it off QEMU's display, then stops qrpos."""
    console = Console([QRPOS, "screen", "show-code", "--display", backend, "--device", device,
                       "--png", f"/tmp/{backend}.png", "--hold", "600"], SHARE / f"screen-{backend}.log")
    try:
        # With --png as well, qrpos prints the payload it drew, then opens the panel and says where it shows it.
        payload = console.wait_line(lambda t: t.startswith("000201"), 300, "the payload qrpos draws")
        shown_on = console.wait_line(lambda t: "showing show-code on" in t, 300, "qrpos to show the screen")
        say(f"{shown_on}; payload {payload}")
        answer = screendump(backend, expect=payload)
        check(answer["ok"], f"screendump: {answer.get('detail')}")
        decoded = answer.get("decoded") or {}
        say(f"zbarimg read from the {answer['width']}x{answer['height']} screendump: {answer['read'][0]}")
        say(f"qrpos code decode: {json.dumps(decoded, ensure_ascii=False)[:700]}")
        check(answer.get("decode_status") == 0, f"the code read is not a valid payment code: {decoded}")
        check(decoded.get("scheme") == "jpqr" and decoded.get("pointOfInitiation") == "dynamic" and decoded.get("amount") == "1200",
              f"the code read is not a dynamic JPQR for 1200 yen: {decoded}")
    finally:
        if console.process.poll() is None:
            console.process.send_signal(signal.SIGTERM)
        status = console.finish(60)
    check(status in (0, 128 + signal.SIGTERM), f"qrpos exited with {status} after SIGTERM: {console.tail()}")
    return payload, answer, shown_on.removeprefix("qrpos: ")


@step("drm")
def drm():
    payload, answer, shown = show_code("drm", "/dev/dri/card0")
    after = screendump("drm-after-exit", absent=True)
    check(after["ok"], f"after qrpos exited: {after.get('detail')} (the CRTC was not given back)")
    return (f"{shown}; zbarimg read the dynamic JPQR from QEMU's screendump ({answer['png']}): {answer['read'][0]}; "
            f"gone from the screen after exit")


@step("fbdev")
def fbdev():
    # Blank the framebuffer first: a picture left from the DRM step must not pass for this one.
    with open("/dev/fb0", "wb", buffering=0) as fb:
        size = int(read("/sys/class/graphics/fb0/virtual_size").split(",")[1]) * int(read("/sys/class/graphics/fb0/stride"))
        fb.write(bytes(size))
    blank = screendump("fbdev-blank", absent=True)
    check(blank["ok"], f"blanked framebuffer: {blank.get('detail')}")
    payload, answer, shown = show_code("fbdev", "/dev/fb0")
    return f"{shown}; zbarimg read the dynamic JPQR from QEMU's screendump ({answer['png']}): {answer['read'][0]}"


# MARK: lights

@step("lights")
def lights():
    with open(REPO / BOARD / "board.toml", "rb") as f:
        wiring = {name: spec for name, spec in tomllib.load(f)["lights"].items() if isinstance(spec, dict)}
    files = sim_value_files()
    light_file = {name: files[spec["line"]] for name, spec in wiring.items()}
    active_low = {name: bool(spec.get("active_low")) for name, spec in wiring.items()}
    names = [n for n in ("green", "amber", "red") if n in light_file] + sorted(n for n in light_file if n not in ("green", "amber", "red"))
    before = {n: read(light_file[n]) for n in names}
    check(all(v == "0" for v in before.values()), f"lines not at their pull-down before the test: {before}")

    samples, stop_sampling = [], threading.Event()

    def sample():
        handles = {n: open(light_file[n]) for n in names}
        while not stop_sampling.is_set():
            values = {}
            for n, h in handles.items():
                h.seek(0)
                values[n] = int(h.read().strip())
            samples.append((time.monotonic(), values))
            time.sleep(0.03)
    sampler = threading.Thread(target=sample)
    sampler.start()
    step_seconds = 1.5
    console = Console([QRPOS, "lights", "test", "--board", BOARD, "--step", str(step_seconds)], SHARE / "lights.log")
    held = ""
    try:
        console.wait_line(lambda t: t == f"only {names[0]}", 300, f"qrpos to light {names[0]}")
        time.sleep(0.5)
        debug = Path("/sys/kernel/debug/gpio")
        held = debug.read_text() if debug.exists() else ""
        status = console.finish(300)
    finally:
        if console.process.poll() is None:
            console.process.kill()
        ended = time.monotonic()
        time.sleep(0.3)
        stop_sampling.set()
        sampler.join()
    phases = console.lines
    for _, text in phases:
        say(f"qrpos: {text}")
    after = {n: read(light_file[n]) for n in names}
    check(status == 0, f"qrpos lights test exited with {status}: {console.tail()}")
    if held:
        say("while the test ran, /sys/kernel/debug/gpio said:\n" + held.rstrip())
        check(held.count("|qrpos") >= len(names), "the lines were not requested with consumer \"qrpos\"")

    def physical(name: str, lit: int) -> int:
        return lit ^ int(active_low[name])

    # What each phase the command announced must look like on the lines.
    def expectation(text: str):
        if text.startswith("only "):
            alone = text[5:]
            return {n: ("steady", physical(n, int(n == alone))) for n in names}
        state = text.split(":")[0]
        if state in ("ready", "waiting", "paid", "declined", "offline", "technician"):
            patterns = dict(re.findall(r"(\w+) (off|steady|blink|pulse|cycle)", text.split(":", 1)[1]))
            return {n: ("steady", physical(n, 0)) if patterns.get(n, "off") == "off" else
                       ("steady", physical(n, 1)) if patterns[n] == "steady" else ("changes", None) for n in names}
        return None

    table, problems = [], []
    announced = [(t, text) for t, text in phases if expectation(text) is not None]
    for index, (start, text) in enumerate(announced):
        end = announced[index + 1][0] if index + 1 < len(announced) else next((t for t, x in phases if x == "all off"), ended)
        # A margin each side: the writes and the sampler run on a slow emulated CPU.
        window = [values for t, values in samples if start + 0.25 <= t <= end - 0.15]
        if len(window) < 3:
            problems.append(f"{text}: only {len(window)} samples")
            continue
        expect = expectation(text)
        seen = {n: "".join(str(v[n]) for v in window) for n in names}
        for n in names:
            kind, value = expect[n]
            levels = set(seen[n])
            if kind == "steady" and levels != {str(value)}:
                problems.append(f"{text}: {n} should stay {value}, read {''.join(sorted(levels))}")
            if kind == "changes" and levels != {"0", "1"}:
                problems.append(f"{text}: {n} should change, read only {''.join(sorted(levels))}")
        summary = "  ".join(f"{n}={'/'.join(sorted(set(seen[n])))}" for n in names)
        label = text if len(text) <= 56 else text[:53] + "..."
        table.append(f"{label:<56} {len(window):3d} samples  {summary}")
    check(len(announced) == len(names) + 6, f"expected {len(names)} single lights and 6 states, saw {[t for _, t in announced]}")
    say("sim_gpioN/value while each phase ran (physical levels; red is active low, so 0 = lit):\n  " + "\n  ".join(table))
    check(not problems, "; ".join(problems))
    check(all(v == "0" for v in after.values()), f"lines not released to their pull-down after the test: {after}")
    wires = ", ".join(f"{n}={wiring[n]['line']}{' (active low)' if active_low[n] else ''}" for n in names)
    return f"{len(announced)} phases, {len(samples)} samples of sim_gpioN/value all as the pattern says ({wires}); released after"


# MARK: camera

def v4l2(*args) -> str:
    try:
        result = subprocess.run(["v4l2-ctl", *args], capture_output=True, text=True, timeout=60)
    except subprocess.TimeoutExpired:
        raise StepFailed(f"v4l2-ctl {' '.join(args)} did not return within 60 s")
    check(result.returncode == 0, f"v4l2-ctl {' '.join(args)}: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout


def driver_format(device: str, kind: str = "video") -> dict:
    out = v4l2("-d", device, f"--get-fmt-{kind}")
    size = re.search(r"Width/Height\s*:\s*(\d+)/(\d+)", out)
    fourcc = re.search(r"Pixel Format\s*:\s*'(\w+)", out)
    return {"width": int(size.group(1)), "height": int(size.group(2)), "format": fourcc.group(1)}


def index_of(listing: str, kind: str) -> int:
    # v4l2-ctl lists "Input : N" (or "Output : N") then "Name : ..." for each.
    for number, name in re.findall(r"(?:Input|Output)\s*:\s*(\d+)\s*\n\s*Name\s*:\s*([^\n]*)", listing):
        if kind in name:
            return int(number)
    raise StepFailed(f"vivid offers no {kind}: {listing}")


def scan(seconds: float, frames: int = None, first_code: bool = False):
    """qrpos scan on /dev/video0: its decoded lines, its verbose log, and how long it ran. With `frames` it
    stops by itself after that many frames; with `first_code` it is stopped once it has printed a code."""
    command = [QRPOS, "scan", "--camera", "/dev/video0", "--size", "1280x720", "--verbose"]
    command += ["--frames", str(frames)] if frames else ["--seconds", str(seconds)]
    started = time.monotonic()
    err_log = SHARE / "scan.log"
    with open(err_log, "a") as sink:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=sink, text=True)
    limit = seconds + 60
    if first_code:
        lines = []
        while time.monotonic() - started < limit and not lines:
            ready, _, _ = select.select([process.stdout], [], [], 1)
            if ready:
                line = process.stdout.readline()
                if not line:
                    break
                lines.append(line.strip())
            elif process.poll() is not None:
                break
        elapsed = time.monotonic() - started
        stop(process, 10)
        return lines, err_log.read_text(), elapsed
    try:
        out, _ = process.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise StepFailed(f"qrpos scan did not finish within {limit:.0f} s: {err_log.read_text()[-800:]}")
    err = err_log.read_text()
    check(process.returncode == 0, f"qrpos scan exited with {process.returncode}: {err[-800:]}")
    return [line for line in out.splitlines() if line.strip()], err, time.monotonic() - started


@step("camera")
def camera():
    inputs = v4l2("-d", "/dev/video0", "--list-inputs")
    v4l2("-d", "/dev/video0", "-i", str(index_of(inputs, "Webcam")))
    frames = 60
    codes, log, seconds = scan(seconds=240, frames=frames)
    opened = re.search(r"scanning v4l2 /dev/video0 (\S+) (\w+) (\d+)x(\d+)", log)
    check(opened is not None, f"qrpos scan did not open the camera: {log[-800:]}")
    driver, fourcc, width, height = opened.group(1), opened.group(2), int(opened.group(3)), int(opened.group(4))
    said = driver_format("/dev/video0")
    check(driver == "vivid", f"the camera is {driver}")
    check(said == {"width": width, "height": height, "format": fourcc},
          f"qrpos used {fourcc} {width}x{height} but the driver's G_FMT says {said}")
    check(codes == [], f"vivid's test pattern was read as a code: {codes}")
    return (f"{frames} frames from vivid's webcam input in {seconds:.1f} s as {fourcc} {width}x{height} "
            f"(the driver's G_FMT agrees), no code read from the test pattern")


def hold_up_shopper_code():
    """The shopper's phone in front of the camera: vivid's video output looped into its capture.

    vivid loops output to capture only between an input and an output of the same kind (HDMI here), at the
    same resolution (720p60 on both by default), pixel format and field order; the capture shows noise
    until the output streams. v4l2-ctl streams vm.py's raw frame into /dev/video1 over and over.
    Returns (the v4l2-ctl process, the shopper's code, the output format)."""
    shopper = json.loads((SHARE / "shopper.json").read_text())
    frame = SHARE / "shopper-1280x720.grey"
    v4l2("-d", "/dev/video0", "-i", str(index_of(v4l2("-d", "/dev/video0", "--list-inputs"), "HDMI")))
    v4l2("-d", "/dev/video0", "-c", "loop_video=1")
    v4l2("-d", "/dev/video1", "-o", str(index_of(v4l2("-d", "/dev/video1", "--list-outputs"), "HDMI")))
    v4l2("-d", "/dev/video1", f"--set-fmt-video-out=width={shopper['width']},height={shopper['height']},pixelformat={shopper['format']}")
    out_format = driver_format("/dev/video1", "video-out")
    check(out_format == {k: shopper[k] for k in ("width", "height", "format")}, f"vivid's output took {out_format}")
    say(f"vivid output: {out_format}; streaming {frame.name} into /dev/video1 with v4l2-ctl")
    feeder_log = SHARE / "loopback-feeder.log"
    with open(feeder_log, "w") as sink:
        feeder = subprocess.Popen(["v4l2-ctl", "-d", "/dev/video1", "--stream-out-mmap=3", f"--stream-from={frame}", "--stream-loop"],
                                  stdout=sink, stderr=sink)
    time.sleep(1)
    if feeder.poll() is not None:
        raise StepFailed(f"v4l2-ctl stopped streaming to the output: {feeder_log.read_text()[-600:]}")
    return feeder, shopper, out_format


@step("loopback")
def loopback():
    feeder, shopper, out_format = hold_up_shopper_code()
    try:
        say("qrpos scan --camera /dev/video0 until it reads a code")
        codes, log, seconds = scan(seconds=180, first_code=True)
        say(f"qrpos scan returned after {seconds:.1f} s: {codes}")
    finally:
        stop(feeder, 10)
    opened = re.search(r"scanning (v4l2 /dev/video0 .*)", log)
    check(opened is not None, f"qrpos scan did not open the camera: {log[-800:]}")
    capture = driver_format("/dev/video0")
    check(codes, f"no code decoded from the looped frames in 180 s ({opened.group(1)}; capture {capture}, output {out_format}); "
                 f"{log[-600:]}")
    decoded = json.loads(codes[0])
    check(decoded.get("tags", {}).get("number") == shopper["payload"] and decoded.get("wallet") == shopper["wallet"],
          f"decoded {codes[0]}, expected {shopper['payload']} ({shopper['wallet']})")
    return (f"{shopper['symbology']} {shopper['payload']} written to /dev/video1 (HDMI, {out_format['format']} "
            f"{out_format['width']}x{out_format['height']}) came back through vivid's loop and `qrpos scan` on /dev/video0 "
            f"({opened.group(1)}) read it in {seconds:.1f} s: wallet {decoded.get('wallet')}, {decoded.get('symbology')}")


# MARK: a whole sale

class Timex(ctypes.Structure):
    _fields_ = [("modes", ctypes.c_uint), ("offset", ctypes.c_long), ("freq", ctypes.c_long),
                ("maxerror", ctypes.c_long), ("esterror", ctypes.c_long), ("status", ctypes.c_int),
                ("constant", ctypes.c_long), ("precision", ctypes.c_long), ("tolerance", ctypes.c_long),
                ("time_sec", ctypes.c_long), ("time_usec", ctypes.c_long), ("tick", ctypes.c_long),
                ("ppsfreq", ctypes.c_long), ("jitter", ctypes.c_long), ("shift", ctypes.c_int),
                ("stabil", ctypes.c_long), ("jitcnt", ctypes.c_long), ("calcnt", ctypes.c_long),
                ("errcnt", ctypes.c_long), ("stbcnt", ctypes.c_long), ("tai", ctypes.c_int),
                ("padding", ctypes.c_int * 11)]


def kernel_clock_synchronised(mark: bool = False) -> bool:
    """adjtimex, as chrony does once it trusts its sources (STA_UNSYNC cleared, errors zeroed)."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    t = Timex()
    if mark:
        t.modes = 0x0010 | 0x0004 | 0x0008  # ADJ_STATUS | ADJ_MAXERROR | ADJ_ESTERROR
        t.status, t.maxerror, t.esterror = 0, 0, 0
    state = libc.adjtimex(ctypes.byref(t))
    check(state >= 0, f"adjtimex failed: errno {ctypes.get_errno()}")
    return state != 5 and not (t.status & 0x0040)  # TIME_ERROR, STA_UNSYNC


def ecr(method: str, path: str, token: str, body: dict = None, timeout: float = 60):
    request = urllib.request.Request(f"http://127.0.0.1:8417{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None,
                                     headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


def final_state(token: str, sale_id: str, seconds: float = 150) -> dict:
    """Long-polls the register API until the sale is final."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        status, view = ecr("GET", f"/v1/sales/{sale_id}?wait=20", token, timeout=40)
        check(status == 200, f"GET /v1/sales/{sale_id} answered {status} {view}")
        if view["status"] in ("paid", "declined", "expired", "cancelled", "refunded"):
            return view
    raise StepFailed(f"sale {sale_id} not final after {seconds:.0f} s: {view}")


def lights_now(seconds: float) -> dict:
    """Each light's physical levels (sim_gpioN/value) seen over `seconds`, keyed by light name."""
    with open(REPO / BOARD / "board.toml", "rb") as f:
        wiring = {name: spec for name, spec in tomllib.load(f)["lights"].items() if isinstance(spec, dict)}
    files = sim_value_files()
    seen = {name: set() for name in wiring}
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for name, spec in wiring.items():
            seen[name].add(int(read(files[spec["line"]])))
        time.sleep(0.03)
    return seen


def check_lights(state: str, seconds: float = 2.5, settle: float = 0.0) -> str:
    """The terminal's lights against the board's wiring: `state` as StatusSignal names it. `settle`: the register
    hears a sale's end the moment it is journalled; the counter changes its lights with its next frame, which under
    TCG can take most of a second while a 1280x800 code screen is being drawn."""
    time.sleep(settle)
    with open(REPO / BOARD / "board.toml", "rb") as f:
        wiring = {name: spec for name, spec in tomllib.load(f)["lights"].items() if isinstance(spec, dict)}
    lit = {"ready": ("green", "steady"), "waiting": ("amber", "changes"), "paid": ("green", "changes"),
           "declined": ("red", "steady"), "offline": ("red", "changes")}[state]
    seen = lights_now(seconds)
    problems = []
    for name, spec in wiring.items():
        off = {int(bool(spec.get("active_low")))}
        on = {1 - next(iter(off))}
        want = (on if lit[1] == "steady" else {0, 1}) if name == lit[0] else off
        if seen[name] != want:
            problems.append(f"{name} read {sorted(seen[name])}, expected {sorted(want)}")
    shown = ", ".join(f"{n}={'/'.join(map(str, sorted(v)))}" for n, v in seen.items())
    check(not problems, f"lights for {state}: " + "; ".join(problems) + f" (sim_gpioN/value: {shown})")
    say(f"lights {state}: {shown} (physical; red active low)")
    return f"{state} {shown}"


@step("sale")
def sale():
    state = Path("/tmp/state")
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir()
    check(not kernel_clock_synchronised(), "the kernel clock is already marked synchronised at boot")
    subprocess.run([QRPOS, "pki", "dev", "--out", str(state / "pki"), "--terminal-id", "QEMU-0001"],
                   check=True, capture_output=True, cwd=REPO, timeout=300)
    # The shopper's phone is held up in front of the camera from the start: the terminal must only read it
    # when a sale asks for the shopper's code.
    feeder, shopper, _ = hold_up_shopper_code()
    sim_log, run_log = open(SHARE / "acquirer-sim.log", "w"), open(SHARE / "qrpos-run.log", "w")
    simulator = subprocess.Popen([ACQUIRER_SIM, "--listen", "127.0.0.1:8443", "--pki", str(state / "pki"),
                                  "--db", str(state / "acquirer.sqlite"), "--auto-pay", str(AUTO_PAY)], stdout=sim_log, stderr=sim_log)
    terminal = None
    try:
        terminal = subprocess.Popen([QRPOS, "run", "--board", BOARD, "--state", str(state)], stdout=run_log, stderr=run_log, cwd=REPO)
        token_file = state / "ecr.token"
        wait_for(lambda: token_file.exists() and token_file.read_text().strip() or terminal.poll() is not None, 300, "the ECR token")
        check(terminal.poll() is None, f"qrpos run stopped: {read(SHARE / 'qrpos-run.log')[-1500:]}")
        token = token_file.read_text().strip()

        def health():
            try:
                return ecr("GET", "/v1/health", token, timeout=10)[1]
            except OSError:
                return None
        wait_for(lambda: health() is not None or terminal.poll() is not None, 300, "the ECR API on 127.0.0.1:8417")
        check(terminal.poll() is None, f"qrpos run stopped: {read(SHARE / 'qrpos-run.log')[-1500:]}")
        first = health()
        say(f"health with the clock unsynchronised: {first}")
        def status_of(report, part):
            # Health is typed: {"part": {"status": "ok" | "absent" | "failing", "detail": ...}}.
            return ((report or {}).get(part) or {}).get("status")
        for device in ("display", "camera", "lights"):
            check(status_of(first, device) == "ok", f"the terminal's {device}: {first.get(device)}")
        status, refused = ecr("POST", "/v1/sales", token, {"amount": 1200, "currency": "JPY"})
        check(status == 503 and "clock" in json.dumps(refused), f"a sale with an unsynchronised clock got {status} {refused}")
        say(f"sale refused while the kernel says the clock is unsynchronised: {status} {refused}")
        lights_seen = [check_lights("offline")]

        kernel_clock_synchronised(mark=True)
        check(kernel_clock_synchronised(), "adjtimex did not clear STA_UNSYNC")
        wait_for(lambda: status_of(health(), "clock") == "ok", 30, "qrpos to see the synchronised clock")
        wait_for(lambda: status_of(health(), "acquirer") == "ok", 120, "the acquirer link")
        say(f"health: {health()}")
        lights_seen.append(check_lights("ready"))

        # 1. The terminal shows the code; the simulated shopper pays it after AUTO_PAY seconds.
        status, created = ecr("POST", "/v1/sales", token, {"amount": 1200, "currency": "JPY", "reference": "VM-1"})
        check(status == 201, f"POST /v1/sales answered {status} {created}")
        shown_id = created["id"]
        say(f"sale {shown_id}: {created['status']}")
        # The register never sees the payload; the code on screen must carry the amount (54 04 1200) and the
        # sale id as its reference (62 05).
        answer = screendump("sale", contains=["54041200", shown_id], within=AUTO_PAY)
        check(answer["ok"], f"the counter screen during the sale: {answer.get('detail')}")
        decoded = answer.get("decoded") or {}
        check(answer.get("decode_status") == 0 and decoded.get("scheme") == "jpqr" and decoded.get("amount") == "1200"
              and (decoded.get("details") or {}).get("reference") == shown_id,
              f"the code on screen is not a dynamic JPQR for 1200 yen with reference {shown_id}: {decoded}")
        read_code = answer["read"][0]
        say(f"code on the screen during the sale: {read_code}")
        lights_seen.append(check_lights("waiting"))
        shown = final_state(token, shown_id)
        check(shown["status"] == "paid", f"the shown-code sale ended {shown}")
        lights_seen.append(check_lights("paid", 2, settle=1.5))
        # The paid screen replaces the code: nobody scans a code that is already paid.
        after = screendump("sale-paid", absent=True)
        check(after["ok"], f"the counter screen after payment: {after.get('detail')}")

        # 2. The shopper shows their code: the terminal reads it through vivid's loop and charges it.
        wait_for(lambda: ecr("GET", "/v1/health", token)[0] == 200 and (terminal.poll() is None), 30, "the terminal to be ready again")
        status, created = None, None
        for _ in range(30):  # the paid screen may still hold the counter for a moment: 409 until then
            status, created = ecr("POST", "/v1/sales", token, {"amount": 800, "currency": "JPY", "reference": "VM-2", "mode": "scan"})
            if status != 409:
                break
            time.sleep(1)
        check(status == 201, f"POST /v1/sales (scan) answered {status} {created}")
        scanned_id = created["id"]
        scanned = final_state(token, scanned_id)
        check(scanned["status"] == "paid" and scanned.get("wallet") == shopper["wallet"],
              f"the scanned sale ended {scanned}, expected paid with {shopper['wallet']}")
        masked = scanned.get("customerCode") or ""
        code = shopper["payload"]
        check(len(masked) == len(code) and all(m in ("*", c) for m, c in zip(masked, code)) and masked.count("*") >= len(code) // 2,
              f"the register saw the customer code as {masked!r}: it must be the shopper's code, masked")
        say(f"scanned sale {scanned_id}: {scanned['status']} {scanned['amount']} {scanned['currency']} {scanned['wallet']} {masked}")

        context = ssl.create_default_context(cafile=str(state / "pki/ca.pem"))
        context.load_cert_chain(str(state / "pki/terminal.pem"), str(state / "pki/terminal.key"))
        with urllib.request.urlopen("https://127.0.0.1:8443/sim/ledger", context=context, timeout=30) as response:
            ledger = json.loads(response.read())
        orders = [o for o in ledger["orders"] if o.get("orderId") == shown_id]
        check(len(orders) == 1 and orders[0]["status"] == "paid" and orders[0]["amount"] == 1200,
              f"the ledger holds {orders} for {shown_id}")
        charges = ledger["charges"]
        check(len(charges) == 1 and charges[0]["status"] == "paid" and charges[0]["amount"] == 800
              and charges[0]["wallet"] == shopper["wallet"], f"the ledger holds charges {charges}, expected one paid 800 yen charge")
        say(f"ledger: order {shown_id} paid 1200 JPY ({orders[0].get('wallet')}); one charge {charges[0]['chargeId']} "
            f"paid 800 JPY {charges[0]['wallet']} {charges[0]['maskedCode']}")
        return (f"refused while unsynchronised (503); shown code {shown_id}: {read_code} read off the DRM screen, paid, "
                f"code gone after; scanned sale {scanned_id}: {shopper['payload'][:6]}… through vivid's loop, paid by "
                f"{scanned['wallet']}; ledger: one paid order, one paid charge; lights {' | '.join(lights_seen)}")
    finally:
        if terminal is not None:
            stop(terminal)
        stop(simulator)
        stop(feeder, 10)


passed = sum(results)
say(f"{passed} passed, {len(results) - passed} failed")
sys.exit(0 if all(results) else 1)
