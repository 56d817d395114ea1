#!/usr/bin/env bash
# Smoke test of the images built by build-images.sh, against real containers:
# echo, keep-alive latency, timeout, handler error, exit, concurrent invocation,
# the hello function, and the time from `docker run` to the first invocation.
# Containers are labelled esb.test=images and removed at the end.
# Needs: docker CLI, curl.  Usage: docker/verify-images.sh
set -uo pipefail
PATH_INV=/2015-03-31/functions/function/invocations
pass=0 fail=0
ok()   { pass=$((pass+1)); echo "  ok    $*"; }
bad()  { fail=$((fail+1)); echo "  FAIL  $*"; }
check() { # name, haystack, needle
  if [[ $2 == *"$3"* ]]; then ok "$1"; else bad "$1: expected '$3' in: ${2:0:300}"; fi
}
cleanup() { docker rm -f $(docker ps -aq --filter label=esb.test=images) >/dev/null 2>&1 || true; }
trap cleanup EXIT

run() { # image [docker run args...] -> sets CID, URL; prints ms from run to first invoke
  local img=$1; shift
  local t0 t1 port n=0
  t0=$(date +%s%N)
  CID=$(docker run -d --label esb.test=images -p 127.0.0.1::8080 -e AWS_LAMBDA_FUNCTION_TIMEOUT=2 "$@" "$img")
  port=$(docker port "$CID" 8080/tcp | head -1 | sed 's/.*://')
  URL="http://127.0.0.1:$port$PATH_INV"
  until curl -sf -o /dev/null --max-time 2 -d '{"warm":true}' "$URL"; do
    n=$((n+1)); sleep 0.005
    if (( n > 2000 )); then echo "container did not answer"; docker logs "$CID" | tail; return 1; fi
  done
  t1=$(date +%s%N)
  FIRST_MS=$(( (t1 - t0) / 1000000 ))
}
invoke() { curl -s --max-time 10 -d "$1" "$URL"; }
running() { [[ $(docker inspect -f '{{.State.Running}}' "$1" 2>/dev/null) == true ]]; }
wait_exit() { for _ in $(seq 1 100); do running "$1" || return 0; sleep 0.05; done; return 1; }

echo "== esb-fixture:latest"
run esb-fixture:latest || exit 1
echo "  first invocation ${FIRST_MS} ms after docker run"
r=$(invoke '{"hello":"world"}')
check "echo (direct event)" "$r" '{"echo":{"hello":"world"},"container":"'"${CID:0:12}"'","invocation":2}'
r=$(invoke '{"httpMethod":"GET","queryStringParameters":{"action":"echo"}}')
check "echo (API Gateway event)" "$r" '{"statusCode":200,"headers":{"Content-Type":"application/json"},"body":"{\"echo\":{\"httpMethod\":\"GET\"'
r=$(invoke '{"httpMethod":"POST","body":"{\"action\":\"bytes\",\"n\":5}"}')
check "bytes via API Gateway body" "$r" '{"statusCode":200,"body":"xxxxx"}'
r=$(invoke '{"action":"bytes","n":3}')
check "bytes (direct)" "$r" '{"data":"xxx"}'
r=$(invoke '{"action":"nonjson"}')
check "nonjson" "$r" '{"statusCode":200,"headers":{"Content-Type":"text/plain"},"body":"plain text, not json"}'
r=$(invoke '{"action":"env"}')
check "env" "$r" '"AWS_LAMBDA_FUNCTION_TIMEOUT":"2"'
r=$(invoke '{"action":"nope"}')
check "unknown action" "$r" '"errorType":"UnknownAction"'
r=$(invoke '{"action":"throw","message":"kaboom"}')
check "throw" "$r" '{"errorMessage":"kaboom","errorType":"IllegalStateException","stackTrace":["esb.runtime.FixtureHandler.handle('
r=$(curl -s -H 'X-Amzn-RequestId: verify-req-1' -d '{"action":"log","message":"hello from the handler"}' "$URL")
check "log" "$r" '"echo":{"action":"log"'
sleep 0.2; logs=$(docker logs "$CID" 2>&1)
check "log line on stdout" "$logs" "hello from the handler"
check "START line with request id header" "$logs" 'START RequestId: verify-req-1 Version: $LATEST'
check "REPORT line" "$logs" "REPORT RequestId: verify-req-1"$'\t'"Duration: "

