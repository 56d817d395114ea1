#!/usr/bin/env bash
# Smoke test of pull mode (the Lambda Runtime API) against real containers of the images build-images.sh builds:
# the stub in esb-fixture:latest, and the real AWS runtime interface client in esb-runtime-java21:latest running the
# examples/zip-hello functions (CodeUri at /var/task, the layer at /opt, the handler as the command).
# The Runtime API is docker/lib/RuntimeApiProbe.java, listening on the docker bridge's gateway address (never on all
# interfaces); it prints every request the runtime makes. Containers are labelled esb.test=runtime-api and removed.
# Needs: docker CLI, a JDK 17+. Usage: docker/verify-runtime-api.sh   (VERBOSE=1 prints the requests)
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
zip="$(dirname "$here")/examples/zip-hello"
work=$(mktemp -d)
pass=0 fail=0
ok()   { pass=$((pass+1)); echo "  ok    $*"; }
bad()  { fail=$((fail+1)); echo "  FAIL  $*"; }
check() { # name, haystack, needle
  if [[ $2 == *"$3"* ]]; then ok "$1"; else bad "$1: expected '$3' in: ${2:0:400}"; fi
}
cleanup() {
  docker rm -f $(docker ps -aq --filter label=esb.test=runtime-api) >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

bridge=$(docker network inspect bridge -f '{{(index .IPAM.Config 0).Gateway}}' 2>/dev/null || true)
[[ -n $bridge ]] || bridge=$(ip -4 -o addr show docker0 2>/dev/null | awk '{print $4}' | cut -d/ -f1)
[[ -n $bridge ]] || { echo "no docker bridge address found"; exit 1; }
lambda_env=(-e AWS_LAMBDA_FUNCTION_MEMORY_SIZE=256 -e 'AWS_LAMBDA_FUNCTION_VERSION=$LATEST' -e AWS_LAMBDA_FUNCTION_TIMEOUT=10
  -e AWS_REGION=us-east-1 -e LAMBDA_TASK_ROOT=/var/task -e LAMBDA_RUNTIME_DIR=/var/runtime
  -e AWS_LAMBDA_LOG_STREAM_NAME=verify)

# pull NAME [docker run args...] -- EVENT...: runs the probe and the container until the probe has answered every
# event and seen the next `next` (or 60 s), or the container exited. Sets OUT (the requests), LOGS, EXIT, FIRST_MS.
pull() {
  local name=$1 args=() events=() port t0 first cid
  shift
  while [[ $1 != -- ]]; do args+=("$1"); shift; done
  shift
  events=("$@")
  rm -f "$work/port"
  java "$here/lib/RuntimeApiProbe.java" "$bridge" "$work/port" "${events[@]}" >"$work/probe.out" 2>&1 &
  local probe=$!
  for _ in $(seq 1 300); do [[ -s $work/port ]] && break; sleep 0.1; done
  port=$(cat "$work/port")
  t0=$(date +%s%3N)
  cid=$(docker run -d --label esb.test=runtime-api -e AWS_LAMBDA_RUNTIME_API="$bridge:$port" \
    -e AWS_LAMBDA_FUNCTION_NAME="$name" -e AWS_LAMBDA_LOG_GROUP_NAME="/aws/lambda/$name" "${lambda_env[@]}" "${args[@]}")
  for _ in $(seq 1 600); do
    kill -0 "$probe" 2>/dev/null || break
    [[ $(docker inspect -f '{{.State.Running}}' "$cid" 2>/dev/null) == true ]] || break
    sleep 0.1
  done
  kill "$probe" 2>/dev/null; wait "$probe" 2>/dev/null
  docker wait "$cid" >/dev/null 2>&1 & local waiter=$!
  sleep 0.5; docker stop -t 2 "$cid" >/dev/null 2>&1; wait "$waiter"
  OUT=$(cat "$work/probe.out")
  LOGS=$(docker logs "$cid" 2>&1)
  EXIT=$(docker inspect -f '{{.State.ExitCode}}' "$cid")
  docker rm -f "$cid" >/dev/null 2>&1
  first=$(grep -m1 '^REQ' "$work/probe.out" | awk '{print $2}')
  FIRST_MS=$(( ${first:-$t0} - t0 ))
  if [[ ${VERBOSE:-0} == 1 ]]; then echo "$OUT" | sed 's/^/        /'; fi
}
# the request block (REQ line, headers, body) for PATH
request() { awk -v p="$1" '/^REQ /{on = ($4 == p)} on' <<<"$OUT"; }

echo "== esb-fixture:latest in pull mode (Runtime API on $bridge)"
pull fixture esb-fixture:latest -- '{"hello":"world"}' '{"action":"throw","message":"kaboom"}' '{"action":"sleep","ms":200}' 'not json'
echo "  first request ${FIRST_MS} ms after docker run"
check "echo posted to /response" "$(request /2018-06-01/runtime/invocation/req-1/response)" '"echo":{"hello":"world"}'
r=$(request /2018-06-01/runtime/invocation/req-2/error)
check "throw posted to /error" "$r" 'B {"errorMessage":"kaboom","errorType":"IllegalStateException"'
check "error type header" "$r" 'H Lambda-runtime-function-error-type: IllegalStateException'
check "sleep then /response" "$(request /2018-06-01/runtime/invocation/req-3/response)" '"echo":{"action":"sleep","ms":200}'
check "bad JSON posted to /error" "$(request /2018-06-01/runtime/invocation/req-4/error)" 'H Lambda-runtime-function-error-type: Runtime.UnmarshalError'
conns=$(grep '^REQ' <<<"$OUT" | head -8 | awk '{print $5}' | sort -u | wc -l)
(( conns == 1 )) && ok "8 requests over one kept-alive connection" || bad "8 requests over $conns connections"
check "START line" "$LOGS" 'START RequestId: req-1 Version: $LATEST'

pull fixture esb-fixture:latest -- '{"action":"exit"}'
[[ $EXIT == 1 ]] && ok "exit: the container exited (code 1)" || bad "exit: exit code $EXIT"

pull nope -e ESB_HANDLER=nope esb-fixture:latest --
r=$(request /2018-06-01/runtime/init/error)
check "unknown handler posted to /init/error" "$r" 'B {"errorMessage":"unknown handler '"'nope'"' (set ESB_HANDLER to hello or fixture)","errorType":"Runtime.InvalidEntrypoint"}'
check "init error type header" "$r" 'H Lambda-runtime-function-error-type: Runtime.InvalidEntrypoint'
[[ $EXIT == 1 ]] && ok "unknown handler: exit code 1" || bad "unknown handler: exit code $EXIT"

if ! docker image inspect esb-runtime-java21:latest >/dev/null 2>&1 || [[ ! -f $zip/layer/java/lib/greeting.jar ]]; then
  bad "esb-runtime-java21:latest or the zip-hello build is missing (docker/build-images.sh builds both)"
else
  echo "== esb-runtime-java21:latest, examples/zip-hello (the real Java runtime interface client)"
  code=(-v "$zip/build:/var/task:ro") layer=(-v "$zip/layer:/opt:ro")
  api='{"resource":"/hello","path":"/hello","httpMethod":"GET","queryStringParameters":{"name":"Ada"},"headers":{},"requestContext":{"requestId":"r1"},"body":null,"isBase64Encoded":false}'
  pull Plain "${code[@]}" "${layer[@]}" --memory 256m esb-runtime-java21:latest example.Plain::handleRequest -- \
    '{"a":1}' '{"fail":true}' '{"sleepMs":300,"b":2}'
  echo "  first request ${FIRST_MS} ms after docker run"
  check "Plain: /response" "$(request /2018-06-01/runtime/invocation/req-1/response)" 'B {"a":1,"handledBy":"Plain","remainingMs":'
  r=$(request /2018-06-01/runtime/invocation/req-2/error)
  check "Plain fail: /error" "$r" 'B {"errorMessage":"failing as asked","errorType":"java.lang.RuntimeException"'
  check "Plain fail: error type header" "$r" 'H Lambda-runtime-function-error-type: Runtime.UserException'
  check "Plain sleepMs: /response" "$(request /2018-06-01/runtime/invocation/req-3/response)" '{"sleepMs":300,"b":2,"handledBy":"Plain"'
  check "no warnings on stderr" "$(grep -c WARNING <<<"$LOGS")" "0"

  pull HelloApi "${code[@]}" "${layer[@]}" esb-runtime-java21:latest example.HelloApi::handleRequest -- "$api"
  check "HelloApi with its layer" "$(request /2018-06-01/runtime/invocation/req-1/response)" \
    '{"statusCode":200,"headers":{"Content-Type":"application/json"},"body":"{\"message\":\"Hello, Ada!\",\"function\":\"HelloApi\",\"requestId\":\"req-1\"}"}'
  check "HelloApi logs through the Context's logger" "$LOGS" "greeted Ada"

  pull HelloApi "${code[@]}" esb-runtime-java21:latest example.HelloApi::handleRequest -- "$api"
  check "HelloApi without its layer fails" "$(request /2018-06-01/runtime/invocation/req-1/error)" '"errorType":"java.lang.NoClassDefFoundError"'

  pull Nope "${code[@]}" esb-runtime-java21:latest example.Nope::handleRequest -- '{}'
  r=$(request /2018-06-01/runtime/invocation/req-1/error)
  check "unknown handler class: reported on the first invocation" "$r" 'H Lambda-runtime-function-error-type: Runtime.BadFunctionCode'
fi

if docker image inspect esb-runtime-nodejs22:latest >/dev/null 2>&1; then
  echo "== esb-runtime-nodejs22:latest, src/test/resources/functions/node-hello (the real Node runtime interface client)"
  node_code=(-v "$(dirname "$here")/src/test/resources/functions/node-hello:/var/task:ro")
  pull NodeHello "${node_code[@]}" esb-runtime-nodejs22:latest index.handler -- '{"name":"Ada"}' '{"fail":true}'
  echo "  first request ${FIRST_MS} ms after docker run"
  check "node: /response" "$(request /2018-06-01/runtime/invocation/req-1/response)" \
    'B {"message":"Hello, Ada!","function":"NodeHello","requestId":"req-1"}'
  check "node fail: /error" "$(request /2018-06-01/runtime/invocation/req-2/error)" \
    'B {"errorType":"Error","errorMessage":"failing as asked","trace":['
  check "node: console.log with the request id" "$LOGS" $'req-1\tINFO\tgreeting Ada'
  pull NodeHello "${node_code[@]}" esb-runtime-nodejs22:latest index.nope -- '{}'
  check "node unknown handler: /init/error" "$(request /2018-06-01/runtime/init/error)" \
    'H Lambda-runtime-function-error-type: Runtime.HandlerNotFound'
else
  echo "== esb-runtime-nodejs22:latest not built: skipped"
fi

echo "passed $pass, failed $fail"
(( fail == 0 ))
