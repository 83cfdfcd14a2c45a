#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora into OUT/<target>/ (git-ignored: OUT is under .build-fuzz/).

Sources: the QR vectors (Tests/PaymentCodesTests/Vectors/qr_vectors.jsonl, field "payload"), the repository's
*.toml files, a few ECR bodies and a few acquirer answers written from the protocol types (Docs/acquirer-api.yaml).
Usage: seeds.py OUT
"""
import base64, hashlib, json, os, subprocess, sys

root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
out = sys.argv[1]


def write(target, data):
    if isinstance(data, str):
        data = data.encode()
    folder = os.path.join(out, target)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "seed-" + hashlib.sha1(data).hexdigest()[:16]), "wb") as f:
        f.write(data)


payloads = []
with open(os.path.join(root, "Tests/PaymentCodesTests/Vectors/qr_vectors.jsonl"), encoding="utf-8") as f:
    for line in f:
        if line.strip():
            payloads.append(json.loads(line)["payload"])
payloads += ["4912345678901234567", "281234567890123456", "4901234567894",
             "upi://pay?pa=shop@okaxis&pn=Shop&am=10.00&cu=INR&tr=T1", "https://example.com/", ""]

for p in payloads:
    write("FuzzClassifier", p)
    if p[:4].isdigit():
        write("FuzzMerchantCode", p)
    # Consumer codes also as the BER-TLV after tag 85 (the harness base64-encodes it again).
    for prefix, mode in (("hQVDUFYw", 0xC1), ("hQVKUFFS", 0xC2)):
        if p.startswith(prefix):
            try:
                raw = base64.b64decode(p + "=" * (-len(p) % 4))
                write("FuzzClassifier", bytes([mode]) + raw[7:])
            except ValueError:
                pass

tomls = subprocess.run(["git", "-C", root, "ls-files", "*.toml"], capture_output=True, text=True, check=True).stdout.split()
for path in tomls:
    with open(os.path.join(root, path), "rb") as f:
        write("FuzzTOML", f.read())
write("FuzzTOML", '[merchant]\nname = "SHOP"\ncity = "OSAKA"\nmcc = "5812"\namount = "1200"\n[merchant.account]\n"jpqr-id" = "0000000001"\n')
write("FuzzTOML", 'a = [1, 2.5, "x", \'y\', true, 1979-05-27T07:32:00Z, 1979-05-27, 07:32:00]\nb = { c = """m\nl""", d = -0x1F }\n[[t]]\n"k" = 1e3\n')

for body in ['{"amount": 1200, "currency": "JPY"}',
             '{"amount": 1200, "currency": "JPY", "reference": "R-1", "mode": "show"}',
             '{"amount": 99, "currency": "USD", "mode": "scan", "reference": null}',
             '{"amount": 1.5e3, "currency": "JPY", "mode": "auto"}',
             '{"amount": "12", "currency": "jpy", "extra": [1, {"a": null}]}',
             '{"amount": -1, "currency": "JPY"}', '[]', '']:
    write("FuzzSaleRequest", body)

# Acquirer answers: byte 0 indexes the harness's statuses (0: 200, 1: 201, 5: 400, 8: 409, 11: 500),
# byte 1 the type (0 Order, 1 Charge, 2 Refund, 3 HostHealth, 4 HostTime, 5 HostErrorBody).
t = "2026-11-21T10:15:30.123Z"
order = {"orderId": "S-1", "amount": 1200, "currency": "JPY", "status": "paid", "wallet": "paypay", "refundedAmount": 0,
         "createdAt": t, "expiresAt": t, "paidAt": t, "cancellableUntil": t}
charge = {"chargeId": "S-1-c1", "amount": 1200, "currency": "JPY", "wallet": "paypay", "maskedCode": "1345************89",
          "status": "pending", "confirmingUntil": "2026-11-21T10:15:30Z", "declineReason": "over_limit", "refundedAmount": 0,
          "createdAt": t, "cancellableUntil": t}
refund = {"refundId": "S-1-r0", "paymentId": "S-1", "amount": 500, "currency": "JPY", "status": "refunded", "reason": "x", "createdAt": t}
answers = [(0, 0, order), (1, 1, charge), (1, 2, refund), (0, 3, {"status": "ok", "host": "sim"}),
           (0, 4, {"now": t, "epochMillis": 1795256130123}), (5, 0, {"error": "bad_request", "message": "amount must be > 0"}),
           (8, 1, {"error": "idempotency_conflict", "message": "another body"}), (11, 2, {"error": "x", "message": "y"})]
for status, kind, body in answers:
    write("FuzzAcquirerAnswer", bytes([status, kind]) + json.dumps(body, sort_keys=True).encode())
write("FuzzAcquirerAnswer", bytes([7, 5]) + b"<html>Not Found</html>")

for target in sorted(os.listdir(out)):
    print(f"seeds: {target}: {len(os.listdir(os.path.join(out, target)))} files")