# keep-alive: 50 calls on one connection (curl reuses it; num_connects=0 after the first)
times=$(curl -s -w '%{time_total} %{num_connects}\n' -d '{}' $(for _ in $(seq 1 50); do echo "-o /dev/null $URL"; done))
conns=$(awk '{s+=$2} END {print s}' <<<"$times")
p50=$(awk '{print $1*1000}' <<<"$times" | sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int(NR/2)+1]}')
if (( conns == 1 )) && awk "BEGIN{exit !($p50 < 15)}"; then ok "keep-alive: 50 calls, 1 connection, p50 ${p50} ms"
else bad "keep-alive: connections=$conns p50=${p50} ms"; fi

t0=$(date +%s%N); r=$(curl -s -w ' HTTP%{http_code}' -d '{"action":"sleep","ms":5000}' "$URL"); t1=$(date +%s%N)
check "timeout (2 s) answer" "$r" 'Task timed out after 2.00 seconds HTTP200'
echo "        (answered after $(( (t1-t0)/1000000 )) ms)"
r=$(invoke '{"action":"echo"}')
check "invocation after a timeout" "$r" '"echo":{"action":"echo"}'

r=$(curl -s -w ' rc=%{http_code}' -d '{"action":"exit"}' "$URL"); rc=$?
if (( rc != 0 )) && wait_exit "$CID"; then
  ok "exit: connection dropped (curl rc $rc), container exited (code $(docker inspect -f '{{.State.ExitCode}}' "$CID"))"
else bad "exit: curl rc=$rc out=$r running=$(running "$CID" && echo yes || echo no)"; fi
check "exit message on stderr" "$(docker logs "$CID" 2>&1)" "exiting on request"

echo "== concurrent invocation"
run esb-fixture:latest || exit 1
curl -s -H 'X-Amzn-RequestId: verify-sleeper' -d '{"action":"sleep","ms":1500}' "$URL" >/dev/null & bg=$!
for _ in $(seq 1 100); do   # until the sleeper is in flight (its START line is logged)
  docker logs "$CID" 2>/dev/null | grep -q 'START RequestId: verify-sleeper' && break; sleep 0.02
done
r=$(curl -s -d '{"action":"echo"}' "$URL"); rc2=$?
wait $bg; rc1=$?
if wait_exit "$CID"; then
  ok "second concurrent request killed the container (exit code $(docker inspect -f '{{.State.ExitCode}}' "$CID"); curl rc $rc1/$rc2)"
else bad "container still running after a concurrent request"; fi
check "FATAL line" "$(docker logs "$CID" 2>&1)" "FATAL: concurrent invocation received while another is in flight"

echo "== esb-example-hello:latest"
run esb-example-hello:latest -e GREETING=Hello --memory 128m -e AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128 || exit 1
echo "  first invocation ${FIRST_MS} ms after docker run (128 MB limit)"
r=$(invoke '{"httpMethod":"GET","path":"/hello","queryStringParameters":{"name":"Ada"}}')
check "hello name=Ada" "$r" '{"statusCode":200,"headers":{"Content-Type":"application/json"},"body":"{\"message\":\"Hello, Ada!\",\"container\":\"'"${CID:0:12}"'\"}"}'
r=$(invoke '{"httpMethod":"POST","body":"{\"name\":\"Grace\"}"}')
check "hello name from body" "$r" 'Hello, Grace!'
r=$(invoke '{}')
check "hello default" "$r" 'Hello, World!'
check "Memory Size in REPORT" "$(docker logs "$CID" 2>&1)" "Memory Size: 128 MB"
[[ $(docker inspect -f '{{.Config.User}}' "$CID") == 65534:65534 ]] && ok "runs as 65534:65534" || bad "user"

echo "== first-invoke time, 5 fresh fixture containers"
all=()
for _ in 1 2 3 4 5; do run esb-fixture:latest || exit 1; all+=("$FIRST_MS"); docker rm -f "$CID" >/dev/null; done
echo "  ms from docker run to first successful invocation: ${all[*]}"

echo "== images"
docker image ls --filter label=esb.image=function --format '  {{.Repository}}:{{.Tag}}  {{.Size}}'
echo "passed $pass, failed $fail"
(( fail == 0 ))
