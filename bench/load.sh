#!/usr/bin/env bash
# Load benchmark: openai-mock (release) against the bare reference server, and optionally
# against Steady and Prism, one after the other in one run on this machine. Prints a
# Markdown table (and writes it to target/bench/load.md).
#
# Usage:
#   bench/load.sh [--peers] [--sdk] [--quick] [--runs N] [--duration SECONDS]
#                 [--soak REQUESTS] [--baseline BIN] [--scaling] [--no-build] [--out FILE]
#
#   --peers        also measure Steady (@stdy/cli) and Prism (@stoplight/prism-cli) from npm,
#                  mocking spec/openapi.yml (installed under target/bench/peers)
#   --sdk          also time the openai-python api_resources suite (tests/sdk/python/run.sh)
#                  against openai-mock and, with --peers, against Steady
#   --quick        a smoke run: 2 s per load test, 1 run each, 5 startup runs, a
#                  50,000-request soak
#   --runs N       runs of each load test per server; the table gives the median run
#                  (default 3)
#   --duration S   seconds per load test (default 10)
#   --baseline BIN also measure that openai-mock binary (an older build), in the same run,
#                  as the column "openai-mock before", with the ratio after ÷ before
#   --scaling      also measure openai-mock and the bare server on 1 core and on 2 (taskset)
#                  with wrk -t2 -c32, for the requests/s against cores table
#   --soak N       requests the memory soak serves before RSS is read again (default 1000000)
#   --no-build     use the binaries already in target/release
#   --out FILE     where to write the Markdown table (default target/bench/load.md)
#
#   MOCK_BIN=PATH  measure that openai-mock binary instead of target/release/openai-mock
#                  (with --no-build: an older build, for a before-and-after pair of runs)
#
# What it measures, per server:
#   startup     process start until the first 200 on GET /v1/models, median of 20 runs
#               (5 for the peers, which take seconds each): bench/startup.py
#   memory      RSS (the server's whole process group) once idle after startup, after the
#               load tests (everything lazily built is built by then), and after the soak:
#               a rotating mix of chat, streamed chat, embeddings, responses, model list,
#               model lookup and invalid requests (bench/wrk/mixed.lua) until the process
#               has served --soak requests in total, load tests included
#   load        wrk -t1 -c16 -d10s, --runs times each: requests/s and p50/p99 latency of
#               the median run, for chat completions (250-byte body), embeddings
#               (3 inputs, 1536 dimensions, base64), GET /v1/models, and an invalid chat
#               request (the 400 path)
#   streaming   wrk -t1 -c1 -d10s on a streamed chat completion whose reply is long: the
#               request asks for a 600-word text verbatim (`Reply with "..."`), which comes
#               back as about 250 chunks; the `data:` events that arrive on that one
#               connection per second (bench/wrk/stream.lua counts them in every 200 answer)
#   ratio       openai-mock's requests/s divided by the bare server's, from this run
#
# Tools: wrk (installed from Debian with apt-get when missing; oha from crates.io as the
# fallback), curl and python3. Everything runs on 127.0.0.1 only; every load test is bounded
# in time and the soak in requests.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/.." && pwd)
WORK=$ROOT/target/bench
BODIES=$HERE/bodies
PEERS_DIR=$WORK/peers
STEADY_VERSION=0.22.2
PRISM_VERSION=5.16.0

PEERS=0
SDK=0
DURATION=10
SOAK=1000000
STARTUP_RUNS=20
PEER_STARTUP_RUNS=5
RUNS=3
BASELINE_BIN=
SCALING=0
BUILD=1
OUT=$WORK/load.md

while [[ $# -gt 0 ]]; do
    case $1 in
        --peers) PEERS=1 ;;
        --sdk) SDK=1 ;;
        --quick) DURATION=2 SOAK=50000 STARTUP_RUNS=5 PEER_STARTUP_RUNS=2 RUNS=1 ;;
        --runs) RUNS=$2; shift ;;
        --baseline) BASELINE_BIN=$2; shift ;;
        --scaling) SCALING=1 ;;
        --duration) DURATION=$2; shift ;;
        --soak) SOAK=$2; shift ;;
        --no-build) BUILD=0 ;;
        --out) OUT=$2; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "load.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done

