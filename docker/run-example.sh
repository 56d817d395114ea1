#!/usr/bin/env bash
# Runs the example: makes sure a Docker daemon answers, builds the function images and the gateway jar when
# missing, then starts the gateway in the foreground on 127.0.0.1:9000 with ./application.conf.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
log_tag=run-example
# shellcheck source=lib/images.sh
source docker/lib/images.sh

docker/start-dockerd.sh
docker/build-images.sh
ensure_jar
# bin/esb: a bounded heap (override with JAVA_OPTS) and a class-data-sharing archive for a fast start.
exec bin/esb
