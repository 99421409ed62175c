#!/usr/bin/env bash
# Python client frameworks against openai-mock: LangChain (langchain-openai), the OpenAI
# Agents SDK (openai-agents) and LiteLLM, at the versions pinned in requirements.txt.
#
# Usage:
#   tests/clients/python/run.sh SERVER_BIN [PYTEST_ARGS...]
#   tests/clients/python/run.sh --setup-only
#
# The server is started the way a user starts it (`SERVER_BIN --host 127.0.0.1 --port 0`,
# no extra flags), and pytest runs the test_*.py files of this directory with only
# OPENAI_BASE_URL=http://127.0.0.1:PORT/v1 and OPENAI_API_KEY=sk-test pointing the clients
# at it. Everything after SERVER_BIN goes to pytest, e.g. `-k litellm -x`.
#
# Environment knobs:
#   PYTHON                  interpreter used to create the venv (default: python3)
#   CLIENTS_PYTHON_WORKDIR  work dir (default: <crate>/target/clients-python)
#   SERVER_START_TIMEOUT    seconds to wait for the `listening` line (default: 60)
#
# Outputs (in the work dir):
#   venv/                   the virtualenv (reused while .setup-stamp matches)
#   tiktoken-cache/         tiktoken's BPE files, seeded offline at setup (see seed_tiktoken.py)
#   last-run.txt            full pytest output of the last run
#   last-junit.xml          junit xml of the last run
#   server.stdout/.stderr   the mock server's output during the last run
#
# Exit status: 0 only if pytest ran at least one test and reported no failures and no
# errors (an xfail(strict=True) that passes is a failure).
set -euo pipefail

# Bump when the setup procedure below changes, to invalidate existing venvs.
SETUP_REVISION=1

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
WORK=${CLIENTS_PYTHON_WORKDIR:-$ROOT/target/clients-python}
VENV=$WORK/venv
VPY=$VENV/bin/python
REQ=$HERE/requirements.txt
STAMP=$WORK/.setup-stamp
TIKTOKEN_CACHE=$WORK/tiktoken-cache
PYTHON=${PYTHON:-python3}
START_TIMEOUT=${SERVER_START_TIMEOUT:-60}

log() { printf '[clients-python] %s\n' "$*" >&2; }
die() { printf '[clients-python] ERROR: %s\n' "$*" >&2; exit 2; }

# ---------------------------------------------------------------- arguments
SETUP_ONLY=0
BIN=
if [[ ${1:-} == --setup-only ]]; then
    SETUP_ONLY=1
    shift
