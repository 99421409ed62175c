#!/usr/bin/env bash
# openai-node 7.5.0 conformance: calls every resource method of the client against a running
# openai-mock (conformance.mjs). openai-node's own tests are not published to npm (its tarball
# ships the built SDK and its TypeScript sources, no tests/), so this is our own script.
#
# The SDK comes from `npm pack openai@7.5.0`, checked against a pinned sha256, and is installed
# from that very tarball into <crate>/target/sdk-node-suite (reused while the stamp matches).
#
# Usage: tests/sdk/node/run-conformance.sh BASE_URL
#   BASE_URL  the mock's root, e.g. http://127.0.0.1:4010 (started with
#             --config tests/sdk/node/conformance-rules.yaml, for the polling helpers)
#
# Environment: SDK_NODE_SUITE_WORKDIR (default <crate>/target/sdk-node-suite);
#              CONFORMANCE_TRACE=1 prints each method and its operation to stderr.
# Exit status: that of conformance.mjs (0 = no failure outside the recorded gaps); 2 when set-up failed.
set -euo pipefail

OPENAI_NODE_VERSION=7.5.0
OPENAI_NODE_SHA256=8d1b89c7bdb749d834c502e94d0ece4909aaac213dab2bc53bbd16119f23f6dd

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
WORK=${SDK_NODE_SUITE_WORKDIR:-$ROOT/target/sdk-node-suite}
TARBALL=$WORK/dist/openai-$OPENAI_NODE_VERSION.tgz
STAMP=$WORK/.setup-stamp

log() { printf '[sdk-node-suite] %s\n' "$*" >&2; }
die() { printf '[sdk-node-suite] ERROR: %s\n' "$*" >&2; exit 2; }

[[ $# -ge 1 ]] || die "usage: $0 BASE_URL"
BASE_URL=$1
command -v node >/dev/null || die "node is not installed"
command -v npm >/dev/null || die "npm is not installed"

mkdir -p "$WORK"
exec 9>"$WORK/.lock"
command -v flock >/dev/null && flock 9
STAMP_KEY="openai=$OPENAI_NODE_VERSION sha256=$OPENAI_NODE_SHA256"
if [[ ! -f $STAMP || $(cat "$STAMP") != "$STAMP_KEY" || ! -f $WORK/node_modules/openai/package.json ]]; then
    t0=$SECONDS
    log "installing openai@$OPENAI_NODE_VERSION into $WORK"
    rm -rf "$WORK/dist" "$WORK/node_modules" "$STAMP"
    mkdir -p "$WORK/dist"
    (cd "$WORK/dist" && npm pack --silent --loglevel=error "openai@$OPENAI_NODE_VERSION" >/dev/null) \
        || die "npm pack openai@$OPENAI_NODE_VERSION failed"
    [[ -f $TARBALL ]] || die "npm pack did not produce $TARBALL"
    got=$(sha256sum "$TARBALL" | cut -d' ' -f1)
    [[ $got == "$OPENAI_NODE_SHA256" ]] || die "sha256 mismatch for $TARBALL: got $got, want $OPENAI_NODE_SHA256"
    printf '{"private": true}\n' >"$WORK/package.json"
    npm install --prefix "$WORK" --no-audit --no-fund --no-save --loglevel=error "$TARBALL" >&2 \
        || die "npm install of $TARBALL failed"
    installed=$(node -e 'process.stdout.write(require(process.argv[1]).version)' "$WORK/node_modules/openai/package.json")
    [[ $installed == "$OPENAI_NODE_VERSION" ]] || die "openai $installed installed, wanted $OPENAI_NODE_VERSION"
    printf '%s' "$STAMP_KEY" >"$STAMP"
    log "installed in $((SECONDS - t0))s"
fi
flock -u 9 2>/dev/null || true

# The scripts must sit next to node_modules for `import "openai"` to resolve.
cp "$HERE"/conformance.mjs "$HERE"/conformance-spec.mjs "$HERE"/conformance-files.mjs \
    "$HERE"/conformance-gaps.json "$WORK/"
unset OPENAI_API_KEY OPENAI_BASE_URL OPENAI_ADMIN_KEY OPENAI_WEBHOOK_SECRET OPENAI_ORG_ID OPENAI_PROJECT_ID
exec node "$WORK/conformance.mjs" "$BASE_URL"
