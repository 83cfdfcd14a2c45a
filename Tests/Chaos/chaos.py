#!/usr/bin/env python3
"""The chaos test: real `qrpos run` terminals and a real `acquirer-sim`, thousands of sales, compound faults.

  chaos.py [--bin DIR] [--sales N] [--seed S] [--terminals K] [--work DIR] [--keep]

Several terminals (each its own certificate under one CA, state folder, ECR port and board file) take sales
over the ECR API in every mode (show, scan, auto) against one simulator, while shoppers pay shown orders
(POST /sim/orders/{id}/pay), hold up wallet codes (images put into each terminal's camera folder, rendered
once by `qrpos present`), pay twice (auto mode: the order and a code), walk away (the code expires), and the
cashier cancels at random moments. Paid sales are refunded, partly or fully. Meanwhile fault rules
(POST /sim/faults: drop, hang, reset, 5xx, latency; before or after the commit) hit every host endpoint,
`qrpos` is killed with SIGKILL at random moments and restarted on the same state folder, and the host is
killed and started again on the same ledger file, sometimes staying down a few seconds.

At the end the faults are cleared, every sale the terminals know (their journals) is waited for until final,
and each is checked against the host's ledger (GET /sim/ledger):
  stuck       not final after the settle deadline
  double      two paid records (order and/or charges, paid or refunded since) for one sale
  lost        the host keeps money (a paid record not fully refunded) for a sale the terminal reports
              cancelled, expired or declined (or for a sale no terminal knows)
  mismatched  the terminal says paid or refunded and the host has nothing paid for it, a paid amount differs,
              or the terminal's refunded amount differs from the host's refunds
One summary line, a block per failing sale (the terminal's view, the host's records, the journal's
transitions, what the harness did), exit status 1 on any failure. The seed is printed at the start and in the
summary: `--seed S` replays the same choices (timing aside). Standard library only.
"""
import argparse
import http.client
import json
import os
import random
import re
import shutil
import signal
import socket
import sqlite3
import ssl
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
FINAL = {"paid", "declined", "expired", "cancelled", "refunded"}
START = time.monotonic()

# Shoppers' wallets: (registry id, numeric prefix, length). Codes are made of random digits after the prefix;
# the simulator is started with alipay declining, unionpay asking the shopper to confirm, merpay with a limit.
WALLET_CODES = [("paypay", "9000818188", 24), ("rakutenpay", "900001", 16), ("dbarai", "90000002", 22),
                ("wechatpay", "13", 18), ("alipay", "28", 18), ("unionpay", "62", 19), ("merpay", "31589900", 19),
                ("aupay", "31589921", 19)]
SIM_WALLETS = ["alipay=decline", "unionpay=confirm:1", "merpay=limit:3000"]
# Wallets a shopper pays a shown order with (weights: mostly approving ones).
ORDER_WALLETS = ["paypay"] * 5 + ["wechatpay", "rakutenpay", "alipay", "unionpay", "merpay"]
# What the shopper and the cashier do in one sale, with weights.
SCENARIOS = [("show-pay", 28), ("scan-code", 22), ("auto-pay", 9), ("auto-code", 9), ("auto-both", 8),
             ("walk-away", 6), ("cancel-race", 18)]
# Fault rules: (method, path prefix or None for any /v1 path); SALE is replaced by the sale id.
FAULT_TARGETS = [("POST", "/v1/orders"), ("POST", "/v1/orders"), ("GET", "/v1/orders/SALE"),
                 ("POST", "/v1/orders/SALE/cancel"), ("POST", "/v1/charges"), ("POST", "/v1/charges"),
                 ("GET", "/v1/charges/SALE-c1"), ("POST", "/v1/charges/SALE-c1/cancel"), ("POST", "/v1/refunds"),
                 ("POST", "/v1/refunds"), (None, "/v1/orders/SALE"), (None, None)]
FAULT_KINDS = ["drop", "hang", "reset", "5xx", "status=502", "status=503", "latency"]


def log(text):
    print(f"chaos: {text}", flush=True)


def elapsed():
    return time.monotonic() - START



def json_answer(response) -> tuple:
    """An HTTP answer as (status, JSON object); a body that is not JSON comes back as {"raw": the first 200 bytes}."""
    raw = response.read()
    try:
        return response.status, json.loads(raw) if raw else {}
    except ValueError:
        return response.status, {"raw": raw[:200].decode(errors="replace")}

