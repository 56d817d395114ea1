#!/usr/bin/env bash
# Runs the example: makes sure a Docker daemon answers, builds the function images and the gateway jar when
# missing, then starts the gateway in the foreground on 127.0.0.1:9000 with ./application.conf.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

docker/start-dockerd.sh
docker/build-images.sh
if [[ ! -f target/esb.jar || -n "$(find src pom.xml -newer target/esb.jar -print -quit)" ]]; then
  mvn -B -q -DskipTests package
fi
# A bounded heap keeps the gateway's memory small and predictable; override with JAVA_OPTS.
exec java ${JAVA_OPTS:--Xms64m -Xmx256m} -jar target/esb.jar
