#!/usr/bin/env bash
# openai-python SDK conformance harness.
#
# Runs the `tests/api_resources` suite shipped in an openai-python sdist
# against an openai-mock server binary. The version comes from
# $SDK_PYTHON_VERSION (default 2.39.0); each known version has its sdist's
# sha256 below and its pinned test dependencies in requirements-<version>.txt:
#   2.39.0   httpx; the venv other harnesses share (support::python)
#   3.3.1    httpx2; generated from the same 2026-08-21 document as spec/
#   3.63.0   httpx2; the newest release, which calls operations the spec lacks
#
# Usage:
#   tests/sdk/python/run.sh [SERVER_BIN] [PYTEST_ARGS...]
#   OPENAI_MOCK_BIN=target/debug/openai-mock tests/sdk/python/run.sh [-- ] [PYTEST_ARGS...]
#   tests/sdk/python/run.sh --setup-only
#
# `--setup-only` creates (or reuses) the venv and the extracted sdist, then exits 0
# without starting a server or running pytest; other harnesses (such as
# tests/sdk_python_behaviour.rs) use it to get the same venv.
#
# The first argument is taken as the server binary unless it starts with `-`
# (use `--` to pass pytest arguments while taking the binary from
# $OPENAI_MOCK_BIN). Everything after it is passed to pytest, e.g.
#   tests/sdk/python/run.sh target/debug/openai-mock -k 'test_method_list and models' -x
#
# Environment knobs:
#   SDK_PYTHON_VERSION      openai-python version to run (default: 2.39.0)
#   PYTHON                  interpreter used to create the venv (default: python3)
#   SDK_PYTHON_WORKDIR      base work dir (default: <crate>/target/sdk-python); 2.39.0
#                           uses it directly, any other version its subdirectory v<version>/
#   SDK_PYTHON_WORKERS      pytest-xdist workers (default: 2)
#   SERVER_START_TIMEOUT    seconds to wait for the `listening` line (default: 60)
#
# Outputs (in the version's work dir):
#   venv/                   the virtualenv (reused while .setup-stamp matches)
#   openai-<version>/       the extracted sdist; pytest runs from here
#   last-run.txt            full pytest output of the last run
#   last-junit.xml          junit xml of the last run
#   server.stdout/.stderr   the mock server's output during the last run
#
# Exit status: 0 only if pytest ran at least one test and reported no
# failures and no errors.
set -euo pipefail

log() { printf '[sdk-python] %s\n' "$*" >&2; }
die() { printf '[sdk-python] ERROR: %s\n' "$*" >&2; exit 2; }

OPENAI_PY_VERSION=${SDK_PYTHON_VERSION:-2.39.0}
# The sdists' sha256 (from PyPI, checked after download) and the oldest Python
# each release supports.
case $OPENAI_PY_VERSION in
    2.39.0) OPENAI_SDIST_SHA256=8d915a72448314c97c719fa63e3c88efa6041e806c546064aaf1edc5e6fffc45 MIN_PY=9 ;;
    3.3.1) OPENAI_SDIST_SHA256=6f22807de1a976c932cecda620e8172a8c3fdbaeed29c7f21564e0c2410edf56 MIN_PY=10 ;;
    3.63.0) OPENAI_SDIST_SHA256=d97e2cc745641c855140205671aea7b5d262219764340916ee4d96b94c806ce4 MIN_PY=10 ;;
    *) die "SDK_PYTHON_VERSION=$OPENAI_PY_VERSION is not pinned here (known: 2.39.0, 3.3.1, 3.63.0)" ;;
esac
# Bump when the setup procedure below changes, to invalidate existing venvs.
SETUP_REVISION=1

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
WORK=${SDK_PYTHON_WORKDIR:-$ROOT/target/sdk-python}
[[ $OPENAI_PY_VERSION == 2.39.0 ]] || WORK=$WORK/v$OPENAI_PY_VERSION
VENV=$WORK/venv
VPY=$VENV/bin/python
SDIST_NAME=openai-$OPENAI_PY_VERSION
SDIST_TGZ=$WORK/dist/$SDIST_NAME.tar.gz
SDIST_DIR=$WORK/$SDIST_NAME
REQ=$HERE/requirements-$OPENAI_PY_VERSION.txt
STAMP=$WORK/.setup-stamp
PYTHON=${PYTHON:-python3}
WORKERS=${SDK_PYTHON_WORKERS:-2}
START_TIMEOUT=${SERVER_START_TIMEOUT:-60}

# ---------------------------------------------------------------- arguments
SETUP_ONLY=0
if [[ ${1:-} == --setup-only ]]; then
    SETUP_ONLY=1
    shift
fi
BIN=${OPENAI_MOCK_BIN:-}
if [[ $SETUP_ONLY -eq 1 ]]; then
    :