log() { printf '[load] %s\n' "$*" >&2; }
die() { printf '[load] ERROR: %s\n' "$*" >&2; exit 1; }

# ------------------------------------------------------------------------------ tools
as_root() {
    if [[ $(id -u) -eq 0 ]]; then "$@"
    elif command -v sudo >/dev/null; then sudo "$@"
    else return 1
    fi
}

apt_install() {
    command -v apt-get >/dev/null || return 1
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1 && return 0
    as_root apt-get update -q >/dev/null 2>&1 || true
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@" >/dev/null 2>&1
}

for tool in curl python3; do
    command -v "$tool" >/dev/null || apt_install "$tool" || die "$tool is missing and could not be installed"
done

LOADER=
if command -v wrk >/dev/null || { log "installing wrk from Debian"; apt_install wrk; }; then
    LOADER=wrk
else
    log "wrk is unavailable; installing oha with cargo as the fallback"
    command -v oha >/dev/null || cargo install --locked oha >&2 || die "neither wrk nor oha could be installed"
    LOADER=oha
fi
log "load generator: $LOADER ($($LOADER --version 2>&1 | head -n1))"

# ------------------------------------------------------------------------------ build
mkdir -p "$WORK"
if [[ $BUILD -eq 1 ]]; then
    log "building openai-mock and the bare server (release)"
    (cd "$ROOT" && cargo build --release --quiet --bin openai-mock --example bare-server) \
        || die "the release build failed"
fi
MOCK_BIN=${MOCK_BIN:-$ROOT/target/release/openai-mock}
BARE_BIN=$ROOT/target/release/examples/bare-server
[[ -x $MOCK_BIN && -x $BARE_BIN ]] || die "missing $MOCK_BIN or $BARE_BIN (build first, or drop --no-build)"
[[ -z $BASELINE_BIN || -x $BASELINE_BIN ]] || die "--baseline $BASELINE_BIN is not an executable"

if [[ $PEERS -eq 1 ]]; then
    command -v npm >/dev/null || apt_install nodejs npm || die "--peers needs node and npm"
    if [[ ! -x $PEERS_DIR/node_modules/.bin/steady || ! -x $PEERS_DIR/node_modules/.bin/prism ]]; then
        log "installing @stdy/cli@$STEADY_VERSION and @stoplight/prism-cli@$PRISM_VERSION from npm"
        npm install --silent --no-audit --no-fund --prefix "$PEERS_DIR" \
            "@stdy/cli@$STEADY_VERSION" "@stoplight/prism-cli@$PRISM_VERSION" >&2 \
            || die "npm install of the peers failed"
    fi
fi

# Each server: a command (with {port}), the path prefix it serves the API under, a label.
SPEC=$ROOT/spec/openapi.yml
declare -A COMMAND BASE LABEL
COMMAND[mock]="$MOCK_BIN --host 127.0.0.1 --port {port} --log-level warn"
BASE[mock]=/v1
LABEL[mock]=openai-mock
COMMAND[before]="$BASELINE_BIN --host 127.0.0.1 --port {port} --log-level warn"
BASE[before]=/v1
LABEL[before]="openai-mock before"
COMMAND[bare]="$BARE_BIN {port}"
BASE[bare]=/v1
LABEL[bare]="bare poem"
# Steady and Prism serve the spec's paths without the /v1 of servers[0].url.
COMMAND[steady]="$PEERS_DIR/node_modules/.bin/steady --host 127.0.0.1 -p {port} -q $SPEC"
BASE[steady]=
LABEL[steady]=Steady
COMMAND[prism]="$PEERS_DIR/node_modules/.bin/prism mock -h 127.0.0.1 -p {port} $SPEC"
BASE[prism]=
LABEL[prism]=Prism
SERVERS=(mock)
[[ -n $BASELINE_BIN ]] && SERVERS+=(before)
SERVERS+=(bare)
[[ $PEERS -eq 1 ]] && SERVERS+=(steady prism)

# ---------------------------------------------------------------------- measurements
declare -A R   # results: R[server.metric]

