#!/bin/bash
# Development signing keys for RAUC bundles (never for counters in the field): a self-signed certificate, its key
# 0600. The image trusts the certificate (/etc/rauc/keyring.pem); `make bundle` signs with the key. Made once.
# Usage: dev-keys.sh KEYDIR        (KEYDIR/development.cert.pem, KEYDIR/development.key.pem)
set -euo pipefail
dir=$1
[ -f "$dir/development.key.pem" ] && [ -f "$dir/development.cert.pem" ] && exit 0
mkdir -p "$dir" && chmod 0700 "$dir"
( umask 077
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
      -keyout "$dir/development.key.pem" -out "$dir/development.cert.pem" \
      -subj "/O=qrpos development/CN=qrpos development bundle signing" 2>/dev/null )
chmod 0600 "$dir/development.key.pem"
echo "dev-keys: made $dir/development.cert.pem and its key (0600): development only"