class Failure(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def environment():
    return dict(os.environ, QRPOS_HOME=str(REPO))


# ---------------------------------------------------------------------------------------------- the host

class Host:
    """acquirer-sim as a process on a fixed port and ledger file; /sim requests over mutual TLS."""

    def __init__(self, bin_dir, work, pki, client_pki):
        self.bin, self.work, self.pki = bin_dir, work, pki
        self.db = work / "ledger.sqlite"
        self.port = 0
        self.proc = None
        self.lock = threading.RLock()
        self.up = threading.Event()
        self.local = threading.local()
        self.restarts = 0
        self.context = ssl.create_default_context(cafile=str(pki / "ca.pem"))
        self.context.load_cert_chain(str(client_pki / "terminal.pem"), str(client_pki / "terminal.key"))
        self.logfile = open(work / "acquirer-sim.log", "ab")

    def start(self):
        with self.lock:
            listen = f"127.0.0.1:{self.port}"
            for attempt in range(50):
                proc = subprocess.Popen([str(self.bin / "acquirer-sim"), "--listen", listen, "--pki", str(self.pki),
                                         "--db", str(self.db), "--log-level", "warning"]
                                        + [a for w in SIM_WALLETS for a in ("--wallet", w)],
                                        stdout=subprocess.PIPE, stderr=self.logfile, env=environment())
                line = proc.stdout.readline().decode()
                match = re.search(r":(\d+)\s*$", line)
                if match:
                    self.port = int(match.group(1))
                    self.proc = proc
                    self.up.set()
                    return
                proc.wait()
                time.sleep(0.2)  # the port may still be held by the process just killed
            raise Failure(f"acquirer-sim did not start on {listen}; see {self.work / 'acquirer-sim.log'}")

    def stop(self, hard=True):
        with self.lock:
            self.up.clear()
            if self.proc:
                self.proc.send_signal(signal.SIGKILL if hard else signal.SIGTERM)
                self.proc.wait()
                self.proc.stdout.close()
                self.proc = None

    def restart(self, down_seconds, hard):
        self.stop(hard)
        self.restarts += 1
        time.sleep(down_seconds)
        self.start()

    def request(self, method, path, body=None, timeout=10, patience=60):
        """A /sim request: (status, JSON). Waits for the host while it is down, up to `patience` seconds."""
        deadline = time.monotonic() + patience
        while True:
            if not self.up.wait(max(0.0, deadline - time.monotonic())):
                raise Failure(f"host down for {patience} s ({method} {path})")
            conn = getattr(self.local, "conn", None)
            try:
                if conn is None or getattr(self.local, "port", None) != self.port:
                    conn = http.client.HTTPSConnection("127.0.0.1", self.port, context=self.context, timeout=timeout)
                    self.local.conn, self.local.port = conn, self.port
                data = json.dumps(body).encode() if body is not None else None
                conn.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
                return json_answer(conn.getresponse())
            except (OSError, http.client.HTTPException):
                self.local.conn = None
                try:
                    conn.close()
                except Exception:
                    pass
                if time.monotonic() > deadline:
                    raise Failure(f"host unreachable for {patience} s ({method} {path})")
                time.sleep(0.1)

    def add_fault(self, fault, method, path, times):
        body = {"fault": fault, "times": times}
        if method:
            body["method"] = method
        if path:
            body["path"] = path
        status, answer = self.request("POST", "/sim/faults", body)
        if status != 201:
            raise Failure(f"POST /sim/faults {body}: {status} {answer}")


# ---------------------------------------------------------------------------------------------- a terminal

class Terminal:
    """One `qrpos run` with its own certificate, state folder, board file, camera folder and ECR port."""

    def __init__(self, n, bin_dir, work, options):
        self.n, self.id, self.bin = n, f"T-{n}", bin_dir
        self.folder = work / f"t{n}"
        self.camera = self.folder / "camera"
        self.port = free_port()
        self.options = options
        self.proc = None
        self.token = ""
        self.ready = threading.Event()
        self.lock = threading.RLock()
        self.kills = 0
        self.local = threading.local()
        self.dead = False  # given up on (a sale never finished): takes no more sales

    def write_files(self, host_port):
        board = self.folder / "board"
        board.mkdir(parents=True, exist_ok=True)
        self.camera.mkdir(exist_ok=True)
        (board / "board.toml").write_text(f"""name = "chaos-{self.n}"
[display]
backend = "png"
folder = "{self.folder}/screens"
size = "480x320"
terminal_preview = false
[camera]
backend = "images"
folder = "{self.camera}"
[lights]
backend = "simulated"
[keypad]
backend = "none"
[clock]
source = "simulated"
synchronised = true
""")
        text = (REPO / "Board/sim/terminal.toml").read_text()
        o = self.options
        for old, new in [('id = "SIM-0001"', f'id = "{self.id}"'),
                         ("https://127.0.0.1:8443", f"https://127.0.0.1:{host_port}"),
                         ("127.0.0.1:8417", f"127.0.0.1:{self.port}"),
                         ("code_lifetime = 180", f"code_lifetime = {o.code_lifetime}"),
                         ("connect_timeout = 3", "connect_timeout = 2"),
                         ("read_timeout = 25", f"read_timeout = {o.read_timeout}"),
                         ("request_timeout = 10", f"request_timeout = {o.request_timeout}")]:
            if old not in text:
                raise Failure(f"Board/sim/terminal.toml no longer has {old!r}; update chaos.py")
            text = text.replace(old, new)
        (self.folder / "terminal.toml").write_text(text)

    def start(self):
        with self.lock:
            log_file = open(self.folder / "terminal.stderr", "ab")
            self.proc = subprocess.Popen([str(self.bin / "qrpos"), "run", "--board", str(self.folder / "board"),
                                          "--config", str(self.folder / "terminal.toml"), "--state", str(self.folder),
                                          "--log-level", "info"],
                                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=log_file,
                                         env=environment())
            log_file.close()
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise Failure(f"{self.id}: qrpos run exited with {self.proc.returncode}; see {self.folder}/terminal.stderr")
                token_file = self.folder / "ecr.token"
                if token_file.exists():
                    self.token = token_file.read_text().strip()
                if self.token:
                    try:
                        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                        conn.request("GET", "/v1/health", headers={"Authorization": f"Bearer {self.token}"})
                        status = conn.getresponse().status
                        conn.close()
                        if status in (200, 503):
                            self.ready.set()
                            return
                    except OSError:
                        pass
                time.sleep(0.1)
            raise Failure(f"{self.id}: qrpos run did not answer within 60 s")

    def kill(self):
        """SIGKILL, as a power cut; the caller starts it again."""
        with self.lock:
            self.ready.clear()
            if self.proc:
                self.proc.kill()
                self.proc.wait()
                self.kills += 1

    def stop(self):
        with self.lock:
            self.ready.clear()
            if self.proc and self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()

    def ecr(self, method, path, body=None, timeout=15, patience=90):
        """An ECR request: (status, JSON), or (None, reason) when the terminal did not answer (killed mid-request).
        Waits up to `patience` seconds for a terminal being restarted before sending."""
        if not self.ready.wait(patience):
            return None, "terminal down"
        conn = getattr(self.local, "conn", None)
        try:
            if conn is None:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
                self.local.conn = conn
            conn.timeout = timeout
            if conn.sock is not None:
                conn.sock.settimeout(timeout)
            data = json.dumps(body).encode() if body is not None else None
            headers = {"Authorization": f"Bearer {self.token}"}
            if data:
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=headers)
            return json_answer(conn.getresponse())
        except (OSError, http.client.HTTPException) as error:
            self.local.conn = None
            conn.close()
            return None, f"{type(error).__name__}: {error}"

    def ecr_retrying(self, method, path, body=None, timeout=15, patience=90):
        """For requests safe to repeat (reads, cancels): sent again after a restart."""
        deadline = time.monotonic() + patience
        while True:
            status, answer = self.ecr(method, path, body, timeout, patience=max(1.0, deadline - time.monotonic()))
            if status is not None or time.monotonic() > deadline:
                return status, answer
            time.sleep(0.2)

    def present(self, image, tag):
        """The shopper holds up a phone: a pre-rendered code image renamed into the watched camera folder."""
        name = f"shopper-{tag}-{time.monotonic_ns()}.png"
        partial = self.camera / f".{name}"
        os.link(image, partial)
        os.rename(partial, self.camera / name)

    def sweep_camera(self):
        cutoff = time.time() - 30
        for path in self.camera.glob("shopper-*.png"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
            except OSError:
                pass

    def journal(self):
        """Every sale in the journal (read-only): {id: row}."""
        path = self.folder / "journal.sqlite"
        if not path.exists():
            return {}
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            db.row_factory = sqlite3.Row
            return {row["id"]: dict(row) for row in db.execute("SELECT * FROM sale")}
        finally:
            db.close()

    def transitions(self, sale_id):
        path = self.folder / "journal.sqlite"
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            return list(db.execute("SELECT at, fromState, toState, event FROM \"transition\" WHERE saleId = ? ORDER BY seq",
                                   (sale_id,)))
        finally:
            db.close()


# ---------------------------------------------------------------------------------------------- the run

class Record:
    """What the harness did in one sale, for the failure report."""

    def __init__(self, index, terminal, scenario, mode, amount):
        self.index, self.terminal, self.scenario, self.mode, self.amount = index, terminal, scenario, mode, amount
        self.id = None
        self.started = time.monotonic()
        self.events = []

    def note(self, text):
        self.events.append(f"+{time.monotonic() - self.started:6.3f} {text}")


class Chaos:
    def __init__(self, options):
        self.o = options
        self.seed = options.seed
        self.bin = Path(options.bin).absolute()
        self.lock = threading.Lock()
        self.next_index = 0
        self.records = {}       # (terminal id, sale id) -> Record
        self.by_index = {}      # harness index -> Record
        self.faults = 0
        self.refund_requests = 0
        self.sales_done = 0
        self.durations = []
        self.harness_errors = 0
        self.stop_chaos = threading.Event()
        plan = random.Random(f"{self.seed}:plan")
        # Host restarts after these sale numbers; how long each stays down and whether it is a SIGKILL.
        self.restart_at = {}
        n = 0
        while options.host_restart_every > 0:
            n += plan.randint(max(1, options.host_restart_every // 2), options.host_restart_every * 3 // 2)
            if n >= options.sales:
                break
            # (seconds down, SIGKILL rather than SIGTERM, killed while requests hang after their commit)
            self.restart_at[n] = (plan.choice([0, 0, 0.3, 1, 2, 4]), plan.random() < 0.7, plan.random() < 0.5)
        self.restart_due = []

    # -- setup

    def setup(self):
        for name in ("qrpos", "acquirer-sim"):
            if not (self.bin / name).exists():
                raise Failure(f"{self.bin / name} is missing: build it (swift build --product {name}) or pass --bin DIR")
        if self.o.work:
            self.work = Path(self.o.work).resolve()
            if self.work.exists():
                shutil.rmtree(self.work)
            self.work.mkdir(parents=True)
        else:
            self.work = Path(tempfile.mkdtemp(prefix="qrpos-chaos-"))
        pki = self.work / "pki"
        self.terminals = [Terminal(n, self.bin, self.work, self.o) for n in range(1, self.o.terminals + 1)]
        for t in self.terminals:
            self.run_tool(["pki", "dev", "--out", str(pki), "--terminal-id", t.id])
            (t.folder / "pki").mkdir(parents=True)
            for name in ("ca.pem", "terminal.pem", "terminal.key"):
                shutil.copy2(pki / name, t.folder / "pki" / name)
        self.host = Host(self.bin, self.work, pki, self.terminals[0].folder / "pki")
        self.host.start()
        self.codes = self.render_codes()
        for t in self.terminals:
            t.write_files(self.host.port)
        starters = [threading.Thread(target=t.start) for t in self.terminals]
        for s in starters:
            s.start()
        for s in starters:
            s.join()
        for t in self.terminals:
            if not t.ready.is_set():
                raise Failure(f"{t.id} did not start; see {t.folder}/terminal.stderr")

    def run_tool(self, arguments):
        run = subprocess.run([str(self.bin / "qrpos")] + arguments, capture_output=True, text=True, env=environment())
        if run.returncode != 0:
            raise Failure(f"qrpos {' '.join(arguments)}: {run.stderr.strip()}")
        return run.stdout

    def render_codes(self):
        """A few distinct codes per wallet, rendered once with `qrpos present` (the sighting window forgets a
        code once the sale stops waiting, so a code may come back in a later sale)."""
        rng = random.Random(f"{self.seed}:codes")
        stage = self.work / "codes"
        stage.mkdir()
        jobs = []
        for wallet, prefix, length in WALLET_CODES:
            for i in range(3):
                code = prefix + "".join(rng.choice("0123456789") for _ in range(length - len(prefix)))
                folder = stage / f"{wallet}-{i}"
                folder.mkdir()
                jobs.append((wallet, code, folder))
        codes = {}

        def render(job):
            wallet, code, folder = job
            out = self.run_tool(["present", code, "--into", str(folder)])
            path, _, seen = out.split()[:3]
            if seen != wallet:
                raise Failure(f"qrpos present {code}: classified as {seen}, expected {wallet}")
            with self.lock:
                codes.setdefault(wallet, []).append(Path(path))

        threads = [threading.Thread(target=lambda chunk=jobs[k::2]: [render(j) for j in chunk]) for k in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        if sum(len(v) for v in codes.values()) != len(jobs):
            raise Failure("rendering the shoppers' codes failed")
        return codes

    # -- sales

    def take_index(self):
        with self.lock:
            if self.next_index >= self.o.sales:
                return None
            self.next_index += 1
            if self.next_index in self.restart_at:
                self.restart_due.append(self.restart_at[self.next_index])
            return self.next_index

    def worker(self, terminal):
        while not terminal.dead:
            index = self.take_index()
            if index is None:
                return
            started = time.monotonic()
            try:
                self.sale(terminal, index)
            except Failure as error:
                log(f"{terminal.id} sale #{index}: {error}")
            except Exception as error:  # a harness bug: say so, and go on with the next sale
                log(f"{terminal.id} sale #{index}: harness error {type(error).__name__}: {error}")
                with self.lock:
                    self.harness_errors += 1
            with self.lock:
                self.sales_done += 1
                done = self.sales_done
                self.durations.append(time.monotonic() - started)
            if done % self.o.progress == 0:
                rate = done / max(0.001, time.monotonic() - self.sales_started)
                log(f"{done}/{self.o.sales} sales, {rate:.2f}/s, kills={sum(t.kills for t in self.terminals)} "
                    f"host-restarts={self.host.restarts} faults={self.faults}")
            if index % 20 == 0:
                terminal.sweep_camera()

    def host_chaos(self):
        """Host restarts, when the sale count reaches the planned numbers."""
        while not self.stop_chaos.wait(0.2):
            with self.lock:
                due = self.restart_due.pop(0) if self.restart_due else None
            if due:
                down, hard, in_flight = due
                if in_flight:
                    # Compound: the next money requests are committed, their answers held back, and the host dies
                    # before it answers; it stays down long enough for the terminals' immediate retry to be refused.
                    try:
                        self.host.add_fault("latency=3000;after", "POST", None, 6)
                        with self.lock:
                            self.faults += 1
                    except Failure:
                        pass
                    time.sleep(1.0)
                    down = max(down, 1)
                self.host.restart(down, hard)

    def fault(self, rng, sale_id, rec):
        method, path = rng.choice(FAULT_TARGETS)
        if path and "SALE" in path:
            if sale_id is None:
                return
            path = path.replace("SALE", sale_id)
        kind = rng.choice(FAULT_KINDS)
        if kind == "latency":
            kind = f"latency={rng.choice([50, 200, 800, 1500, 3000])}"
        side = rng.choice(["", ";before", ";after"])
        times = rng.choice([1, 1, 1, 2, 3])
        try:
            self.host.add_fault(kind + side, method, path, times)
        except Failure as error:
            rec.note(f"fault not added: {error}")
            return
        with self.lock:
            self.faults += 1
        rec.note(f"fault {kind}{side} {method or '*'} {path or '*'} x{times}")

    def sale(self, t, index):
        rng = random.Random(f"{self.seed}:{index}")
        scenario = rng.choices([s for s, _ in SCENARIOS], [w for _, w in SCENARIOS])[0]
        mode = {"show-pay": "show", "scan-code": "scan"}.get(scenario) or (
            "auto" if scenario.startswith("auto") else rng.choice(["show", "scan", "auto"]))
        amount = rng.choice([rng.randint(1, 2999), rng.randint(3000, 20000), rng.randint(100, 1500)])
        rec = Record(index, t.id, scenario, mode, amount)
        with self.lock:
            self.by_index[index] = rec
        faulty = rng.random() < self.o.fault_rate
        if faulty and rng.random() < 0.5:
            self.fault(rng, None, rec)  # before the sale: a rule for any terminal's next request of its kind
        kill_after = rng.uniform(0, 2.5) if rng.random() < self.o.kill_rate else None
        killer = None
        if kill_after is not None:
            killer = threading.Timer(kill_after, self.kill_terminal, (t, rec, rng.choice([0, 0, 0.5, 1.5])))
            killer.start()
        try:
            sale_id = self.start_sale(t, rec, mode, amount, index)
            if sale_id is None:
                return
            if faulty:
                for _ in range(rng.choice([1, 1, 2])):
                    self.fault(rng, sale_id, rec)
            self.play(t, rec, rng, scenario, sale_id)
            final = self.wait_final(t, rec, sale_id)
            if final is not None and final.get("status") == "paid" and rng.random() < self.o.refund_rate:
                self.refunds(t, rec, rng, sale_id, final)
        finally:
            if killer:
                killer.join()

    def kill_terminal(self, t, rec, down):
        rec.note(f"SIGKILL {t.id}")
        t.kill()
        time.sleep(down)
        try:
            t.start()
            rec.note(f"{t.id} restarted")
        except Failure as error:
            rec.note(f"{t.id} restart failed: {error}")
            log(str(error))
            t.dead = True

    def start_sale(self, t, rec, mode, amount, index):
        """POST /v1/sales until one is created; a sale left open (a restart resumed it) is waited for first."""
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            status, body = t.ecr("POST", "/v1/sales", {"amount": amount, "currency": "JPY", "reference": f"C{self.seed % 100000}-{index}",
                                                      "mode": mode})
            if status == 201:
                rec.id = body["id"]
                rec.note(f"created {rec.id} ({body['status']})")
                with self.lock:
                    self.records[(t.id, rec.id)] = rec
                return rec.id
            if status is None:
                # Killed mid-request: the sale may be in the journal; a restart resumes or closes it.
                rec.note(f"create: {body}")
                if not t.ready.wait(90):
                    return None
                busy = self.open_sale_in_journal(t, index)
                if busy:
                    rec.id = busy
                    rec.note(f"the sale was created before the kill: {busy}")
                    with self.lock:
                        self.records[(t.id, busy)] = rec
                    self.wait_final(t, rec, busy)
                    return None
                continue
            if status == 409:
                match = re.search(r"sale (\S+) is still in progress", body.get("error", ""))
                if match:
                    rec.note(f"busy with {match.group(1)}: waiting for it")
                    self.wait_final(t, None, match.group(1))
                    continue
            if status == 503:
                time.sleep(0.5)  # offline (the host restarting): the terminal refuses payments until it sees the host
                continue
            raise Failure(f"POST /v1/sales: {status} {body}")
        raise Failure("no sale could be started for 120 s")

    def open_sale_in_journal(self, t, index):
        reference = f"C{self.seed % 100000}-{index}"
        for sale_id, row in t.journal().items():
            if row.get("reference") == reference:
                return sale_id
        return None

    def play(self, t, rec, rng, scenario, sale_id):
        delay = rng.choice([0, rng.uniform(0, 0.3), rng.uniform(0, 1.0)])
        wallet_code = rng.choice(WALLET_CODES)[0]
        order_wallet = rng.choice(ORDER_WALLETS)
        if scenario in ("show-pay", "auto-pay"):
            time.sleep(delay)
            self.pay(rec, sale_id, order_wallet)
        elif scenario in ("scan-code", "auto-code"):
            time.sleep(delay)
            self.present(t, rec, rng, wallet_code)
        elif scenario == "auto-both":
            time.sleep(delay)
            first, gap = rng.random() < 0.5, rng.choice([0, 0.05, 0.3, 1.0])
            if first:
                self.pay(rec, sale_id, order_wallet)
                time.sleep(gap)
                self.present(t, rec, rng, wallet_code)
            else:
                self.present(t, rec, rng, wallet_code)
                time.sleep(gap)
                self.pay(rec, sale_id, order_wallet)
        elif scenario == "cancel-race":
            cancel_at = rng.choice([0, 0, rng.uniform(0, 0.5), rng.uniform(0, 2.0)])
            shopper = rng.choice([None, "pay", "code"]) if rec.mode != "show" else rng.choice([None, "pay", "pay"])
            shopper_at = rng.uniform(0, 1.5)
            actions = [(cancel_at, "cancel")] + ([(shopper_at, shopper)] if shopper else [])
            started = time.monotonic()
            for at, action in sorted(actions):
                time.sleep(max(0.0, at - (time.monotonic() - started)))
                if action == "cancel":
                    status, body = t.ecr_retrying("POST", f"/v1/sales/{sale_id}/cancel")
                    rec.note(f"cashier cancel: {status} {body.get('status') or body.get('error', '') if isinstance(body, dict) else body}")
                elif action == "pay":
                    self.pay(rec, sale_id, order_wallet, patience=1.5)
                else:
                    self.present(t, rec, rng, wallet_code)
        # walk-away: nothing; the code expires

    def pay(self, rec, sale_id, wallet, patience=None):
        """The shopper scans the shown code and pays; the order may not be registered yet (404: try again)."""
        deadline = time.monotonic() + (patience if patience is not None else self.o.code_lifetime + 1)
        while True:
            try:
                status, body = self.host.request("POST", f"/sim/orders/{sale_id}/pay", {"wallet": wallet})
            except Failure as error:
                rec.note(f"shopper pays {wallet}: {error}")
                return
            if status != 404 or time.monotonic() > deadline:
                rec.note(f"shopper pays {wallet}: {status} {body.get('status') or body.get('error')}")
                return
            time.sleep(0.05)

    def present(self, t, rec, rng, wallet):
        image = rng.choice(self.codes[wallet])
        try:
            t.present(image, rec.index)
            rec.note(f"shopper holds up a {wallet} code")
        except OSError as error:
            rec.note(f"present failed: {error}")

    def wait_final(self, t, rec, sale_id, limit=None):
        deadline = time.monotonic() + (limit or self.o.sale_deadline)
        body = None
        while time.monotonic() < deadline:
            status, body = t.ecr_retrying("GET", f"/v1/sales/{sale_id}?wait=10", timeout=20)
            if status == 200 and body.get("status") in FINAL:
                if rec:
                    rec.note(f"final: {body['status']} refunded={body.get('refundedAmount')} {body.get('detail') or ''}".rstrip())
                return body
            if status not in (200, None):
                raise Failure(f"GET /v1/sales/{sale_id}: {status} {body}")
        if rec:
            rec.note(f"not final after {limit or self.o.sale_deadline} s: {body}")
        log(f"{t.id}: sale {sale_id} not final after {limit or self.o.sale_deadline} s; the terminal takes no more sales")
        t.dead = True
        return None

    def refunds(self, t, rec, rng, sale_id, sale):
        amount = sale["amount"]
        plan = rng.choice(["full", "partial", "partial-then-rest", "two-partials"])
        steps = {"full": [amount]}.get(plan)
        if steps is None and amount < 2:
            steps = [amount]
        elif steps is None:
            first = rng.randint(1, amount - 1)
            steps = {"partial": [first], "partial-then-rest": [first, amount - first]}.get(plan)
            if steps is None:
                second = rng.randint(1, amount - first)
                steps = [first, second]
        for part in steps:
            status, body = t.ecr("POST", "/v1/refunds", {"saleId": sale_id, "amount": part})
            with self.lock:
                self.refund_requests += 1
            rec.note(f"refund {part}: {status} {body.get('status') or body.get('error') if isinstance(body, dict) else body}")
            if status not in (202, None):
                return
            final = self.wait_final(t, rec, sale_id)
            if final is None or final.get("status") != "paid":
                return

    # -- the run

    def run(self):
        log(f"seed={self.seed} sales={self.o.sales} terminals={self.o.terminals} bin={self.bin} "
            f"(replay: make chaos SALES={self.o.sales} SEED={self.seed})")
        self.setup()
        log(f"work folder {self.work}; host on port {self.host.port}; terminals on ECR ports "
            + ", ".join(str(t.port) for t in self.terminals))
        chaos = threading.Thread(target=self.host_chaos, daemon=True)
        self.sales_started = time.monotonic()
        chaos.start()
        workers = [threading.Thread(target=self.worker, args=(t,)) for t in self.terminals]
        for w in workers:
            w.start()
        for w in workers:
            w.join()
        self.stop_chaos.set()
        chaos.join()
        self.sales_time = time.monotonic() - self.sales_started
        d = sorted(self.durations) or [0]
        log(f"{self.sales_done} sales in {self.sales_time:.0f} s ({self.sales_done / max(0.001, self.sales_time):.2f} sales/s); "
            f"a sale took p50 {d[len(d) // 2]:.2f} s, p95 {d[len(d) * 95 // 100]:.2f} s, max {d[-1]:.1f} s; settling")
        return self.settle_and_check()

    def settle_and_check(self):
        if not self.host.up.is_set():
            self.host.start()
        status, body = self.host.request("DELETE", "/sim/faults")
        if status != 200:
            raise Failure(f"DELETE /sim/faults: {status} {body}")
        for t in self.terminals:
            if not t.ready.is_set() or t.proc.poll() is not None:
                t.kill()
                t.start()
        # Every sale the terminals know: their journals (a sale whose creation the harness never heard of too).
        known = {}
        for t in self.terminals:
            for sale_id in t.journal():
                known[(t.id, sale_id)] = t
        views = {}
        deadline = time.monotonic() + self.o.settle

        def settle(t):
            for (tid, sale_id), owner in known.items():
                if owner is not t:
                    continue
                body = None
                while True:
                    left = deadline - time.monotonic()
                    status, body = t.ecr_retrying("GET", f"/v1/sales/{sale_id}?wait={int(max(0, min(20, left)))}", timeout=30,
                                                  patience=max(1, left))
                    if status != 200 or body.get("status") in FINAL or left <= 0:
                        break
                views[(tid, sale_id)] = body if status == 200 else {"status": f"unreadable ({status} {body})"}

        threads = [threading.Thread(target=settle, args=(t,)) for t in self.terminals]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        status, ledger = self.host.request("GET", "/sim/ledger", timeout=60)
        if status != 200:
            raise Failure(f"GET /sim/ledger: {status}")
        return self.check(known, views, ledger)

    def check(self, known, views, ledger):
        orders = {o["orderId"]: o for o in ledger["orders"]}
        charges, refunds = {}, {}
        for c in ledger["charges"]:
            charges.setdefault(c["chargeId"].rsplit("-c", 1)[0], []).append(c)
        for r in ledger["refunds"]:
            refunds.setdefault(r["paymentId"], []).append(r)
        ids = [sale_id for _, sale_id in known]
        duplicates = {i for i in ids if ids.count(i) > 1} if len(ids) != len(set(ids)) else set()
        counts = {s: 0 for s in ("paid", "cancelled", "expired", "declined", "refunded")}
        failures = {"stuck": [], "double": [], "lost": [], "mismatched": []}
        details = []
        for key, view in sorted(views.items(), key=lambda kv: kv[0][1]):
            tid, sale_id = key
            status = view.get("status")
            if status in counts:
                counts[status] += 1
            records = ([orders[sale_id]] if sale_id in orders else []) + charges.get(sale_id, [])
            host_refunds = [r for rec in records for r in refunds.get(rec.get("orderId") or rec.get("chargeId"), [])]
            took = [r for r in records if r["status"] in ("paid", "refunded")]
            holding = [r for r in records if r["status"] == "paid"]
            refunded = sum(r["amount"] for r in host_refunds)
            problems = []
            if status not in FINAL:
                problems.append(("stuck", f"still {status}"))
            if len(took) >= 2:
                problems.append(("double", f"{len(took)} paid records"))
            if status in ("cancelled", "expired", "declined") and holding:
                problems.append(("lost", f"terminal says {status}, host keeps {sum(r['amount'] - r['refundedAmount'] for r in holding)}"))
            if status in ("paid", "refunded") and not took:
                problems.append(("mismatched", f"terminal says {status}, host has nothing paid"))
            if status in ("paid", "refunded") and any(r["amount"] != view.get("amount") for r in took):
                problems.append(("mismatched", "paid amount differs"))
            if status in FINAL and view.get("refundedAmount", 0) != refunded:
                problems.append(("mismatched", f"terminal refunded {view.get('refundedAmount')}, host refunds {refunded}"))
            if status == "refunded" and holding:
                problems.append(("mismatched", f"terminal says refunded, host keeps {sum(r['amount'] - r['refundedAmount'] for r in holding)}"))
            if sale_id in duplicates:
                problems.append(("mismatched", "two terminals used this sale id (the ledger cannot tell them apart)"))
            seen = set()
            for kind, why in problems:
                if kind not in seen:
                    failures[kind].append(sale_id)
                    seen.add(kind)
            if problems:
                details.append(self.detail(tid, sale_id, view, records, host_refunds, problems))
        # Money at the host for a sale no terminal knows.
        known_ids = set(ids)
        for order_id, order in orders.items():
            if order_id not in known_ids and order["status"] == "paid":
                failures["lost"].append(order_id)
                details.append(f"FAIL lost {order_id}: a paid order no terminal's journal knows: {json.dumps(order)}")
        for sale_id, list_ in charges.items():
            if sale_id not in known_ids and any(c["status"] == "paid" for c in list_):
                failures["lost"].append(sale_id)
                details.append(f"FAIL lost {sale_id}: paid charges no terminal's journal knows: {json.dumps(list_)}")
        for block in details[: self.o.details]:
            print(block, flush=True)
        if len(details) > self.o.details:
            log(f"({len(details) - self.o.details} more failing sales not shown; --details N shows more)")
        bad = sum(len(v) for v in failures.values()) + self.harness_errors
        if self.harness_errors:
            log(f"{self.harness_errors} sale(s) ended in a harness error (see above): the run does not count as a pass")
        rate = self.sales_done / max(0.001, self.sales_time)
        summary = (f"chaos: seed={self.seed} sales={len(views)} " + " ".join(f"{k}={v}" for k, v in counts.items())
                   + f" refunds={self.refund_requests} kills={sum(t.kills for t in self.terminals)} host-restarts={self.host.restarts}"
                   + f" faults={self.faults} terminals={len(self.terminals)} time={self.sales_time:.0f}s rate={rate:.2f}/s "
                   + " ".join(f"{k}={len(v)}" for k, v in failures.items()) + (": PASS" if bad == 0 else ": FAIL"))
        if bad:
            for kind, sale_ids in failures.items():
                if sale_ids:
                    log(f"{kind}: {' '.join(sale_ids[:20])}{' …' if len(sale_ids) > 20 else ''}")
            log(f"replay: make chaos SALES={self.o.sales} SEED={self.seed}; run folder kept: {self.work}")
        print(summary, flush=True)
        return bad == 0

    def detail(self, tid, sale_id, view, records, host_refunds, problems):
        lines = [f"FAIL {', '.join(f'{k} ({w})' for k, w in problems)}: sale {sale_id} on {tid}"]
        rec = self.records.get((tid, sale_id))
        if rec is None:
            reference = view.get("reference") or ""
            match = re.match(r"C\d+-(\d+)$", reference)
            rec = self.by_index.get(int(match.group(1))) if match else None
        lines.append("  terminal: " + json.dumps({k: view.get(k) for k in ("status", "mode", "amount", "refundedAmount", "wallet", "detail",
                                                                           "reference", "createdAt", "updatedAt")}))
        if not records:
            lines.append("  host: nothing for this sale")
        for r in records:
            rid = r.get("orderId") or r.get("chargeId")
            lines.append(f"  host: {'order ' if 'orderId' in r else 'charge'} {rid} {r['status']} amount={r['amount']} "
                         f"refunded={r['refundedAmount']} wallet={r.get('wallet')} created={r['createdAt']} paid={r.get('paidAt')} "
                         f"cancelled={r.get('cancelledAt')}")
        for r in host_refunds:
            lines.append(f"  host: refund {r['refundId']} of {r['paymentId']} {r['amount']} at {r['createdAt']}")
        terminal = next(t for t in self.terminals if t.id == tid)
        try:
            for at, before, after, event in terminal.transitions(sale_id):
                lines.append(f"  journal: {at} {before or '-'} -> {after}: {event}")
        except sqlite3.Error as error:
            lines.append(f"  journal: unreadable ({error})")
        # The terminal's log lines that name the sale (retries and outcomes the journal does not keep).
        try:
            with open(terminal.folder / "qrpos.log", errors="replace") as log_file:
                named = [line.rstrip() for line in log_file if sale_id in line]
            lines += [f"  log: {line}" for line in named[-12:]]
        except OSError:
            pass
        if rec:
            lines.append(f"  harness: sale #{rec.index} scenario={rec.scenario} mode={rec.mode} amount={rec.amount}")
            lines += [f"  harness: {e}" for e in rec.events]
        return "\n".join(lines)

    def close(self, keep):
        for t in getattr(self, "terminals", []):
            t.stop()
        if getattr(self, "host", None):
            self.host.stop(hard=False)
        if not keep and getattr(self, "work", None) and not self.o.work:
            shutil.rmtree(self.work, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n", 2)[2])
    parser.add_argument("--bin", default=".build/debug", help="folder with qrpos and acquirer-sim (default .build/debug)")
    parser.add_argument("--sales", type=int, default=1000, help="sales to make (default 1000)")
    parser.add_argument("--seed", default="random", help="seed for every choice; 'random' picks one and prints it")
    parser.add_argument("--terminals", type=int, default=8, help="terminals in parallel against one host (default 8)")
    parser.add_argument("--work", help="run folder (default: a new folder in the temporary directory)")
    parser.add_argument("--keep", action="store_true", help="keep the run folder when the run passes")
    parser.add_argument("--code-lifetime", type=int, default=5, help="seconds a shown or awaited code lives (5 at least)")
    parser.add_argument("--request-timeout", type=int, default=2, help="the terminal's acquirer request timeout, seconds")
    parser.add_argument("--read-timeout", type=int, default=4, help="the terminal's acquirer read timeout, seconds")
    parser.add_argument("--fault-rate", type=float, default=0.25, help="share of sales with fault rules (default 0.25)")
    parser.add_argument("--kill-rate", type=float, default=0.02, help="share of sales during which qrpos is SIGKILLed")
    parser.add_argument("--refund-rate", type=float, default=0.25, help="share of paid sales refunded (partly or fully)")
    parser.add_argument("--host-restart-every", type=int, default=150, help="a host restart about every N sales (0: none)")
    parser.add_argument("--sale-deadline", type=int, default=150, help="seconds a sale may take during the run")
    parser.add_argument("--settle", type=int, default=180, help="seconds every sale gets to become final at the end")
    parser.add_argument("--details", type=int, default=30, help="failing sales to describe (default 30)")
    parser.add_argument("--progress", type=int, default=100, help="a progress line every N sales")
    options = parser.parse_args()
    if options.seed == "random":
        options.seed = random.SystemRandom().randrange(1, 10**9)
    else:
        options.seed = int(options.seed)
    if options.code_lifetime < 5:
        parser.error("--code-lifetime: the terminal takes 5 s at least")
    chaos = Chaos(options)
    passed = False
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(2))
    try:
        passed = chaos.run()
    except Failure as error:
        log(f"error: {error}")
        print(f"chaos: seed={options.seed}: ERROR", flush=True)
    except KeyboardInterrupt:
        log(f"interrupted; seed={options.seed}")
    finally:
        chaos.close(keep=options.keep or not passed)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