else
    [[ $# -gt 0 ]] || die "usage: run.sh SERVER_BIN [PYTEST_ARGS...] | run.sh --setup-only"
    BIN=$1
    shift
    [[ -f $BIN && -x $BIN ]] || die "server binary '$BIN' does not exist or is not executable"
    BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
fi

# -------------------------------------------------------------------- setup
command -v "$PYTHON" >/dev/null || die "python interpreter '$PYTHON' not found"
PY_ID=$("$PYTHON" -c 'import sys; print(sys.version.split()[0], sys.platform)')
[[ $("$PYTHON" -c 'import sys; print(sys.version_info >= (3, 10))') == True ]] \
    || die "$PYTHON is $PY_ID; the pinned clients need Python >= 3.10"

STAMP_KEY=$(printf 'rev=%s\npython=%s\nrequirements=%s\nseed=%s\n' "$SETUP_REVISION" "$PY_ID" \
    "$(sha256sum "$REQ" | cut -d' ' -f1)" "$(sha256sum "$HERE/seed_tiktoken.py" | cut -d' ' -f1)")

setup_is_current() {
    [[ -f $STAMP && -x $VPY && -d $TIKTOKEN_CACHE ]] && [[ $(cat "$STAMP") == "$STAMP_KEY" ]]
}

setup() {
    local t0=$SECONDS
    log "setting up $VENV ($PY_ID)"
    rm -rf "$VENV" "$TIKTOKEN_CACHE" "$STAMP"
    if ! "$PYTHON" -m venv "$VENV" 2>"$WORK/venv-error.txt"; then
        # Interpreters without ensurepip (Debian without python3-venv): bootstrap pip with
        # the host's pip.
        log "python -m venv failed ($(tail -n1 "$WORK/venv-error.txt")); retrying --without-pip"
        rm -rf "$VENV"
        "$PYTHON" -m venv --without-pip "$VENV"
        "$PYTHON" -m pip --python "$VPY" install --quiet pip \
            || die "could not bootstrap pip into $VENV (install python3-venv or python3-pip)"
    fi
    rm -f "$WORK/venv-error.txt"
    "$VPY" -m pip install --quiet -r "$REQ"
    "$VPY" -m pip check
    "$VPY" "$HERE/seed_tiktoken.py" "$TIKTOKEN_CACHE"
    printf '%s' "$STAMP_KEY" >"$STAMP"
    log "setup done in $((SECONDS - t0))s"
}

mkdir -p "$WORK"
# One run at a time per work dir: setup rebuilds the venv, and every run writes the same
# output files.
if command -v flock >/dev/null; then
    exec 9>"$WORK/.lock"
    if ! flock -n 9; then
        log "waiting for another run.sh using $WORK to finish"
        flock 9
    fi
fi
if setup_is_current; then
    log "reusing $VENV"
else
    setup
fi
if [[ $SETUP_ONLY -eq 1 ]]; then
    log "setup only: $VENV is ready"
    exit 0
fi

# ------------------------------------------------------------------- server
SERVER_PID=
cleanup() {
    local rc=$?
    if [[ -n $SERVER_PID ]]; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=
    return $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

SERVER_OUT=$WORK/server.stdout
SERVER_ERR=$WORK/server.stderr
: >"$SERVER_OUT"
: >"$SERVER_ERR"
log "starting $BIN --host 127.0.0.1 --port 0"
# Only the flags a user passes: no OPENAI_MOCK_* settings from the caller's environment.
env $(compgen -e | grep '^OPENAI_MOCK_' | sed 's/^/-u /' || true) \
    "$BIN" --host 127.0.0.1 --port 0 >"$SERVER_OUT" 2>"$SERVER_ERR" </dev/null 9>&- &
SERVER_PID=$!

BASE_URL=
deadline=$((SECONDS + START_TIMEOUT))
while :; do
    if [[ $(wc -l <"$SERVER_OUT") -ge 1 ]]; then
        first=$(head -n1 "$SERVER_OUT" | tr -d '\r')
        if [[ $first =~ ^listening\ (http://[^[:space:]]+)[[:space:]]*$ ]]; then
            BASE_URL=${BASH_REMATCH[1]%/}
            break
        fi
        die "unexpected first stdout line from server: '$first' (want 'listening http://HOST:PORT')"
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        tail -n 50 "$SERVER_ERR" >&2 || true
        die "server exited before printing 'listening http://...'"
    fi
    if ((SECONDS >= deadline)); then
        tail -n 50 "$SERVER_ERR" >&2 || true
        die "server did not print 'listening http://...' within ${START_TIMEOUT}s"
    fi
    sleep 0.1
done
log "server pid $SERVER_PID listening at $BASE_URL"

# -------------------------------------------------------------------- pytest
# The clients see only what a user would set: the mock's URL and a key.
while IFS= read -r var; do
    unset "$var"
done < <(compgen -e | grep -E '^(OPENAI_|LITELLM_|LANGCHAIN_|LANGSMITH_)' || true)
export OPENAI_BASE_URL=$BASE_URL/v1
export OPENAI_API_KEY=sk-test
# Offline switches, each named in the README's "Works with": tiktoken reads its BPE files
# from the seeded cache; LiteLLM uses the model cost map it ships instead of fetching one;
# the Agents SDK exports no traces (they would go to the real API).
export TIKTOKEN_CACHE_DIR=$TIKTOKEN_CACHE
export LITELLM_LOCAL_MODEL_COST_MAP=True
export OPENAI_AGENTS_DISABLE_TRACING=1
# Anything that still tries the internet fails at once on a dead proxy instead of waiting
# for a timeout; the mock is reached directly.
export HTTP_PROXY=http://127.0.0.1:9 HTTPS_PROXY=http://127.0.0.1:9
export http_proxy=$HTTP_PROXY https_proxy=$HTTPS_PROXY
export NO_PROXY=127.0.0.1,localhost no_proxy=127.0.0.1,localhost
unset PYTHONPATH ALL_PROXY all_proxy
export PYTHONNOUSERSITE=1 PYTHONDONTWRITEBYTECODE=1

RUN_TXT=$WORK/last-run.txt
JUNIT=$WORK/last-junit.xml
rm -f "$RUN_TXT" "$JUNIT"
PYTEST_CMD=("$VPY" -m pytest "$HERE" -c "$HERE/pytest.ini" --rootdir "$HERE"
    -p no:cacheprovider -q --tb=short -rfEX --junitxml="$JUNIT" "$@")
log "OPENAI_BASE_URL=$OPENAI_BASE_URL$(printf ' %q' "${PYTEST_CMD[@]}")"

set +e
"${PYTEST_CMD[@]}" 9>&- 2>&1 | tee "$RUN_TXT"
PYTEST_RC=${PIPESTATUS[0]}
set -e

# ------------------------------------------------------------------ verdict
read -r N_TESTS N_FAIL N_ERR N_SKIP < <("$VPY" - "$JUNIT" <<'EOF'
import sys
import xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print("-1 -1 -1 -1")
    sys.exit(0)
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
print(*(sum(int(s.get(k, 0)) for s in suites) for k in ("tests", "failures", "errors", "skipped")))
EOF
)
log "pytest exit code $PYTEST_RC; junit: tests=$N_TESTS failures=$N_FAIL errors=$N_ERR skipped=$N_SKIP" 2>&1 \
    | tee -a "$RUN_TXT" >&2
if [[ $PYTEST_RC -ne 0 || $N_TESTS -le 0 || $N_FAIL -ne 0 || $N_ERR -ne 0 ]]; then
    [[ $N_TESTS -le 0 ]] && log "FAIL: no tests were run" || log "FAIL: see $RUN_TXT"
    [[ $PYTEST_RC -ne 0 ]] && exit "$PYTEST_RC"
    exit 1
fi
log "PASS"
