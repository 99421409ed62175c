#!/usr/bin/env bash
# openai-node over HTTPS: installs openai@6.41.0 into <crate>/target/sdk-node (reused while the
# version matches) and runs https.mjs against a running openai-mock.
#
# Usage: tests/sdk/node/run.sh BASE_URL [CERT]
#   BASE_URL  e.g. https://127.0.0.1:8443/v1
#   CERT      PEM certificate to trust (passed to Node as NODE_EXTRA_CA_CERTS); without it
#             Node trusts only its built-in roots, so a self-signed server must be refused.
#
# Environment: SDK_NODE_WORKDIR (default <crate>/target/sdk-node).
# Exit status: that of https.mjs (0 = every check passed); 2 when set-up failed.
set -euo pipefail

OPENAI_NODE_VERSION=6.41.0
# The `ws` package openai/realtime/ws needs (tests/sdk/node/realtime.mjs).
WS_VERSION=8.18.3

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
WORK=${SDK_NODE_WORKDIR:-$ROOT/target/sdk-node}

log() { printf '[sdk-node] %s\n' "$*" >&2; }
die() { printf '[sdk-node] ERROR: %s\n' "$*" >&2; exit 2; }

[[ $# -ge 1 ]] || die "usage: $0 BASE_URL [CERT]"
BASE_URL=$1
CERT=${2:-}
command -v node >/dev/null || die "node is not installed"
command -v npm >/dev/null || die "npm is not installed"

mkdir -p "$WORK"
installed() {
    node -e 'process.stdout.write(require(process.argv[1]).version)' \
        "$WORK/node_modules/openai/package.json" 2>/dev/null || true
}
# One install at a time per work dir.
exec 9>"$WORK/.lock"
command -v flock >/dev/null && flock 9
if [[ $(installed) != "$OPENAI_NODE_VERSION" ]]; then
    log "installing openai@$OPENAI_NODE_VERSION into $WORK"
    [[ -f $WORK/package.json ]] || printf '{"private": true}\n' >"$WORK/package.json"
    npm install --prefix "$WORK" --no-audit --no-fund --loglevel=error \
        "openai@$OPENAI_NODE_VERSION" >&2 || die "npm install failed"
    [[ $(installed) == "$OPENAI_NODE_VERSION" ]] || die "openai $(installed) installed, wanted $OPENAI_NODE_VERSION"
fi
ws_installed() {
    node -e 'process.stdout.write(require(process.argv[1]).version)' \
        "$WORK/node_modules/ws/package.json" 2>/dev/null || true
}
if [[ $(ws_installed) != "$WS_VERSION" ]]; then
    log "installing ws@$WS_VERSION into $WORK"
    npm install --prefix "$WORK" --no-audit --no-fund --loglevel=error \
        "ws@$WS_VERSION" >&2 || die "npm install failed"
fi
flock -u 9 2>/dev/null || true

# The script must sit next to node_modules for `import "openai"` to resolve.
# SDK_NODE_SCRIPT picks the script (default https.mjs; realtime.mjs for the sockets).
SCRIPT=${SDK_NODE_SCRIPT:-https.mjs}
cp "$HERE/$SCRIPT" "$WORK/$SCRIPT"
unset NODE_EXTRA_CA_CERTS OPENAI_API_KEY OPENAI_BASE_URL
if [[ -n $CERT ]]; then
    export NODE_EXTRA_CA_CERTS=$CERT
fi
# Node 20 has a global WebSocket (the browser Realtime client) behind a flag.
NODE_FLAGS=()
node --experimental-websocket -e 0 2>/dev/null && NODE_FLAGS=(--experimental-websocket)
exec node "${NODE_FLAGS[@]}" "$WORK/$SCRIPT" "$BASE_URL"
