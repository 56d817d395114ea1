#!/usr/bin/env bash
# Where a request's time goes, for one or more builds side by side (io.esb.bench.Handoffs): p50, the gateway's CPU
# per request and its context switches per request by thread pool, at one caller, keep-alive and a new connection per
# call. About a minute per jar and round. Build the jars to compare first, e.g.
#
#   git stash; mvn -B -q -Dmaven.test.skip=true package; cp target/esb.jar /tmp/before.jar; git stash pop
#   mvn -B -q -Dmaven.test.skip=true package; cp target/esb.jar /tmp/after.jar
#   bench/handoffs.sh --rounds 3 /tmp/before.jar /tmp/after.jar
#
# Needs what bench/run.sh needs (a Docker daemon, esb-fixture:latest). Reports; never fails on a figure.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
docker info >/dev/null 2>&1 || docker/start-dockerd.sh
docker image inspect esb-fixture:latest >/dev/null 2>&1 || docker/build-images.sh
(($#)) || set -- target/esb.jar
work=target/bench
mkdir -p "$work"
rm -rf "$work/handoffs-classes"
javac -nowarn -d "$work/handoffs-classes" src/test/java/io/esb/bench/*.java
exec java -cp "$work/handoffs-classes" io.esb.bench.Handoffs "$@"
