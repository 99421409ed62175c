#!/usr/bin/env bash
# Runs Steady (installed by `bench/load.sh --peers` under target/bench/peers) on
# spec/openapi.yml behind openai-mock's command-line contract, so that
# tests/sdk/python/run.sh can time the SDK suite against it exactly as it does against
# openai-mock:
#
#   bench/steady-as-server.sh [--host HOST] [--port PORT]    # PORT 0 picks a free one
#
# It starts Steady, waits until GET /models answers 200, prints `listening http://HOST:PORT`
# as its first stdout line, and stops Steady when it is itself stopped.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
STEADY=$ROOT/target/bench/peers/node_modules/.bin/steady
HOST=127.0.0.1
PORT=0
while [[ $# -gt 0 ]]; do
    case $1 in
        --host) HOST=$2; shift ;;
        --port) PORT=$2; shift ;;
        # openai-mock flags the SDK harness passes that Steady has no equivalent for.
        --float-embeddings) shift ;;
        *) echo "steady-as-server.sh: unknown argument $1" >&2; exit 2 ;;
    esac
    shift
done
[[ -x $STEADY ]] || { echo "steady-as-server.sh: run bench/load.sh --peers first to install Steady" >&2; exit 1; }
if [[ $PORT -eq 0 ]]; then
    PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
fi

# The SDK sends arrays and objects in the query as `include[]=a` and `metadata[key]=v`.
"$STEADY" --host "$HOST" -p "$PORT" -q \
    --validator-query-array-format=brackets --validator-query-object-format=brackets \
    "$ROOT/spec/openapi.yml" >&2 &
CHILD=$!
trap 'kill -TERM "$CHILD" 2>/dev/null || true; wait "$CHILD" 2>/dev/null || true' EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

until [[ $(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer sk-x' \
    "http://$HOST:$PORT/models" 2>/dev/null) == 200 ]]; do
    kill -0 "$CHILD" 2>/dev/null || { echo "steady-as-server.sh: Steady exited" >&2; exit 1; }
    sleep 0.05
done
echo "listening http://$HOST:$PORT"
wait "$CHILD"
