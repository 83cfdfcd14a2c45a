#!/usr/bin/env bash
# `make ecr-contract`: the ECR API of a real `qrpos run` (against a real `acquirer-sim`) checked against
# Docs/ecr-api.yaml by schemathesis: no 5xx, only documented status codes and content types, every answer's
# body as its schema says. Fixed seed and a bounded number of examples per operation, so the run is repeatable
# and takes a couple of minutes. Exits non-zero on any violation.
#
#   BIN=.build/debug Tests/ECRContract/run.sh        # programs built by `swift build`
#   EXAMPLES=100 SEED=7 Tests/ECRContract/run.sh     # more examples, another seed
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
BIN=${BIN:-.build/debug}
VENV=${VENV:-$ROOT/.build-venv}            # git-ignored (.build*)
SCHEMATHESIS=3.39.16                       # the 3.x command line; works with Debian 12's Python 3.11
HYPOTHESIS=6.130.0                         # schemathesis 3.39 needs a Hypothesis that still has `many.more`
EXAMPLES=${EXAMPLES:-100}
SEED=${SEED:-20261201}
started=$(date +%s)

for program in qrpos acquirer-sim; do
  [ -x "$BIN/$program" ] || { echo "ecr-contract: $BIN/$program is missing: swift build --product $program" >&2; exit 1; }
done
PINS="schemathesis==$SCHEMATHESIS hypothesis==$HYPOTHESIS"
if [ "$(cat "$VENV/.ecr-contract-pins" 2>/dev/null)" != "$PINS" ]; then
  echo "ecr-contract: installing $PINS into $VENV"
  python3 -m venv "$VENV"
  # shellcheck disable=SC2086
  "$VENV/bin/pip" install -q --disable-pip-version-check $PINS
  echo "$PINS" > "$VENV/.ecr-contract-pins"
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/qrpos-ecr-contract.XXXXXX")
SIM_PID="" QRPOS_PID=""
cleanup() {
  status=$?
  [ -n "$QRPOS_PID" ] && kill "$QRPOS_PID" 2>/dev/null && wait "$QRPOS_PID" 2>/dev/null
  [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null && wait "$SIM_PID" 2>/dev/null
  if [ "$status" != 0 ]; then
    echo "ecr-contract: failed; the terminal's log:" >&2
    tail -n 40 "$WORK/qrpos.stderr" >&2 2>/dev/null || true
  fi
  rm -rf "$WORK"
  exit "$status"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { # wait_for SECONDS COMMAND...: until the command succeeds
  local limit=$1; shift
  for _ in $(seq $((limit * 10))); do "$@" && return 0; sleep 0.1; done
  return 1
}

export QRPOS_HOME=$ROOT
"$BIN/qrpos" pki dev --out "$WORK/pki" --terminal-id ECR-CONTRACT > /dev/null

# The acquirer: a shopper pays every shown code after a second, so sales finish and new ones can start.
SIM_PORT=$(free_port)
"$BIN/acquirer-sim" --listen "127.0.0.1:$SIM_PORT" --pki "$WORK/pki" --db "$WORK/acquirer.sqlite" --auto-pay 1 \
  --log-level warning > "$WORK/acquirer.stdout" 2> "$WORK/acquirer.stderr" &
SIM_PID=$!
wait_for 20 grep -q listening "$WORK/acquirer.stdout" || { echo "ecr-contract: acquirer-sim did not start" >&2; cat "$WORK/acquirer.stderr" >&2; exit 1; }

# The simulated board with every folder absolute and inside $WORK, no keypad (no terminal here).
mkdir -p "$WORK/board" "$WORK/camera" "$WORK/screens"
sed -e "s|\".run/screens\"|\"$WORK/screens\"|" -e "s|\".run/camera\"|\"$WORK/camera\"|" \
    -e 's|^terminal_preview = true|terminal_preview = false|' -e 's|^backend = "terminal"|backend = "none"|' \
    Board/sim/board.toml > "$WORK/board/board.toml"
ECR_PORT=$(free_port)
sed -e "s|https://127.0.0.1:8443|https://127.0.0.1:$SIM_PORT|" -e "s|127.0.0.1:8417|127.0.0.1:$ECR_PORT|" \
    -e 's|^code_lifetime = 180|code_lifetime = 30|' Board/sim/terminal.toml > "$WORK/terminal.toml"
"$BIN/qrpos" run --board "$WORK/board" --config "$WORK/terminal.toml" --state "$WORK" --log-level warning \
  < /dev/null > "$WORK/qrpos.stdout" 2> "$WORK/qrpos.stderr" &
QRPOS_PID=$!
wait_for 30 test -s "$WORK/ecr.token" || { echo "ecr-contract: qrpos run wrote no token" >&2; exit 1; }
TOKEN=$(tr -d '[:space:]' < "$WORK/ecr.token")
health() { curl -s -o /dev/null -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$ECR_PORT/v1/health"; }
wait_for 30 health || { echo "ecr-contract: the ECR API did not answer" >&2; exit 1; }

echo "ecr-contract: schemathesis $SCHEMATHESIS, seed $SEED, at most $EXAMPLES examples per operation, against http://127.0.0.1:$ECR_PORT"
"$VENV/bin/st" run "$ROOT/Docs/ecr-api.yaml" \
  --experimental=openapi-3.1 \
  --base-url "http://127.0.0.1:$ECR_PORT" \
  -H "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --data-generation-method all --stateful links \
  --hypothesis-seed "$SEED" --hypothesis-max-examples "$EXAMPLES" \
  --hypothesis-suppress-health-check=too_slow,filter_too_much \
  --request-timeout 70000 --workers 1 --no-color

# The terminal must have lived through it.
kill -0 "$QRPOS_PID" 2>/dev/null || { echo "ecr-contract: qrpos run died during the run" >&2; exit 1; }
echo "ecr-contract: passed in $(( $(date +%s) - started )) s"