elif [[ $# -gt 0 ]]; then
    if [[ $1 == -- ]]; then
        shift
    elif [[ $1 != -* ]]; then
        BIN=$1
        shift
    fi
fi
if [[ $SETUP_ONLY -eq 0 ]]; then
    [[ -n $BIN ]] || die "no server binary: pass it as the first argument or set OPENAI_MOCK_BIN"
    [[ -f $BIN && -x $BIN ]] || die "server binary '$BIN' does not exist or is not executable"
    BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
fi

# -------------------------------------------------------------------- setup
sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

command -v "$PYTHON" >/dev/null || die "python interpreter '$PYTHON' not found"
PY_ID=$("$PYTHON" -c 'import sys; print(sys.version.split()[0], sys.platform)')
[[ $("$PYTHON" -c "import sys; print(sys.version_info >= (3, $MIN_PY))") == True ]] \
    || die "$PYTHON is $PY_ID; openai-python $OPENAI_PY_VERSION needs Python >= 3.$MIN_PY"

STAMP_KEY=$(printf 'rev=%s\nopenai=%s\nsdist=%s\npython=%s\nrequirements=%s\n' \
    "$SETUP_REVISION" "$OPENAI_PY_VERSION" "$OPENAI_SDIST_SHA256" "$PY_ID" "$(sha256_of "$REQ")")

setup_is_current() {
    [[ -f $STAMP && -x $VPY && -d $SDIST_DIR/tests/api_resources ]] || return 1
    [[ $(cat "$STAMP") == "$STAMP_KEY" ]]
}

make_venv() {
    if "$PYTHON" -m venv "$VENV" 2>"$WORK/venv-error.txt"; then
        return 0
    fi
    # Fallback for interpreters without ensurepip (e.g. Debian without
    # python3-venv): create the venv bare and bootstrap pip with the host pip.
    log "python -m venv failed ($(tail -n1 "$WORK/venv-error.txt")); retrying --without-pip"
    rm -rf "$VENV"
    "$PYTHON" -m venv --without-pip "$VENV"
    "$PYTHON" -m pip --python "$VPY" install --quiet pip \
        || die "could not bootstrap pip into $VENV (install python3-venv or python3-pip)"
}

setup() {
    local t0=$SECONDS
    log "setting up $VENV (openai==$OPENAI_PY_VERSION, $PY_ID)"
    rm -rf "$VENV" "$SDIST_DIR" "$WORK/dist" "$STAMP"
    mkdir -p "$WORK/dist"

    make_venv
    rm -f "$WORK/venv-error.txt"

    # The sdist (not a wheel) ships tests/; download it, verify it, and install
    # that very archive so the tests and the SDK under test match exactly.
    "$VPY" -m pip download --quiet --no-deps --no-binary openai \
        -d "$WORK/dist" "openai==$OPENAI_PY_VERSION"
    [[ -f $SDIST_TGZ ]] || die "pip download did not produce $SDIST_TGZ"
    local got
    got=$(sha256_of "$SDIST_TGZ")
    [[ $got == "$OPENAI_SDIST_SHA256" ]] \
        || die "sha256 mismatch for $SDIST_TGZ: got $got, want $OPENAI_SDIST_SHA256"
    tar -xzf "$SDIST_TGZ" -C "$WORK"
    [[ -d $SDIST_DIR/tests/api_resources ]] || die "$SDIST_TGZ has no tests/api_resources"

    "$VPY" -m pip install --quiet --no-binary openai -r "$REQ" "$SDIST_TGZ"
    "$VPY" -m pip check
    "$VPY" -c "import openai, sys; v = openai.__version__; sys.exit(0 if v == '$OPENAI_PY_VERSION' else 'installed openai is ' + v)"

    printf '%s' "$STAMP_KEY" >"$STAMP"
    log "setup done in $((SECONDS - t0))s"
}

mkdir -p "$WORK"
# One run at a time per work dir: setup deletes/rebuilds the venv, and every
# run writes the same server.*/last-run.txt/last-junit.xml files.
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

# The suite must exercise the installed SDK (src/ layout: the sdist dir itself
# has no importable `openai`), from the sdist dir so `tests.utils` resolves.
OPENAI_FILE=$(cd "$SDIST_DIR" && "$VPY" -c 'import openai; print(openai.__file__)')
[[ $OPENAI_FILE == "$VENV"/* ]] || die "tests would import openai from $OPENAI_FILE, not from the venv"
if [[ $SETUP_ONLY -eq 1 ]]; then
    log "setup only: $VENV is ready"
    exit 0
fi

# ------------------------------------------------------------------- server
SERVER_PID=
cleanup() {
    local rc=$?
    if [[ -n $SERVER_PID ]]; then
        # The server runs in its own process group (setsid): signal the group
        # so that anything it spawned goes too.
        kill -TERM -- "-$SERVER_PID" 2>/dev/null || kill -TERM "$SERVER_PID" 2>/dev/null || true
        for _ in $(seq 50); do
            kill -0 "$SERVER_PID" 2>/dev/null || break
            sleep 0.1
        done
        kill -KILL -- "-$SERVER_PID" 2>/dev/null || kill -KILL "$SERVER_PID" 2>/dev/null || true
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
log "starting $BIN --host 127.0.0.1 --port 0 --float-embeddings true"
SETSID=()
command -v setsid >/dev/null && SETSID=(setsid)
# --float-embeddings: the suite's strict clients validate answers before the SDK decodes
# base64 embeddings (its default), so they reject the real API's base64 strings.
"${SETSID[@]}" "$BIN" --host 127.0.0.1 --port 0 --float-embeddings true >"$SERVER_OUT" 2>"$SERVER_ERR" </dev/null 9>&- &
SERVER_PID=$!

BASE_URL=
deadline=$((SECONDS + START_TIMEOUT))
while :; do
    # Wait for a complete (newline-terminated) first line.
    if [[ $(wc -l <"$SERVER_OUT") -ge 1 ]]; then
        first=$(head -n1 "$SERVER_OUT" | tr -d '\r')
        if [[ $first =~ ^listening\ (https?://[^[:space:]]+)[[:space:]]*$ ]]; then
            BASE_URL=${BASH_REMATCH[1]%/}
            break
        fi
        die "unexpected first stdout line from server: '$first' (want 'listening http://HOST:PORT')"
    fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        wait "$SERVER_PID" && src=0 || src=$?
        log "server stderr:"
        tail -n 50 "$SERVER_ERR" >&2 || true
        die "server exited (status $src) before printing 'listening http://...'"
    fi
    if ((SECONDS >= deadline)); then
        log "server stderr:"
        tail -n 50 "$SERVER_ERR" >&2 || true
        die "server did not print 'listening http://...' within ${START_TIMEOUT}s"
    fi
    sleep 0.1
done
log "server pid $SERVER_PID listening at $BASE_URL"

# -------------------------------------------------------------------- pytest
# Keep the environment from leaking into the SDK clients under test.
while IFS= read -r var; do
    [[ $var == OPENAI_MOCK_* ]] || unset "$var"
done < <(compgen -e | grep '^OPENAI_' || true)
unset PYTHONPATH
export PYTHONNOUSERSITE=1
export PYTHONDONTWRITEBYTECODE=1
export NO_PROXY="127.0.0.1,localhost,::1${NO_PROXY:+,$NO_PROXY}"
export no_proxy=$NO_PROXY
export TEST_API_BASE_URL=$BASE_URL

RUN_TXT=$WORK/last-run.txt
JUNIT=$WORK/last-junit.xml
rm -f "$RUN_TXT" "$JUNIT"

# `-o addopts=` drops the sdist's "--tb=short -n auto" so the worker count is ours.
PYTEST_CMD=("$VPY" -m pytest tests/api_resources
    -n "$WORKERS" -p no:cacheprovider -q -o addopts= --tb=short -rfE
    --junitxml="$JUNIT" "$@")
log "cd $SDIST_DIR && TEST_API_BASE_URL=$BASE_URL$(printf ' %q' "${PYTEST_CMD[@]}")"

set +e
(cd "$SDIST_DIR" && "${PYTEST_CMD[@]}" 9>&-) 2>&1 | tee "$RUN_TXT"
PYTEST_RC=${PIPESTATUS[0]}
set -e

# ------------------------------------------------------------------ verdict
# Cross-check pytest's exit code against the junit counts.
COUNTS=$("$VPY" - "$JUNIT" <<'EOF'
import sys
import xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception as e:  # no/invalid junit file
    print("-1 -1 -1 -1")
    sys.exit(0)
suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
tot = {k: sum(int(s.get(k, 0)) for s in suites) for k in ("tests", "failures", "errors", "skipped")}
print(tot["tests"], tot["failures"], tot["errors"], tot["skipped"])
EOF
)
read -r N_TESTS N_FAIL N_ERR N_SKIP <<<"$COUNTS"
{
    echo
    echo "[sdk-python] openai-python $OPENAI_PY_VERSION api_resources against $BIN"
    echo "[sdk-python] pytest exit code $PYTEST_RC; junit: tests=$N_TESTS failures=$N_FAIL errors=$N_ERR skipped=$N_SKIP"
} | tee -a "$RUN_TXT" >&2

if [[ $PYTEST_RC -ne 0 || $N_TESTS -le 0 || $N_FAIL -ne 0 || $N_ERR -ne 0 ]]; then
    if [[ $PYTEST_RC -eq 5 || $N_TESTS -eq 0 ]]; then
        log "FAIL: no tests were run"
    else
        log "FAIL: see $RUN_TXT"
    fi
    [[ $PYTEST_RC -ne 0 ]] && exit "$PYTEST_RC"
    exit 1
fi
log "PASS"
