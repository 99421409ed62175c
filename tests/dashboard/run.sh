#!/usr/bin/env bash
# The dashboard's browser tests against a running openai-mock: installs Debian's `chromium`
# and `chromium-driver` when missing (apt, with the .deb cache under target/apt-cache; CI runs
# as root on a fresh clone), installs Selenium and the openai SDK (requirements.txt) into a
# venv under target/dashboard-browser (reused while the stamp matches), then runs
# browser_test.py, which prints one `ok`/`FAIL` line per test and `N passed, N failed`.
# It starts no server: the caller passes the mock's root URL and its admin key.
#
# Usage: tests/dashboard/run.sh BASE_URL ADMIN_KEY
# Environment: DASHBOARD_BROWSER_WORKDIR (default <crate>/target/dashboard-browser).
# Exit status: 0 when every test passed, 1 when one failed, 2 when set-up failed.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
WORK=${DASHBOARD_BROWSER_WORKDIR:-$ROOT/target/dashboard-browser}
STAMP=$WORK/.setup-stamp

log() { printf '[dashboard-browser] %s\n' "$*" >&2; }
die() { printf '[dashboard-browser] ERROR: %s\n' "$*" >&2; exit 2; }

[[ $# -eq 2 ]] || die "usage: $0 BASE_URL ADMIN_KEY"

mkdir -p "$WORK"
exec 9>"$WORK/.lock"
command -v flock >/dev/null && flock 9

if [[ ! -x /usr/bin/chromium || ! -x /usr/bin/chromedriver ]]; then
    [[ $(id -u) -eq 0 ]] || die "chromium and chromium-driver are missing; install them as root: apt-get install -y chromium chromium-driver"
    CACHE=$ROOT/target/apt-cache
    mkdir -p "$CACHE/partial"
    install() {
        DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
            -o Dir::Cache::Archives="$CACHE" chromium chromium-driver >&2
    }
    log "installing chromium and chromium-driver (apt)"
    install || { apt-get update -q >&2 && install; } || die "apt-get could not install chromium"
fi

STAMP_KEY=$( (cat "$HERE/requirements.txt"; python3 --version) | sha256sum | cut -d' ' -f1)
if [[ ! -f $STAMP || $(cat "$STAMP") != "$STAMP_KEY" || ! -x $WORK/venv/bin/python ]]; then
    log "installing Selenium and the openai SDK into $WORK/venv"
    rm -rf "$WORK/venv" "$STAMP"
    python3 -m venv "$WORK/venv" || die "python3 -m venv failed"
    "$WORK/venv/bin/pip" install -q --disable-pip-version-check -r "$HERE/requirements.txt" >&2 \
        || die "pip could not install requirements.txt"
    echo "$STAMP_KEY" > "$STAMP"
fi

# Selenium must never fetch drivers or browsers: both paths are given, and it stays offline.
export SE_OFFLINE=true SE_AVOID_STATS=true
exec "$WORK/venv/bin/python" "$HERE/browser_test.py" "$1" "$2"
