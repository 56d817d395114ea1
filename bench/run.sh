#!/usr/bin/env bash
# The "Scale and speed" benchmark (see BENCHMARKS.md). One command:
#
#   bench/run.sh                 # full run, ~11 min (estimated): prints the table, writes target/bench-report.json
#   bench/run.sh --quick         # smoke run, ~2.5 min (fewer and shorter repetitions)
#   bench/run.sh --profile       # also records JFR of the gateway -> target/bench/gateway.jfr; then bench/profile.sh
#   bench/run.sh --only warm,cold --reps 7 --seconds 10 --gateway-opts '-Xmx256m'   # options: see Bench.java
#   bench/run.sh --no-peer       # without the serverless-offline peer column
#   bench/run.sh --only async    # accepted Event invocations per second (durable 202s) beside synchronous ones
#
# The warm and cold sections compare the two ways the gateway reaches a container (esb.functions.NAME.mode): push
# (w1, w10, cold*: the gateway posts to the container's published RIE port, which the direct cases also call) and
# pull (p1, p10, pcold*: the container polls the gateway's Runtime API); see BENCHMARKS.md, "Pull mode (issue 12)".
# The c=1 cases also run with a new connection per call (*-c1-new), and the peer column drives serverless-offline
# (serverless@3 + serverless-offline@13 from npm, installed into target/bench-peer from bench/peer) with the same
# load generator in the same run (peer-route-c1, peer-route-c1-new). The warm/cold/burst gateway starts through
# bin/esb, as operators start it (its JAVA_OPTS default, or --gateway-opts, and its CDS archive).
#
# Needs: a Docker daemon (started via docker/start-dockerd.sh if none answers), esb-fixture:latest (built via
# docker/build-images.sh if missing), target/esb.jar (built if missing; REBUILD=1 rebuilds it). The gateway runs
# as its own process from a copy of the jar (target/bench/esb.jar), so a concurrent `mvn package` cannot pull it
# out from under the run. The harness (src/test/java/io/esb/bench) is compiled with plain javac: JDK only.
# Not part of `mvn verify`; it reports, it never fails on a missed target.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

docker info >/dev/null 2>&1 || docker/start-dockerd.sh
docker image inspect esb-fixture:latest >/dev/null 2>&1 || docker/build-images.sh
# Measure the current code: (re)build the jar when it is missing or older than the sources. If that build fails
# (someone's work in progress), say so and measure the jar that is there.
if [[ ! -f target/esb.jar || ${REBUILD:-0} == 1 || -n $(find src/main pom.xml -newer target/esb.jar -type f -print -quit) ]]; then
  echo "bench: building target/esb.jar (mvn -B -q -Dmaven.test.skip=true package) ..."
  if ! mvn -B -q -Dstyle.color=never -Dmaven.test.skip=true package; then
    [[ -f target/esb.jar ]] || { echo "bench: build failed and there is no target/esb.jar" >&2; exit 1; }
    echo "bench: WARNING: build failed; measuring the existing target/esb.jar, which is older than the sources" >&2
  fi
fi

work=target/bench
mkdir -p "$work"
cp -p target/esb.jar "$work/esb.jar"   # -p keeps the mtime, so a CDS archive made for it stays valid
# The class-data-sharing archive bin/esb starts the gateway with; the startup case measures with and without it.
ESB_JAR="$work/esb.jar" bin/esb --cds-only || echo "bench: WARNING: no CDS archive; startup is measured with java -jar only" >&2
rm -rf "$work/classes"
javac -nowarn -d "$work/classes" src/test/java/io/esb/bench/*.java

# The peer column, when the warm section runs and it is not left out: npm ci (npm install without the lock) into
# target/bench-peer, redone only when bench/peer's package files change. Without npm, or when the install fails,
# one line says so and the run goes on without it.
peer_args=()
wants_warm=true no_peer=false
args=("$@")
for ((k = 0; k < ${#args[@]}; k++)); do
  case ${args[k]} in
    --no-peer) no_peer=true ;;
    --only) [[ ,${args[k+1]:-}, == *,warm,* ]] || wants_warm=false ;;
    --only=*) [[ ,${args[k]#--only=}, == *,warm,* ]] || wants_warm=false ;;
  esac
done
peer=target/bench-peer
install_peer() {
  command -v npm >/dev/null 2>&1 || { echo "no npm on PATH"; return 1; }
  mkdir -p "$peer"
  if [[ -x $peer/node_modules/.bin/serverless ]] && cmp -s bench/peer/package.json "$peer/package.json" \
      && cmp -s bench/peer/package-lock.json "$peer/package-lock.json"; then
    cp bench/peer/serverless.yml bench/peer/handler.js "$peer/"
    return 0
  fi
  rm -rf "$peer/node_modules"
  cp bench/peer/package.json bench/peer/serverless.yml bench/peer/handler.js "$peer/"
  local how=install
  if [[ -f bench/peer/package-lock.json ]]; then cp bench/peer/package-lock.json "$peer/"; how=ci; fi
  echo "bench: installing the peer column (npm $how --prefix $peer: serverless@3, serverless-offline@13) ..." >&2
  if ! npm "$how" --prefix "$peer" --no-audit --no-fund --loglevel=error >"$work/peer-install.log" 2>&1; then
    rm -f "$peer/package.json"   # so the next run tries again
    echo "npm $how failed (see $work/peer-install.log)"
    return 1
  fi
}
if [[ $wants_warm == true ]]; then
  if [[ $no_peer == true ]]; then
    echo "bench: peer column skipped: --no-peer"
  elif why=$(install_peer); then
    peer_args=(--peer "$peer")
  else
    echo "bench: peer column skipped: $why"
    peer_args=(--no-peer)
  fi
fi

id="bench-$(date +%s)-$$"
# Stops the process whose PID a file holds, if its command line still names what the harness started.
stop_recorded() {
  local file=$1 name=$2 pid
  [[ -s $file ]] || return 0
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null && grep -qa "$name" "/proc/$pid/cmdline" 2>/dev/null; then
    kill "$pid" 2>/dev/null || true
  fi
  rm -f "$file"
}
cleanup() {
  # Normally the harness removes everything itself; this covers a killed harness.
  stop_recorded "$work/gateway.pid" "$work/esb.jar"
  stop_recorded "$work/peer.pid" offline
  stop_recorded "$work/floor.pid" AkkaHttpFloor
  left=$( { docker ps -aq --filter "label=esb.instance=$id"; docker ps -aq --filter "label=esb.bench=$id"; } | sort -u)
  if [[ -n $left ]]; then docker rm -f $left >/dev/null || true; fi
}
trap cleanup EXIT

java ${BENCH_JAVA_OPTS:-} -cp "$work/classes" io.esb.bench.Bench --id "$id" "${peer_args[@]}" "$@"
