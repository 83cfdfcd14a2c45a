#!/usr/bin/env python3
"""A real Prometheus server scraping a running `qrpos run` (make metrics-test).

Starts, all on loopback with free ports and one temporary folder: `acquirer-sim` on a development PKI from
`qrpos pki dev`, `qrpos run` on the simulated board (Board/sim) with a copy of its terminal file that has
`[metrics] listen`, and Debian's `prometheus` with its own config and data folder scraping GET /metrics every
second. Takes one shown-code sale to paid over the ECR API (the simulator's control API pays the order), then asks
Prometheus's own HTTP API until `qrpos_sales_total{outcome="paid"}` reads 1. Exits 1 with what it saw otherwise;
the folder (logs, config) is kept on failure. Python 3, standard library only.
"""
import argparse
import http.client
import json
import os
import re
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent.parent
START = time.monotonic()


def log(text):
    print(f"metrics-test: [{time.monotonic() - START:5.1f} s] {text}", flush=True)


class Failure(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, seconds, probe, interval=0.2):
    """Calls `probe` until it returns something other than None; a Failure naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        try:
            value = probe()
            if value is not None:
                return value
        except (OSError, http.client.HTTPException, ValueError) as error:
            last = error
        time.sleep(interval)
    raise Failure(f"{what}: not within {seconds} s" + (f" (last error: {last})" if last else ""))


def http_get(port, path, headers=None, timeout=5):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request("GET", path, headers=headers or {})
        response = conn.getresponse()
        return response.status, response.getheader("Content-Type"), response.read().decode()
    finally:
        conn.close()


class Run:
    def __init__(self, bin_dir, work, prometheus):
        self.bin, self.work, self.prometheus_bin = bin_dir, work, prometheus
        self.processes = []
        self.env = dict(os.environ, QRPOS_HOME=str(REPO))

    def spawn(self, name, arguments, stdout=subprocess.DEVNULL):
        log_file = open(self.work / f"{name}.log", "ab")
        proc = subprocess.Popen(arguments, stdin=subprocess.DEVNULL, stdout=stdout, stderr=log_file, env=self.env)
        log_file.close()
        self.processes.append((name, proc))
        return proc

    def stop_all(self):
        for name, proc in reversed(self.processes):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            if proc.stdout:
                proc.stdout.close()

    def check_alive(self):
        for name, proc in self.processes:
            if proc.poll() is not None:
                raise Failure(f"{name} exited with {proc.returncode}; see {self.work / (name + '.log')}")

    # ------------------------------------------------------------------------------------------ the programs

    def start_host(self):
        subprocess.run([str(self.bin / "qrpos"), "pki", "dev", "--out", str(self.work / "pki"), "--terminal-id", "SIM-0001"],
                       check=True, stdout=subprocess.DEVNULL, env=self.env)
        proc = self.spawn("acquirer-sim", [str(self.bin / "acquirer-sim"), "--listen", "127.0.0.1:0", "--pki", str(self.work / "pki"),
                                           "--db", str(self.work / "ledger.sqlite"), "--log-level", "warning"], stdout=subprocess.PIPE)
        line = proc.stdout.readline().decode()
        match = re.search(r":(\d+)\s*$", line)
        if not match:
            raise Failure(f"acquirer-sim did not say its port ({line!r}); see {self.work / 'acquirer-sim.log'}")
        self.host_port = int(match.group(1))
        self.tls = ssl.create_default_context(cafile=str(self.work / "pki/ca.pem"))
        self.tls.load_cert_chain(str(self.work / "pki/terminal.pem"), str(self.work / "pki/terminal.key"))
        log(f"acquirer-sim on 127.0.0.1:{self.host_port}")

    def start_terminal(self):
        self.ecr_port, self.metrics_port = free_port(), free_port()
        text = (REPO / "Board/sim/terminal.toml").read_text()
        for old, new in [("https://127.0.0.1:8443", f"https://127.0.0.1:{self.host_port}"), ("127.0.0.1:8417", f"127.0.0.1:{self.ecr_port}")]:
            if old not in text:
                raise Failure(f"Board/sim/terminal.toml no longer has {old!r}; update {Path(__file__).name}")
            text = text.replace(old, new)
        text += f'\n[metrics]\nlisten = "127.0.0.1:{self.metrics_port}"\n'
        (self.work / "terminal.toml").write_text(text)
        self.spawn("qrpos", [str(self.bin / "qrpos"), "run", "--board", str(REPO / "Board/sim"), "--config", str(self.work / "terminal.toml"),
                             "--state", str(self.work), "--log-level", "info"])

        def ready():
            self.check_alive()
            token_file = self.work / "ecr.token"
            if not token_file.exists() or not token_file.read_text().strip():
                return None
            self.token = token_file.read_text().strip()
            status, _, _ = http_get(self.ecr_port, "/v1/health", {"Authorization": f"Bearer {self.token}"})
            return status if status in (200, 503) else None
        wait_for("qrpos run answering GET /v1/health", 90, ready)
        status, content_type, body = wait_for("qrpos serving GET /metrics", 10, lambda: http_get(self.metrics_port, "/metrics"))
        if status != 200 or "qrpos_build_info{" not in body:
            raise Failure(f"GET /metrics from qrpos: {status} {content_type}\n{body}")
        log(f"qrpos run: ECR API on 127.0.0.1:{self.ecr_port}, GET /metrics on 127.0.0.1:{self.metrics_port} ({content_type})")

    def start_prometheus(self):
        self.prom_port = free_port()
        config = self.work / "prometheus.yml"
        config.write_text(f"""global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: qrpos
    static_configs:
      - targets: ["127.0.0.1:{self.metrics_port}"]
