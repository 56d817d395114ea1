#!/usr/bin/env bash
# Runs the gateway as a container against this host's Docker daemon:
#   - makes sure a daemon answers (docker/start-dockerd.sh) and the function images and the gateway image are built
#     (docker/build-images.sh, docker/build-gateway-image.sh; both skip what is up to date),
#   - creates the network the gateway and its function containers share (docker network create esb) if missing,
#   - (re)starts the container esb-gateway on it: Docker socket mounted, the config file mounted read-only at
#     /etc/esb/application.conf, port 9000 published on 127.0.0.1 only, esb.docker.network set to the network,
#   - waits until /health answers.
#
# Usage: docker/run-gateway-container.sh [path/to/application.conf]   (default ./application.conf)
# Environment: ESB_NETWORK (default esb), ESB_PORT (host port on 127.0.0.1, default 9000),
#   ESB_CONTAINER_NAME (default esb-gateway), ESB_GATEWAY_IMAGE (default esb-gateway:latest),
#   ESB_INSTANCE_ID (label value of its function containers, default "default"),
#   ESB_DATA_VOLUME (the volume at /var/lib/esb, esb.data-dir: accepted Event invocations; default esb-data).
# A running container of that name is stopped first (SIGTERM; it leaves its function containers for the new one).
# --stop-timeout 40 lets `docker stop` wait past esb.shutdown.drain-timeout (30 s) before it kills.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
log_tag=run-gateway-container
# shellcheck source=lib/images.sh
source docker/lib/images.sh

conf=$(readlink -f "${1:-application.conf}")
[[ -f $conf ]] || die "no config file at ${1:-application.conf}"
network=${ESB_NETWORK:-esb}
port=${ESB_PORT:-9000}
name=${ESB_CONTAINER_NAME:-esb-gateway}
image=${ESB_GATEWAY_IMAGE:-esb-gateway:latest}
host=${DOCKER_HOST:-unix:///var/run/docker.sock}
[[ $host == unix://* ]] || die "DOCKER_HOST must be a unix:// socket to mount into the container (got $host)"
socket=${host#unix://}

docker/start-dockerd.sh
docker/build-images.sh
ESB_GATEWAY_IMAGE=$image docker/build-gateway-image.sh

if ! docker network inspect "$network" >/dev/null 2>&1; then
  log "creating network $network"
  docker network create "$network" >/dev/null
fi
if docker container inspect "$name" >/dev/null 2>&1; then
  log "stopping the running $name"
  docker stop -t 40 "$name" >/dev/null || true
  docker rm -f "$name" >/dev/null 2>&1 || true
fi

# The gateway runs as uid 65534; the group that owns the socket lets it talk to the daemon.
docker run -d --name "$name" --restart unless-stopped \
  --network "$network" -p "127.0.0.1:$port:9000" \
  -v "$socket:/var/run/docker.sock" --group-add "$(stat -c %g "$socket")" \
  -v "$conf:/etc/esb/application.conf:ro" \
  -v "${ESB_DATA_VOLUME:-esb-data}:/var/lib/esb" \
  -e ESB_DOCKER_NETWORK="$network" -e ESB_INSTANCE_ID="${ESB_INSTANCE_ID:-default}" \
  --read-only --tmpfs /tmp --cap-drop ALL --security-opt no-new-privileges --stop-timeout 40 \
  "$image" >/dev/null

for _ in $(seq 1 240); do
  if curl -sf -o /dev/null --max-time 2 "http://127.0.0.1:$port/health"; then
    log "gateway listening on http://127.0.0.1:$port (container $name, network $network)"
    log "logs: docker logs -f $name    stop: docker stop $name"
    exit 0
  fi
  [[ $(docker inspect -f '{{.State.Running}}' "$name") == true ]] || break
  sleep 0.25
done
docker logs "$name" 2>&1 | tail -20 >&2
die "the gateway did not answer on http://127.0.0.1:$port/health"