SERVER_PID=
SERVER_PORT=
stop_server() {
    if [[ -n $SERVER_PID ]]; then
        kill -TERM -- "-$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL -- "-$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=
}
trap stop_server EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_server() { # name [CPUS: a taskset list such as 0 or 0,1]
    local name=$1 cpus=${2:-} command
    SERVER_PORT=$(free_port)
    command=${COMMAND[$name]//\{port\}/$SERVER_PORT}
    [[ -n $cpus ]] && command="taskset -c $cpus $command"
    # shellcheck disable=SC2086 # the command is a word list
    setsid $command >"$WORK/$name.stdout" 2>"$WORK/$name.stderr" </dev/null &
    SERVER_PID=$!
    local deadline=$((SECONDS + 120))
    until [[ $(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer sk-bench' \
        "http://127.0.0.1:$SERVER_PORT${BASE[$name]}/models" 2>/dev/null) == 200 ]]; do
        kill -0 "$SERVER_PID" 2>/dev/null || die "${LABEL[$name]} exited; see $WORK/$name.stderr"
        ((SECONDS < deadline)) || die "${LABEL[$name]} did not answer GET /models within 120 s"
        sleep 0.05
    done
}

# The resident memory of the server's whole process group, in MB.
rss_mb() {
    ps -o rss= -s "$SERVER_PID" | awk '{kb += $1} END {printf "%.1f", kb / 1024}'
}

# Converts wrk's latency (`812.00us`, `1.20ms`, `2.00s`) to milliseconds.
to_ms() {
    awk -v v="$1" 'BEGIN {
        if (v ~ /us$/) { sub(/us$/, "", v); printf "%.2f", v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v); printf "%.2f", v }
        else if (v ~ /m$/) { sub(/m$/, "", v); printf "%.0f", v * 60000 }
        else { sub(/s$/, "", v); printf "%.0f", v * 1000 }
    }'
}

# Runs one load test. Sets LT_RPS, LT_P50, LT_P99 (ms), LT_REQUESTS, LT_BAD (non-2xx) and,
# for the stream script, LT_EVENTS_PER_S and LT_EVENTS_PER_STREAM.
# load_test CONNECTIONS SECONDS METHOD URL [BODY_FILE] [stream|mixed] [THREADS]
load_test() {
    local connections=$1 seconds=$2 method=$3 url=$4 body=${5:-} mode=${6:-} threads=${7:-1} out
    LT_EVENTS_PER_S='' LT_EVENTS_PER_STREAM=''
    if [[ $LOADER == wrk ]]; then
        local script=$HERE/wrk/get.lua
        [[ $method == POST ]] && script=$HERE/wrk/post.lua
        [[ $mode == stream ]] && script=$HERE/wrk/stream.lua
        [[ $mode == mixed ]] && script=$HERE/wrk/mixed.lua
        out=$(BENCH_BODY=$body BENCH_BODIES=$BODIES BENCH_BASE=$MIXED_BASE \
            wrk -t"$threads" -c"$connections" -d"${seconds}s" --timeout 10s --latency -s "$script" "$url")
        LT_RPS=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' <<<"$out")
        LT_P50=$(to_ms "$(awk '$1 == "50%" {print $2}' <<<"$out")")
        LT_P99=$(to_ms "$(awk '$1 == "99%" {print $2}' <<<"$out")")
        LT_REQUESTS=$(awk '/requests in/ {print $1}' <<<"$out")
        LT_BAD=$(awk '/Non-2xx or 3xx responses:/ {print $5}' <<<"$out")
        LT_BAD=$((${LT_BAD:-0} + $(awk '/Socket errors:/ {gsub(/,/, ""); n = $4 + $6 + $8 + $10} END {print n + 0}' <<<"$out")))
        if [[ $mode == stream ]]; then
            local events streams micros
            events=$(awk '$1 == "events" {print $2}' <<<"$out")
            streams=$(awk '$1 == "streams" {print $2}' <<<"$out")
            micros=$(awk '$1 == "duration_us" {print $2}' <<<"$out")
            LT_EVENTS_PER_S=$(awk -v e="$events" -v us="$micros" 'BEGIN {printf "%.0f", e / (us / 1e6)}')
            ((streams > 0)) && LT_EVENTS_PER_STREAM=$((events / streams))
        fi
    else
        [[ $mode == mixed ]] && { method=POST; body=$BODIES/chat.json; }
        local args=(-z "${seconds}s" -c "$connections" --no-tui --output-format json
            -H 'Authorization: Bearer sk-bench' -m "$method")
        [[ -n $body ]] && args+=(-H 'Content-Type: application/json' -D "$body")
        out=$(oha "${args[@]}" "$url")
        read -r LT_RPS LT_P50 LT_P99 LT_REQUESTS LT_BAD < <(python3 -c '
import json, sys
r = json.load(sys.stdin)
codes = r.get("statusCodeDistribution", {})
ok = sum(n for c, n in codes.items() if c.startswith("2"))
bad = sum(codes.values()) - ok + sum(r.get("errorDistribution", {}).values())
p = r["latencyPercentiles"]
print(round(r["summary"]["requestsPerSec"]), round(p["p50"] * 1000, 2), round(p["p99"] * 1000, 2), sum(codes.values()), bad)
' <<<"$out")
        if [[ $mode == stream ]]; then
            # oha cannot look into bodies: count the events of one answer (the answer to the
            # same request is the same) and multiply by the streams per second.
            LT_EVENTS_PER_STREAM=$(curl -s -N -H 'Authorization: Bearer sk-bench' \
                -H 'Content-Type: application/json' --data-binary "@$body" "$url" | grep -c '^data:' || true)
            LT_EVENTS_PER_S=$((LT_RPS * LT_EVENTS_PER_STREAM))
        fi
    fi
    [[ -n $LT_RPS ]] || die "could not read the load generator's output for $url:"$'\n'"$out"
}

# Runs load_test $RUNS times with the same arguments and keeps the median run (by requests/s,
# or events/s for a stream): sets the same LT_* variables as that run, except LT_REQUESTS,
# which counts the requests of every run (for the soak's total).
median_load_test() {
    local rps=() p50=() p99=() bad=() eps=() per=() served=0 i
    for ((i = 0; i < RUNS; i++)); do
        load_test "$@"
        rps+=("$LT_RPS") p50+=("$LT_P50") p99+=("$LT_P99") bad+=("$LT_BAD")
        eps+=("${LT_EVENTS_PER_S:-0}") per+=("${LT_EVENTS_PER_STREAM:-}")
        served=$((served + LT_REQUESTS))
    done
    local keys=("${rps[@]}")
    [[ ${6:-} == stream ]] && keys=("${eps[@]}")
    local middle
    middle=$(for i in "${!keys[@]}"; do echo "${keys[$i]} $i"; done | sort -n | awk -v n="$RUNS" 'NR == int((n + 1) / 2) {print $2}')
    LT_RPS=${rps[$middle]} LT_P50=${p50[$middle]} LT_P99=${p99[$middle]} LT_BAD=${bad[$middle]}
    LT_EVENTS_PER_S=${eps[$middle]} LT_EVENTS_PER_STREAM=${per[$middle]} LT_REQUESTS=$served
    LT_ALL_RPS=$(IFS=/; echo "${keys[*]}")
}

# The status one request gets, to check each scenario answers as intended before loading it.
status_of() { # METHOD URL [BODY_FILE]
    local args=(-s -o /dev/null -w '%{http_code}' -X "$1" -H 'Authorization: Bearer sk-bench')
    [[ -n ${3:-} ]] && args+=(-H 'Content-Type: application/json' --data-binary "@$3")
    curl "${args[@]}" "$2"
}

SCENARIOS=(chat embeddings models invalid)
declare -A SC_METHOD SC_PATH SC_BODY SC_WANT SC_TITLE
SC_METHOD[chat]=POST SC_PATH[chat]=/chat/completions SC_BODY[chat]=$BODIES/chat.json SC_WANT[chat]=200
SC_TITLE[chat]="chat completions, 250 B body"
SC_METHOD[embeddings]=POST SC_PATH[embeddings]=/embeddings SC_BODY[embeddings]=$BODIES/embeddings.json SC_WANT[embeddings]=200
SC_TITLE[embeddings]="embeddings, 3 × 1536 dims, base64"
SC_METHOD[models]=GET SC_PATH[models]=/models SC_BODY[models]='' SC_WANT[models]=200
SC_TITLE[models]="GET /v1/models"
SC_METHOD[invalid]=POST SC_PATH[invalid]=/chat/completions SC_BODY[invalid]=$BODIES/invalid.json SC_WANT[invalid]=400
SC_TITLE[invalid]="invalid chat request (400)"

measure() { # server name
    local name=$1 runs=$STARTUP_RUNS
    [[ $name == steady || $name == prism ]] && runs=$PEER_STARTUP_RUNS
    log "${LABEL[$name]}: startup, $runs runs"
    # shellcheck disable=SC2086
    read -r "R[$name.startup]" _ _ "R[$name.startup_runs]" < <(python3 "$HERE/startup.py" \
        --runs "$runs" --path "${BASE[$name]}/models" -- ${COMMAND[$name]})

    start_server "$name"
    sleep 2 # let background work (the peers' JIT) finish
    R[$name.idle_rss]=$(rss_mb)
    local served=1 base="http://127.0.0.1:$SERVER_PORT${BASE[$name]}"

    for scenario in "${SCENARIOS[@]}"; do
        local url=$base${SC_PATH[$scenario]} got
        got=$(status_of "${SC_METHOD[$scenario]}" "$url" "${SC_BODY[$scenario]}")
        R[$name.$scenario.status]=$got
        log "${LABEL[$name]}: $scenario (one request answers $got), $RUNS × ${DURATION}s"
        median_load_test 16 "$DURATION" "${SC_METHOD[$scenario]}" "$url" "${SC_BODY[$scenario]}"
        log "${LABEL[$name]}: $scenario requests/s by run: $LT_ALL_RPS"
        R[$name.$scenario.rps]=$LT_RPS
        R[$name.$scenario.p50]=$LT_P50
        R[$name.$scenario.p99]=$LT_P99
        R[$name.$scenario.bad]=$LT_BAD
        served=$((served + LT_REQUESTS))
    done

    if [[ $name != bare ]]; then
        local url=$base/chat/completions
        R[$name.stream.status]=$(status_of POST "$url" "$BODIES/stream.json")
        log "${LABEL[$name]}: streamed chat on one connection, $RUNS × ${DURATION}s"
        median_load_test 1 "$DURATION" POST "$url" "$BODIES/stream.json" stream
        log "${LABEL[$name]}: stream events/s by run: $LT_ALL_RPS"
        R[$name.stream.eps]=$LT_EVENTS_PER_S
        R[$name.stream.per]=$LT_EVENTS_PER_STREAM
        R[$name.stream.rps]=$LT_RPS
        served=$((served + LT_REQUESTS))
    fi

    R[$name.loaded_rss]=$(rss_mb)
    if [[ $name == mock || $name == before || $name == bare ]]; then
        # The soak: the mixed workload until the process has served $SOAK requests.
        MIXED_BASE=${BASE[$name]}
        local rate=${R[$name.chat.rps]:-1000} chunk
        while ((served < SOAK)); do
            chunk=$(( (SOAK - served) / (rate > 0 ? rate : 1000) + 1 ))
            ((chunk > 120)) && chunk=120
            log "${LABEL[$name]}: soak, $served of $SOAK requests served, ${chunk}s more"
            load_test 16 "$chunk" GET "$base/models" "" mixed
            served=$((served + LT_REQUESTS))
            rate=$LT_RPS
            R[$name.soak.bad]=$(( ${R[$name.soak.bad]:-0} + LT_BAD ))
        done
    fi
    R[$name.served]=$served
    R[$name.soaked_rss]=$(rss_mb)
    stop_server
}

MIXED_BASE=/v1
STARTED=$(date -u '+%Y-%m-%d %H:%M UTC')
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
for name in "${SERVERS[@]}"; do
    measure "$name"
done

# Requests/s against cores: the server pinned to 1 core, then to 2, loaded by wrk -t2 -c32
# (which shares the cores with it: on a 2-core machine the second column is the whole
# machine).
SCALE_SCENARIOS=(models chat)
if [[ $SCALING -eq 1 ]]; then
    for name in mock bare; do
        for cpus in 0 0,1; do
            start_server "$name" "$cpus"
            base="http://127.0.0.1:$SERVER_PORT${BASE[$name]}"
            for scenario in "${SCALE_SCENARIOS[@]}"; do
                log "${LABEL[$name]}: $scenario on cores $cpus, wrk -t2 -c32, $RUNS × ${DURATION}s"
                median_load_test 32 "$DURATION" "${SC_METHOD[$scenario]}" "$base${SC_PATH[$scenario]}" \
                    "${SC_BODY[$scenario]}" "" 2
                R[$name.$scenario.cores.$cpus]=$LT_RPS
            done
            stop_server
        done
    done
fi

# ----------------------------------------------------------------------------- SDK suite
sdk_time() { # binary label -> seconds and counts
    local bin=$1 t0 t1 counts
    t0=$(date +%s.%N)
    bash "$ROOT/tests/sdk/python/run.sh" "$bin" -q >"$WORK/sdk-$2.txt" 2>&1 || true
    t1=$(date +%s.%N)
    counts=$(grep -o 'tests=[0-9]* failures=[0-9]* errors=[0-9]*' "$WORK/sdk-$2.txt" | tail -n1)
    printf '%.0f s (%s)' "$(awk -v a="$t0" -v b="$t1" 'BEGIN {print b - a}')" "${counts:-no junit counts}"
}
if [[ $SDK -eq 1 ]]; then
    log "SDK suite against openai-mock"
    R[mock.sdk]=$(sdk_time "$MOCK_BIN" mock)
    if [[ $PEERS -eq 1 ]]; then
        log "SDK suite against Steady"
        R[steady.sdk]=$(sdk_time "$HERE/steady-as-server.sh" steady)
    fi
fi

# --------------------------------------------------------------------------------- table
cell() { local v=${R[$1]:-}; printf '%s' "${v:-—}"; }
ratio() { # a b
    awk -v a="${R[$1]:-}" -v b="${R[$2]:-}" 'BEGIN { if (a == "" || b == "" || b == 0) print "—"; else printf "%.0f%%", 100 * a / b }'
}
growth() { # server stage base
    awk -v a="${R[$1.$3]:-}" -v b="${R[$1.$2]:-}" 'BEGIN {
        if (a == "" || b == "") { print "—"; exit }
        printf "%.1f (%+.0f%%)", b, 100 * (b - a) / a }'
}
thousands() { awk -v v="$1" 'BEGIN { if (v == "" || v == "—") { print "—"; exit } s = sprintf("%d", v); r = ""; while (length(s) > 3) { r = "," substr(s, length(s) - 2) r; s = substr(s, 1, length(s) - 3) } print s r }'; }

{
    # Columns: the measurement, openai-mock, [openai-mock before, after ÷ before,] the bare
    # server, openai-mock ÷ bare[, Steady, Prism].
    header="| measurement | openai-mock |" rule="|---|---:|"
    if [[ -n $BASELINE_BIN ]]; then header+=" openai-mock before | after ÷ before |"; rule+="---:|---:|"; fi
    header+=" bare poem server | openai-mock ÷ bare |" rule+="---:|---:|"
    if [[ $PEERS -eq 1 ]]; then header+=" Steady | Prism |"; rule+="---:|---:|"; fi
    echo "$header"
    echo "$rule"
    row() { # title mock before after÷before bare mock÷bare steady prism
        local line="| $1 | $2 |"
        [[ -n $BASELINE_BIN ]] && line+=" $3 | $4 |"
        line+=" $5 | $6 |"
        [[ $PEERS -eq 1 ]] && line+=" $7 | $8 |"
        echo "$line"
    }
    row "startup to first 200 on GET /v1/models, median (ms)" \
        "$(cell mock.startup)" "$(cell before.startup)" "" "$(cell bare.startup)" "" \
        "$(cell steady.startup) (${R[steady.startup_runs]:-0} runs)" "$(cell prism.startup) (${R[prism.startup_runs]:-0} runs)"
    row "idle RSS (MB)" "$(cell mock.idle_rss)" "$(cell before.idle_rss)" "" "$(cell bare.idle_rss)" "" \
        "$(cell steady.idle_rss)" "$(cell prism.idle_rss)"
    row "RSS after the load tests (MB, change from idle)" "$(growth mock loaded_rss idle_rss)" \
        "$(growth before loaded_rss idle_rss)" "" "$(growth bare loaded_rss idle_rss)" "" \
        "$(growth steady loaded_rss idle_rss)" "$(growth prism loaded_rss idle_rss)"
    row "RSS after $(thousands "$SOAK") requests in all (MB, change from after the load tests)" \
        "$(growth mock soaked_rss loaded_rss)" "$(growth before soaked_rss loaded_rss)" "" \
        "$(growth bare soaked_rss loaded_rss)" "" "not soaked" "not soaked"
    for scenario in "${SCENARIOS[@]}"; do
        row "${SC_TITLE[$scenario]}: requests/s" \
            "$(thousands "${R[mock.$scenario.rps]:-}")" "$(thousands "${R[before.$scenario.rps]:-}")" \
            "$(ratio "mock.$scenario.rps" "before.$scenario.rps")" \
            "$(thousands "${R[bare.$scenario.rps]:-}")" "$(ratio "mock.$scenario.rps" "bare.$scenario.rps")" \
            "$(thousands "${R[steady.$scenario.rps]:-}")" "$(thousands "${R[prism.$scenario.rps]:-}")"
        row "${SC_TITLE[$scenario]}: p50 / p99 (ms)" \
            "$(cell "mock.$scenario.p50") / $(cell "mock.$scenario.p99")" \
            "$(cell "before.$scenario.p50") / $(cell "before.$scenario.p99")" "" \
            "$(cell "bare.$scenario.p50") / $(cell "bare.$scenario.p99")" "" \
            "$(cell "steady.$scenario.p50") / $(cell "steady.$scenario.p99")" \
            "$(cell "prism.$scenario.p50") / $(cell "prism.$scenario.p99")"
    done
    row "streamed chat, one connection: events/s (events per answer)" \
        "$(thousands "${R[mock.stream.eps]:-}") ($(cell mock.stream.per))" \
        "$(thousands "${R[before.stream.eps]:-}") ($(cell before.stream.per))" \
        "$(ratio mock.stream.eps before.stream.eps)" "n/a" "" \
        "$(thousands "${R[steady.stream.eps]:-}") ($(cell steady.stream.per))" \
        "$(thousands "${R[prism.stream.eps]:-}") ($(cell prism.stream.per))"
    if [[ $SDK -eq 1 ]]; then
        row "openai-python api_resources suite, wall time" "$(cell mock.sdk)" "not run" "" "n/a" "" \
            "$(cell steady.sdk)" "not run"
    fi
    echo
    if [[ $SCALING -eq 1 ]]; then
        echo "| requests/s by the server's cores (wrk -t2 -c32) | 1 core | 2 cores | 2 ÷ 1 |"
        echo "|---|---:|---:|---:|"
        for name in mock bare; do
            for scenario in "${SCALE_SCENARIOS[@]}"; do
                echo "| ${LABEL[$name]}: ${SC_TITLE[$scenario]} | $(thousands "${R[$name.$scenario.cores.0]:-}") |" \
                    "$(thousands "${R[$name.$scenario.cores.0,1]:-}") |" \
                    "$(awk -v a="${R[$name.$scenario.cores.0,1]:-}" -v b="${R[$name.$scenario.cores.0]:-}" 'BEGIN { if (a == "" || b == "" || b == 0) print "—"; else printf "%.2f", a / b }') |"
            done
        done
        echo
    fi
    # Anything that did not answer as intended is reported, not hidden.
    for name in "${SERVERS[@]}"; do
        for scenario in "${SCENARIOS[@]}" stream; do
            want=${SC_WANT[$scenario]:-200}
            got=${R[$name.$scenario.status]:-}
            if [[ -n $got && $got != "$want" && $name != bare ]]; then
                echo "- ${LABEL[$name]}: one $scenario request answered $got, not $want."
            fi
            bad=${R[$name.$scenario.bad]:-0}
            if [[ $scenario != invalid && $bad -gt 0 ]]; then
                echo "- ${LABEL[$name]}: $bad non-2xx answers or socket errors during $scenario."
            fi
        done
    done
    [[ -n $BASELINE_BIN ]] && echo "- openai-mock before: \`$BASELINE_BIN\`."
    echo "- Run: \`bench/load.sh$([[ $PEERS -eq 1 ]] && echo ' --peers')$([[ $SDK -eq 1 ]] && echo ' --sdk')$([[ $SCALING -eq 1 ]] && echo ' --scaling')\` on $STARTED;" \
        "$(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')), load average at start $LOADAVG;" \
        "$LOADER -t1, ${DURATION} s per test, median of $RUNS runs, 16 connections (1 for streaming); soak of $(thousands "$SOAK") requests."
} | tee "$OUT"
log "table written to $OUT"