""")
        (self.work / "prometheus-data").mkdir()
        self.spawn("prometheus", [self.prometheus_bin, f"--config.file={config}", f"--storage.tsdb.path={self.work / 'prometheus-data'}",
                                  f"--web.listen-address=127.0.0.1:{self.prom_port}", "--log.level=warn"])
        wait_for("prometheus ready", 60, lambda: (self.check_alive(), http_get(self.prom_port, "/-/ready"))[1][0] == 200 or None)
        version = self.prometheus_version()
        log(f"prometheus {version} on 127.0.0.1:{self.prom_port}, scraping every 1 s")
        wait_for('prometheus: up{job="qrpos"} == 1', 30, lambda: self.query_value('up{job="qrpos"}') == "1" or None)
        log('prometheus: up{job="qrpos"} = 1 (the terminal is scraped)')

    def prometheus_version(self):
        out = subprocess.run([self.prometheus_bin, "--version"], capture_output=True, text=True).stdout + ""
        match = re.search(r"version (\S+)", out)
        return match.group(1) if match else "?"

    # ------------------------------------------------------------------------------------------ requests

    def query(self, promql):
        status, _, body = http_get(self.prom_port, "/api/v1/query?query=" + urllib.parse.quote(promql))
        answer = json.loads(body)
        if status != 200 or answer.get("status") != "success":
            raise Failure(f"prometheus /api/v1/query {promql}: {status} {body[:300]}")
        return answer["data"]["result"]

    def query_value(self, promql):
        result = self.query(promql)
        return result[0]["value"][1] if len(result) == 1 else None

    def ecr(self, method, path, body=None, timeout=30):
        conn = http.client.HTTPConnection("127.0.0.1", self.ecr_port, timeout=timeout)
        try:
            data = json.dumps(body).encode() if body is not None else None
            headers = {"Authorization": f"Bearer {self.token}"}
            if data:
                headers["Content-Type"] = "application/json"
            conn.request(method, path, body=data, headers=headers)
            response = conn.getresponse()
            return response.status, json.loads(response.read() or b"{}")
        finally:
            conn.close()

    def sim(self, method, path, body=None):
        conn = http.client.HTTPSConnection("127.0.0.1", self.host_port, context=self.tls, timeout=10)
        try:
            data = json.dumps(body).encode() if body is not None else None
            conn.request(method, path, body=data, headers={"Content-Type": "application/json"} if data else {})
            response = conn.getresponse()
            return response.status, json.loads(response.read() or b"{}")
        finally:
            conn.close()

    def paid_sale(self):
        status, sale = self.ecr("POST", "/v1/sales", {"amount": 1200, "currency": "JPY", "reference": "PROM-1", "mode": "show"})
        if status != 201:
            raise Failure(f"POST /v1/sales: {status} {sale}")
        sale_id = sale["id"]
        log(f"sale {sale_id}: {sale['status']} (1,200 JPY, shown code)")
        # The order reaches the host right after the 201; until then the simulator has no order to pay.
        def pay():
            status, answer = self.sim("POST", f"/sim/orders/{sale_id}/pay", {"wallet": "paypay"})
            return answer if status in (200, 201) else None
        wait_for(f"POST /sim/orders/{sale_id}/pay", 20, pay)
        def final():
            status, answer = self.ecr("GET", f"/v1/sales/{sale_id}?wait=5")
            return answer if status == 200 and answer.get("status") not in ("created", "pending", "unknown", "cancelling") else None
        answer = wait_for(f"sale {sale_id} final", 40, final)
        if answer["status"] != "paid":
            raise Failure(f"sale {sale_id} ended {answer['status']}: {answer}")
        log(f"sale {sale_id}: paid (the simulated shopper paid with paypay)")
        return sale_id

    def scanned_sale(self):
        """A scan-mode sale paid with a PayPay code held up to the simulated camera (the camera loop's frames)."""
        status, sale = self.ecr("POST", "/v1/sales", {"amount": 800, "currency": "JPY", "reference": "PROM-2", "mode": "scan"})
        if status != 201:
            raise Failure(f"POST /v1/sales: {status} {sale}")
        sale_id = sale["id"]
        subprocess.run([str(self.bin / "qrpos"), "present", "900081818812345678901234", "--into", str(self.work / "camera")],
                       check=True, stdout=subprocess.DEVNULL, env=self.env)
        def final():
            status, answer = self.ecr("GET", f"/v1/sales/{sale_id}?wait=5")
            return answer if status == 200 and answer.get("status") in ("paid", "declined", "expired", "cancelled") else None
        answer = wait_for(f"sale {sale_id} final", 40, final)
        if answer["status"] != "paid":
            raise Failure(f"sale {sale_id} ended {answer['status']}: {answer}")
        log(f"sale {sale_id}: paid (800 JPY, a PayPay code read by the simulated camera)")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=str(REPO / ".build/debug"), help="folder with qrpos and acquirer-sim (default .build/debug)")
    parser.add_argument("--prometheus", default=shutil.which("prometheus") or "/usr/bin/prometheus", help="the prometheus binary")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder after a pass")
    options = parser.parse_args()
    for program in ("qrpos", "acquirer-sim"):
        if not (Path(options.bin) / program).exists():
            sys.exit(f"metrics-test: no {program} in {options.bin}; build it first (make metrics-test does)")
    if not Path(options.prometheus).exists():
        sys.exit(f"metrics-test: no prometheus binary at {options.prometheus} (apt-get install prometheus; make metrics-test does)")

    work = Path(tempfile.mkdtemp(prefix="qrpos-metrics-test-"))
    run = Run(Path(options.bin).resolve(), work, options.prometheus)
    passed = False
    try:
        run.start_host()
        run.start_terminal()
        run.start_prometheus()
        before = run.query('qrpos_sales_total{outcome="paid"}')
        if before:
            raise Failure(f"a paid sale counted before any sale: {before}")
        run.paid_sale()
        seen_at = time.monotonic()
        def counted():
            result = run.query('qrpos_sales_total{outcome="paid"}')
            # A shown code: the wallet label is the one the host says paid (acquirer-sim's auto-pay wallet, PayPay).
            return result if len(result) == 1 and result[0]["value"][1] == "1" and result[0]["metric"].get("wallet") == "paypay" else None
        try:
            result = wait_for('prometheus: qrpos_sales_total{outcome="paid"} == 1', 30, counted, interval=0.5)
        except Failure as failure:
            raise Failure(f"{failure}; prometheus holds {run.query('qrpos_sales_total')}; "
                          f"qrpos serves:\n{http_get(run.metrics_port, '/metrics')[2]}")
        labels = ",".join(f'{k}="{v}"' for k, v in sorted(result[0]["metric"].items()) if k != "__name__")
        log(f"prometheus: qrpos_sales_total{{{labels}}} = 1, {time.monotonic() - seen_at:.1f} s after the sale was paid")
        # The camera loop and the wallet label, end to end: a scanned PayPay code.
        run.scanned_sale()
        wait_for('prometheus: qrpos_sales_total{outcome="paid",wallet="paypay"} == 2 and qrpos_scan_frame_seconds_count > 0', 30,
                 lambda: (run.query_value('qrpos_sales_total{outcome="paid",wallet="paypay"}') == "2"
                          and float(run.query_value("qrpos_scan_frame_seconds_count") or 0) > 0) or None, interval=0.5)
        log("prometheus: qrpos_sales_total{outcome=\"paid\",wallet=\"paypay\"} = 2 (shown and scanned), and the camera loop's frames are timed")
        # What else Prometheus holds of the terminal (histogram buckets left out).
        series = run.query('{job="qrpos", __name__=~"qrpos_.+", __name__!~".+_bucket"}')
        for s in sorted(series, key=lambda s: (s["metric"]["__name__"], sorted(s["metric"].items()))):
            m = s["metric"]
            labels = ",".join(f'{k}="{v}"' for k, v in sorted(m.items()) if k not in ("__name__", "job", "instance"))
            log(f"  {m['__name__']}{'{' + labels + '}' if labels else ''} {s['value'][1]}")
        open_sales = run.query_value("qrpos_sales_open")
        if open_sales != "0":
            raise Failure(f"qrpos_sales_open = {open_sales} after the sale was paid")
        passed = True
    except (Failure, subprocess.CalledProcessError) as failure:
        print(f"metrics-test: FAIL: {failure}", file=sys.stderr, flush=True)
    finally:
        run.stop_all()
        took = time.monotonic() - START
        if passed and not options.keep:
            shutil.rmtree(work, ignore_errors=True)
            log(f"PASS in {took:.1f} s")
        else:
            log(f"{'PASS' if passed else 'FAIL'} in {took:.1f} s; logs, configs and data kept in {work}")
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
