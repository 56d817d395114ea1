#!/usr/bin/env bash
# Profiles of the gateway from a bench run.
#
# JFR (bench/run.sh --profile): CPU samples by thread pool, component and frame, allocation, GC, thread starts.
#   bench/profile.sh                  # the whole recording
#   bench/profile.sh invoke-c1        # only that case's measured windows
#                                     # (cases: direct-c1 invoke-c1 route-c1 direct-event-c1 direct-c32 invoke-c32 route-c32
#                                     #  direct-sat1 invoke-sat1 sleep-c1 sleep-c32; pull mode: pull-c1
#                                     #  pull-route-c1 direct-c8 invoke-c8 pull-c8; a new connection per call:
#                                     #  direct-c1-new invoke-c1-new route-c1-new pull-c1-new pull-route-c1-new;
#                                     #  the peer column, peer-route-c1 peer-route-c1-new, is not the gateway:
#                                     #  its windows hold no gateway samples worth reading)
# perf (bench/run.sh --perf; gateway runs with -XX:+PreserveFramePointer, JIT symbols from jcmd Compiler.perfmap):
#   bench/profile.sh perf invoke-c32  # on-CPU time of the gateway by DSO (kernel / libjvm / JIT code) and by symbol
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
work=target/bench
if [[ ${1:-} == perf ]]; then
  case_name=${2:?usage: bench/profile.sh perf CASE}
  data=$work/perf-$case_name.data
  [[ -f $data ]] || { echo "no $data: run bench/run.sh --perf first" >&2; exit 1; }
  echo "== $data: on-CPU samples by DSO (self)"
  perf report -i "$data" --no-children -g none --sort dso --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | head -15
  echo "== by symbol (self)"
  perf report -i "$data" --no-children -g none --sort dso,sym --stdio 2>/dev/null | grep -v '^#' | grep -v '^$' | grep '%' | head -${TOP:-40}
  exit 0
fi
[[ -f $work/gateway.jfr ]] || { echo "no $work/gateway.jfr: run bench/run.sh --profile first" >&2; exit 1; }
[[ -d $work/classes ]] || javac -nowarn -d "$work/classes" src/test/java/io/esb/bench/*.java
if [[ $# -gt 0 && $1 != -* ]]; then
  case_name=$1; shift
  exec java -cp "$work/classes" io.esb.bench.JfrTop "$work/gateway.jfr" --case "$case_name" --windows "$work/windows.txt" "$@"
fi
exec java -cp "$work/classes" io.esb.bench.JfrTop "$work/gateway.jfr" "$@"
