#!/usr/bin/env bash
# Profiles openai-mock under load with perf, and writes the hottest functions as text and,
# with inferno (installed from crates.io under target/bench/tools on first use), a
# flamegraph.
#
# Usage:
#   bench/flamegraph.sh [SCENARIO] [--seconds S] [--no-build]
#
#   SCENARIO     chat (default), embeddings, models, invalid or stream: the same requests as
#                bench/load.sh's rows (bodies from bench/bodies/)
#   --seconds S  how long wrk loads the server while perf samples (default 10)
#   --no-build   use target/profiling/openai-mock as it is
#
# Writes target/bench/profile-SCENARIO.txt (perf report, by symbol, self time) and
# target/bench/flame-SCENARIO.svg. The binary is built with the `profiling` profile (the ci
# build with symbols kept); logging is at `warn`, as in bench/load.sh.
#
# Tools: perf (Debian's linux-perf), wrk (Debian), inferno (crates.io). perf needs
# kernel.perf_event_paranoid <= 1, or root.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
WORK=$ROOT/target/bench
TOOLS=$WORK/tools
BIN=$ROOT/target/profiling/openai-mock
SCENARIO=chat
SECONDS_LOADED=10
BUILD=1

while [[ $# -gt 0 ]]; do
    case $1 in
        --seconds) SECONDS_LOADED=$2; shift ;;
        --no-build) BUILD=0 ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        chat|embeddings|models|invalid|stream) SCENARIO=$1 ;;
        *) echo "flamegraph.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

log() { echo "flamegraph.sh: $*" >&2; }
apt_install() { apt-get install -y -qq "$@" >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq "$@"; }; }

command -v perf >/dev/null || apt_install linux-perf
command -v wrk >/dev/null || apt_install wrk
if [[ ! -x $TOOLS/bin/inferno-flamegraph ]]; then
    log "installing inferno under $TOOLS"
    cargo install --quiet --locked --root "$TOOLS" inferno
fi
if ((BUILD)); then
    (cd "$ROOT" && cargo build --quiet --profile profiling --bin openai-mock)
fi
mkdir -p "$WORK"

case $SCENARIO in
    chat) METHOD=POST PATH_=/v1/chat/completions BODY=$HERE/bodies/chat.json SCRIPT=post.lua ;;
    embeddings) METHOD=POST PATH_=/v1/embeddings BODY=$HERE/bodies/embeddings.json SCRIPT=post.lua ;;
    models) METHOD=GET PATH_=/v1/models BODY='' SCRIPT=get.lua ;;
    invalid) METHOD=POST PATH_=/v1/chat/completions BODY=$HERE/bodies/invalid.json SCRIPT=post.lua ;;
    stream) METHOD=POST PATH_=/v1/chat/completions BODY=$HERE/bodies/stream.json SCRIPT=stream.lua ;;
esac
CONNECTIONS=16
[[ $SCENARIO == stream ]] && CONNECTIONS=1

PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN" --host 127.0.0.1 --port "$PORT" --log-level warn >/dev/null 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 100); do
    curl -sf -o /dev/null -H 'Authorization: Bearer sk-bench' "http://127.0.0.1:$PORT/v1/models" && break
    sleep 0.05
done
log "$METHOD $PATH_ for ${SECONDS_LOADED}s under perf (pid $SERVER)"
DATA=$WORK/perf-$SCENARIO.data
perf record -q -F 999 -g -p "$SERVER" -o "$DATA" -- sleep "$((SECONDS_LOADED + 1))" >/dev/null 2>&1 &
PERF=$!
sleep 0.5
BENCH_BODY=$BODY wrk -t1 -c"$CONNECTIONS" -d"${SECONDS_LOADED}s" -s "$HERE/wrk/$SCRIPT" \
    "http://127.0.0.1:$PORT$PATH_" | grep -E 'Requests/sec|^events' >&2 || true
wait "$PERF" || true

perf report -i "$DATA" --no-children --sort symbol --stdio 2>/dev/null \
    | grep -E '^ +[0-9.]+%' | head -60 >"$WORK/profile-$SCENARIO.txt"
perf script -i "$DATA" 2>/dev/null | "$TOOLS/bin/inferno-collapse-perf" \
    | "$TOOLS/bin/inferno-flamegraph" >"$WORK/flame-$SCENARIO.svg"
log "wrote $WORK/profile-$SCENARIO.txt and $WORK/flame-$SCENARIO.svg"
head -25 "$WORK/profile-$SCENARIO.txt"
