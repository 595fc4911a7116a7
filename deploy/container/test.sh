#!/usr/bin/env bash
# Builds vidserve's image with podman and serves the demo's model from it:
#   1. a Debian 13 (trixie: Node 20) base image made here with debootstrap + podman import (no registry needed;
#      kept as localhost/vidserve-base:trixie, REBUILD_BASE=1 rebuilds it);
#   2. the demo's model (models/ppTSM_serving_server; `vidserve demo` builds it when missing);
#   3. podman build of ./Dockerfile with BASE_IMAGE = that base;
#   4. podman run with models/ mounted read-only at /models, until /v2/health/ready answers and the image's
#      HEALTHCHECK passes;
#   5. one rendered video over v2 REST, v2 gRPC and Paddle HTTP (deploy/container/smoke.mjs);
#   6. SIGTERM, then checks the container exits 0 after logging its drain.
# Needs root (or rootless podman), `apt-get install -y podman runc debootstrap`, network to deb.debian.org and
# the npm registry. This sandbox refuses crun and podman's default ulimits: runc and explicit ulimits are used.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${WORK:-$ROOT/.tmp/container}
BASE_IMAGE=${BASE_IMAGE:-localhost/vidserve-base:trixie}
IMAGE=${IMAGE:-localhost/vidserve:test}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
NAME=vidserve-test-$$
OPTS=(--runtime runc --ulimit nofile=1024:4096 --ulimit nproc=1000:1000)
START=$(date +%s)

step() { echo "[container-test +$(( $(date +%s) - START ))s] $*"; }
fail() { echo "[container-test] FAILED: $*" >&2; exit 1; }
cleanup() { podman rm -f "$NAME" >/dev/null 2>&1 || true; }
trap cleanup EXIT
mkdir -p "$WORK"

# 1. base image
if [ "${REBUILD_BASE:-0}" = 1 ] || ! podman image exists "$BASE_IMAGE"; then
  step "debootstrap --variant=minbase trixie (nodejs, npm) -> $BASE_IMAGE"
  rootfs=$WORK/rootfs
  rm -rf "$rootfs"
  debootstrap --variant=minbase --include=nodejs,npm,ca-certificates trixie "$rootfs" "$MIRROR" > "$WORK/debootstrap.log" 2>&1 \
    || { tail -20 "$WORK/debootstrap.log"; fail "debootstrap (log: $WORK/debootstrap.log)"; }
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | podman import --change 'CMD ["node"]' - "$BASE_IMAGE" > /dev/null
  rm -rf "$rootfs"
fi
step "base: $(podman run --rm "${OPTS[@]}" "$BASE_IMAGE" node --version), npm $(podman run --rm "${OPTS[@]}" "$BASE_IMAGE" npm --version)"

# 2. the demo's model
if [ ! -f "$ROOT/models/ppTSM_serving_server/serving_server_conf.prototxt" ]; then
  step "building the demo's model (vidserve demo)"
  (cd "$ROOT" && node bin/vidserve.js demo > "$WORK/demo.log" 2>&1) || { tail -20 "$WORK/demo.log"; fail "vidserve demo"; }
fi

# 3. the image
step "podman build $IMAGE (BASE_IMAGE=$BASE_IMAGE)"
podman build "${OPTS[@]}" --network host --format docker --build-arg BASE_IMAGE="$BASE_IMAGE" -t "$IMAGE" -f "$ROOT/Dockerfile" "$ROOT" > "$WORK/build.log" 2>&1 \
  || { tail -30 "$WORK/build.log"; fail "podman build (log: $WORK/build.log)"; }
step "image: $(podman image inspect "$IMAGE" --format '{{.Size}}' | awk '{printf "%.0f MB", $1/1e6}'), user $(podman image inspect "$IMAGE" --format '{{.Config.User}}')"

# 4. run it
free_port() { node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }
HTTP_PORT=$(free_port)
RPC_PORT=$(free_port)
step "podman run (host network, http $HTTP_PORT, rpc $RPC_PORT, $ROOT/models at /models read-only, read-only root)"
# As in deploy/k8s/deployment.yaml: a read-only root filesystem, writable /tmp and log dir.
podman run -d --name "$NAME" "${OPTS[@]}" --network host --read-only --tmpfs /var/log/vidserve:rw,mode=1777 \
  -e VIDSERVE_HTTP_PORT="$HTTP_PORT" -e VIDSERVE_RPC_PORT="$RPC_PORT" \
  -v "$ROOT/models:/models:ro" "$IMAGE" > /dev/null
for i in $(seq 1 180); do
  if node -e "fetch('http://127.0.0.1:$HTTP_PORT/v2/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"; then break; fi
  [ "$(podman inspect "$NAME" --format '{{.State.Running}}')" = true ] || { podman logs "$NAME" | tail -20; fail "the container exited during startup"; }
  [ "$i" = 180 ] && { podman logs "$NAME" | tail -20; fail "not ready after 180 s"; }
  sleep 1
done
step "ready; image HEALTHCHECK: $(podman healthcheck run "$NAME" > /dev/null 2>&1 && echo healthy || echo unhealthy)"
podman healthcheck run "$NAME" > /dev/null || fail "the image's HEALTHCHECK does not pass on a ready server"

# 5. a video over both protocols
CLIP=$WORK/clip.mp4
"$(cd "$ROOT" && node -e "console.log(require('@ffmpeg-installer/ffmpeg').path)")" -loglevel error -y -f lavfi -i testsrc=duration=2:size=320x240:rate=25 -c:v mpeg4 -q:v 4 -pix_fmt yuv420p "$CLIP"
step "sending $CLIP"
(cd "$ROOT" && node deploy/container/smoke.mjs "$HTTP_PORT" "$RPC_PORT" "$CLIP") || { podman logs "$NAME" | tail -20; fail "predictions"; }

# 6. SIGTERM: drain and a clean exit
step "SIGTERM"
podman kill --signal TERM "$NAME" > /dev/null
CODE=$(timeout 90 podman wait "$NAME") || fail "still running 90 s after SIGTERM"
LOGS=$(podman logs "$NAME" 2>&1)
echo "$LOGS" | tail -4 | sed 's/^/  | /'
[ "$CODE" = 0 ] || fail "exit code $CODE after SIGTERM"
echo "$LOGS" | grep -q 'vidserve: stopped' || fail "no 'vidserve: stopped' line after SIGTERM"
step "PASS: exit code 0 after SIGTERM (total $(( $(date +%s) - START )) s)"
