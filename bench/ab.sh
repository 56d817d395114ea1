#!/usr/bin/env bash
# Interleaved A/B benchmark of two gateway jars, for before/after comparisons on a small, noisy machine:
#
#   bench/ab.sh JAR_A JAR_B [--rounds 8] [--seconds 3] [--warmup 3]     (also --bin-esb PATH, --work DIR)
#
# e.g. A = the jar of the commit before a change (git worktree add /tmp/before HEAD~1 && cd /tmp/before &&
# mvn -q -Dmaven.test.skip=true package -> /tmp/before/target/esb.jar) and B = target/esb.jar.
# Both gateways run at once, each through bin/esb with its own config, port and containers (under target/bench-ab),
# and the one-caller warm cases (direct, Invoke API, route, pull, pull route; keep-alive and a new connection per
# call) are measured alternately round by round (A,B then B,A), so drift hits both alike. It prints a line per
# round, gateway and case, then per case the median p50 of A and B, the median of the per-round B-A difference and
# each gateway's CPU per call, then each gateway's overhead over direct and new-connection cost (medians of per-round
# differences); '!' marks figures from cases that had errors. Both gateways are stopped at the end (or on Ctrl-C)
# and remove their containers. The harness (src/test/java/io/esb/bench) is compiled with plain javac: JDK only.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

docker info >/dev/null 2>&1 || docker/start-dockerd.sh
docker image inspect esb-fixture:latest >/dev/null 2>&1 || docker/build-images.sh
mkdir -p target/bench
javac -nowarn -d target/bench/classes src/test/java/io/esb/bench/*.java
exec java -cp target/bench/classes io.esb.bench.AbBench "$@"
