#!/usr/bin/env bash
# `make bench`, terminal part: start-up to first frame, ECR sale round trips and memory of `qrpos run`
# on the simulated board against acquirer-sim paying every order at once.
set -euo pipefail
BIN=${BIN:-.build/release}
STATE=$(mktemp -d /tmp/qrpos-bench.XXXXXX)
trap 'kill $QRPOS $SIM 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$STATE"' EXIT
"$BIN/qrpos" pki dev --out "$STATE/pki" > /dev/null
SIM_PORT=18443 ECR_PORT=18417
sed -e "s#https://127.0.0.1:8443#https://127.0.0.1:$SIM_PORT#" -e "s#127.0.0.1:8417#127.0.0.1:$ECR_PORT#" Board/sim/terminal.toml > "$STATE/terminal.toml"
mkdir -p "$STATE/board"
sed -e 's#terminal_preview = true#terminal_preview = false#' \
    -e 's#backend = "terminal"#backend = "none"#' Board/sim/board.toml > "$STATE/board/board.toml"
"$BIN/acquirer-sim" --listen "127.0.0.1:$SIM_PORT" --pki "$STATE/pki" --db "$STATE/ledger.sqlite" --auto-pay 0 --log-level warning > /dev/null 2>&1 &
SIM=$!
sleep 1
START=$(date +%s%N)
"$BIN/qrpos" run --board "$STATE/board" --config "$STATE/terminal.toml" --state "$STATE" --log-level warning < /dev/null > "$STATE/qrpos.out" 2>&1 &
QRPOS=$!
until [ -f "$STATE/screens/latest.png" ]; do kill -0 $QRPOS 2>/dev/null || { cat "$STATE/qrpos.out"; exit 1; }; sleep 0.005; done
FIRST=$(date +%s%N)
echo "qrpos run: start-up to the first frame (idle screen written) $(( (FIRST - START) / 1000000 )) ms"
until [ -s "$STATE/ecr.token" ] && curl -s -o /dev/null "http://127.0.0.1:$ECR_PORT/v1/health"; do sleep 0.05; done
"$BIN/qrpos" bench-terminal --port "$ECR_PORT" --token-file "$STATE/ecr.token" --pid "$QRPOS" --sales "${SALES:-10000}"
