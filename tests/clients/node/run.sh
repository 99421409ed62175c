#!/usr/bin/env bash
# The Vercel AI SDK against a running openai-mock: installs the pinned `ai`, `@ai-sdk/openai` and
# `zod` (package.json, and package-lock.json for every transitive package) into
# <crate>/target/clients-node with `npm ci` (reused while the stamp matches both files), then
# runs ai-sdk.test.mjs with node's test runner. It starts no server: the caller passes the
# mock's root URL.
#
# Usage: tests/clients/node/run.sh BASE_URL [node --test arguments...]
#   BASE_URL  the mock's root, e.g. http://127.0.0.1:4010 (the script appends /v1)
#
# Environment: CLIENTS_NODE_WORKDIR (default <crate>/target/clients-node).
# Exit status: that of `node --test` (0 = every test passed); 2 when set-up failed.
# To move to newer releases: edit package.json, then in a scratch folder holding it run
# `npm install --package-lock-only --omit-lockfile-registry-resolved` and copy the lock back.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
WORK=${CLIENTS_NODE_WORKDIR:-$ROOT/target/clients-node}
STAMP=$WORK/.setup-stamp

log() { printf '[clients-node] %s\n' "$*" >&2; }
die() { printf '[clients-node] ERROR: %s\n' "$*" >&2; exit 2; }

[[ $# -ge 1 ]] || die "usage: $0 BASE_URL [node --test arguments...]"
BASE_URL=$1
shift
command -v node >/dev/null || die "node is not installed"
command -v npm >/dev/null || die "npm is not installed"

mkdir -p "$WORK"
exec 9>"$WORK/.lock"
command -v flock >/dev/null && flock 9
STAMP_KEY=$(cat "$HERE/package.json" "$HERE/package-lock.json" | sha256sum | cut -d' ' -f1)
if [[ ! -f $STAMP || $(cat "$STAMP") != "$STAMP_KEY" || ! -f $WORK/node_modules/ai/package.json ]]; then
    t0=$SECONDS
    log "installing the pinned AI SDK into $WORK (node $(node --version))"
    rm -rf "$WORK/node_modules" "$STAMP"
    cp "$HERE/package.json" "$HERE/package-lock.json" "$WORK/"
    # ai 7 declares node >=22 in `engines`; npm only warns, and the suite checks it works.
    npm ci --prefix "$WORK" --no-audit --no-fund --loglevel=error >&2 || die "npm ci failed"
    for pkg in ai @ai-sdk/openai zod; do
        want=$(node -e 'process.stdout.write(require(process.argv[1]).dependencies[process.argv[2]])' \
            "$HERE/package.json" "$pkg")
        got=$(node -e 'process.stdout.write(require(process.argv[1]).version)' \
            "$WORK/node_modules/$pkg/package.json")
        [[ $got == "$want" ]] || die "$pkg $got installed, wanted $want"
    done
    printf '%s' "$STAMP_KEY" >"$STAMP"
    log "installed in $((SECONDS - t0))s"
fi
flock -u 9 2>/dev/null || true

# The test file must sit next to node_modules for its imports to resolve.
cp "$HERE/ai-sdk.test.mjs" "$WORK/"
unset OPENAI_API_KEY OPENAI_BASE_URL OPENAI_ORG_ID OPENAI_PROJECT_ID
export CLIENTS_BASE_URL=$BASE_URL
# The SDK's own console warnings (a deprecated call) would only add noise: the tests assert on
# `warnings` where it matters.
cd "$WORK"
exec node --no-deprecation --test --test-reporter=tap "$@" "$WORK/ai-sdk.test.mjs"
