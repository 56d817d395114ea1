#!/usr/bin/env bash
# Runs an example: makes sure a Docker daemon answers, builds the function images (and the zip example's code and
# runtime image) and the gateway jar when missing, then starts the gateway in the foreground on 127.0.0.1:9000.
#   docker/run-example.sh        the image example, with ./application.conf
#   docker/run-example.sh zip    the zip example: a SAM app of Java zip functions (examples/zip-hello)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
log_tag=run-example
# shellcheck source=lib/images.sh
source docker/lib/images.sh

case ${1:-} in "" | zip) ;; *) die "unknown example '$1' (none, or zip)" ;; esac

docker/start-dockerd.sh
docker/build-images.sh
ensure_jar
# bin/esb: a bounded heap (override with JAVA_OPTS) and a class-data-sharing archive for a fast start.
case ${1:-} in
  "") exec bin/esb ;;
  zip) exec bin/esb -Dconfig.file=examples/zip-hello/application.conf ;;
esac
