#!/usr/bin/env bash
# Azurite (Azure Storage emulator, blob service only) for the Azure tests.
#   scripts/azurite.sh install   npm-install azurite into <repo>/.azurite (not saved in package.json)
#   scripts/azurite.sh start     start azurite-blob on 127.0.0.1:${AZURITE_PORT:-10000} in the background
#   scripts/azurite.sh stop      stop the instance started by `start` (by its pid file)
#   scripts/azurite.sh status    exit 0 when the started instance is running
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$REPO/.azurite"
VERSION="3.35.0"
PORT="${AZURITE_PORT:-10000}"
HOST="127.0.0.1"
PIDFILE="$DIR/azurite-$PORT.pid"
BIN="$DIR/node_modules/.bin/azurite-blob"

port_open() {
    (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null
}

install() {
    if [ -x "$BIN" ] && grep -q "\"version\": \"$VERSION\"" "$DIR/node_modules/azurite/package.json" 2>/dev/null; then
        echo "azurite $VERSION already installed in $DIR"
        return 0
    fi
    mkdir -p "$DIR"
    npm install --no-save --no-audit --no-fund --loglevel=error --prefix "$DIR" "azurite@$VERSION"
    echo "azurite $VERSION installed in $DIR"
}

start() {
    [ -x "$BIN" ] || install
    if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
        echo "azurite already running (pid $(cat "$PIDFILE")) on $HOST:$PORT"
        return 0
    fi
    if port_open; then
        # Another Azurite (e.g. started from another checkout) is reused; anything else is an error.
        if ! command -v curl >/dev/null 2>&1 || curl -s -m 5 -D - -o /dev/null "http://$HOST:$PORT/devstoreaccount1?comp=list" 2>/dev/null | grep -qi '^server: azurite'; then
            echo "azurite already answers on $HOST:$PORT; using it"
            return 0
        fi
        echo "something that is not azurite listens on $HOST:$PORT" >&2
        return 1
    fi
    local data
    data="$(mktemp -d "${TMPDIR:-/tmp}/azurite-data.XXXXXX")"
    echo "$data" > "$DIR/azurite-$PORT.location"
    nohup "$BIN" --blobHost "$HOST" --blobPort "$PORT" --location "$data" \
        --disableTelemetry --skipApiVersionCheck --silent \
        > "$DIR/azurite-$PORT.log" 2>&1 &
    echo $! > "$PIDFILE"
    for _ in $(seq 1 100); do
        if port_open; then
            echo "azurite running (pid $(cat "$PIDFILE")) on $HOST:$PORT, data in $data"
            return 0
        fi
        if ! kill -0 "$(cat "$PIDFILE")" 2>/dev/null; then
            echo "azurite exited at start; its log:" >&2
            cat "$DIR/azurite-$PORT.log" >&2
            rm -f "$PIDFILE"
            return 1
        fi
        sleep 0.2
    done
    echo "azurite did not open $HOST:$PORT within 20 s; its log:" >&2
    cat "$DIR/azurite-$PORT.log" >&2
    return 1
}

stop() {
    if [ ! -f "$PIDFILE" ]; then
        echo "azurite not started by this script (no $PIDFILE)"
        return 0
    fi
    local pid
    pid="$(cat "$PIDFILE")"
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid"
        for _ in $(seq 1 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$PIDFILE"
    if [ -f "$DIR/azurite-$PORT.location" ]; then
        rm -rf "$(cat "$DIR/azurite-$PORT.location")"
        rm -f "$DIR/azurite-$PORT.location"
    fi
    echo "azurite stopped (pid $pid)"
}

status() {
    [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && port_open
}

case "${1:-}" in
    install) install ;;
    start) start ;;
    stop) stop ;;
    status) status ;;
    *) echo "usage: $0 install|start|stop|status" >&2; exit 2 ;;
esac
