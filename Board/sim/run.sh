#!/usr/bin/env bash
# `make run`: the terminal on the simulated board against the bundled acquirer simulator.
# State (PKI, journal, ledger, ECR token, logs) lives in .run/ and survives a restart.
set -euo pipefail
BIN=${BIN:-.build/release}
STATE=${STATE:-.run}
PORT=${ACQUIRER_PORT:-8443}
mkdir -p "$STATE"
# One counter per checkout: a second `make run` would find both ports taken and say so less clearly.
for port in "$PORT" 8417; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "make run: port $port is already in use (is another 'make run' still running?); stop it first" >&2
    exit 1
  fi
done
if [ ! -f "$STATE/pki/ca.pem" ]; then
  "$BIN/qrpos" pki dev --out "$STATE/pki" --terminal-id SIM-0001
fi
# Also enrolls terminals on ENROLL_PORT (README "For technicians": `acquirer-sim enroll-code`, `qrpos provision`).
"$BIN/acquirer-sim" --listen "127.0.0.1:$PORT" --enroll-listen "127.0.0.1:${ENROLL_PORT:-8444}" --pki "$STATE/pki" \
  --db "$STATE/acquirer.sqlite" --auto-pay 3 \
  >> "$STATE/acquirer-sim.log" 2>&1 &
SIM=$!
trap 'kill "$SIM" 2>/dev/null || true; wait "$SIM" 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
  kill -0 "$SIM" 2>/dev/null || { echo "acquirer-sim did not start; see $STATE/acquirer-sim.log" >&2; exit 1; }
  sleep 0.1
done
if [ -t 1 ]; then
  echo "qrpos: type an amount and Enter (s: scan the shopper's code, Esc: cancel, m: menu, Ctrl-C: stop)."
  echo "       ECR API on http://127.0.0.1:8417 with the token in $STATE/ecr.token; log in $STATE/qrpos.log"
  sleep 2
fi
"$BIN/qrpos" run --board Board/sim --state "$STATE"
