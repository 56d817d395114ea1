#!/usr/bin/env bash
# Resilience drill: kills the Docker daemon under a live gateway and measures what clients see.
#
#   docker/drill.sh                          # live-restore drill against the daemon of docker/start-dockerd.sh
#   DRILL_ISOLATED=1 docker/drill.sh         # same drill against a private daemon in its own network namespace
#   DRILL_LIVE_RESTORE=false docker/drill.sh # daemon without live-restore (warm containers die on its restart)
#
# What it does (details and the report's fields: docker/drill/README.md):
#   1. preconditions: docker/start-dockerd.sh (idempotent); the PID in its pidfile must be alive, be `dockerd` and
#      serve our socket; docker/build-images.sh; target/esb.jar (mvn -B -q -DskipTests package when missing).
#   2. a gateway (java -jar, generated config, free 127.0.0.1 port, esb.docker.instance-id = drill-<random>,
#      probe-interval 500ms, client-timeout 5s, functions `warm` (max-concurrency 2) and `cold`), its output in
#      target/drill-gateway.log.
#   3. traffic (docker/drill/Drill.java): warm-up of 2 `warm` containers, then warm 20/s, /health 20/s,
#      /status 4/s; `cold` 2/s from the kill on (never invoked before it).
#   4. baseline, `kill -9 <that PID>`, hold, restart via start-dockerd.sh, recovery window (first cold success,
#      at most DRILL_RECOVERY_MAX_S).
#   5. containers of the drill's instance before the kill, after the drill and after restarting the gateway with
#      the same instance id (adoption); report table on stdout, JSON in target/drill-report.json.
#   6. cleanup (always): stops the gateway PIDs it started, removes the drill's containers (label
#      esb.instance=<id>), makes sure a dockerd answers again (and, with DRILL_LIVE_RESTORE=false, that it runs
#      with live-restore again).
# Exit code: 0 all targets met, 1 a target missed, 2 a precondition failed (nothing killed), 3 cleanup failed.
#
# Environment (defaults in brackets):
#   DRILL_BASELINE_S [10]  DRILL_HOLD_S [10]  DRILL_RECOVERY_MAX_S [30]
#   DRILL_WARM_RPS [20]  DRILL_HEALTH_RPS [20]  DRILL_COLD_RPS [2]
#   DRILL_LIVE_RESTORE [true]   false: restart the daemon with --live-restore=false first; restore it at the end
#   DRILL_ISOLATED [0]          1: private dockerd (own data-root, exec-root, socket, pidfile) in network namespace
#                               DRILL_NETNS [esb-drill]; images are built into it (cached in DRILL_PRIVATE_DIR
#                               [/var/lib/esb-drill]); the daemon and the namespace are removed at the end
#   DRILL_ALLOW_SHARED_DAEMON [0]  1: kill the daemon even though containers not belonging to the drill run on it
#   Targets: DRILL_MAX_WARM_FAILURES [0] DRILL_HEALTH_P99_MS [50] DRILL_COLD_FAIL_MS [1000]
#            DRILL_RECOVERY_MS [5000] DRILL_MAX_ORPHANS [0] DRILL_COLD_MESSAGE ["Docker daemon unavailable"]
#            DRILL_HEALTH_SIDE [client]: whose /health latency the p99 target applies to; `gateway` uses the
#            latency_ms of the gateway's access log (both are always reported)
#   Passed on to start-dockerd.sh: DOCKER_SOCK, DOCKERD_PIDFILE, DOCKERD_LOG, DOCKERD_EXTRA_ARGS, DOCKERD_WAIT_S
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
target="$root/target"
self="$here/$(basename "${BASH_SOURCE[0]}")"

BASELINE_S=${DRILL_BASELINE_S:-10}
HOLD_S=${DRILL_HOLD_S:-10}
RECOVERY_MAX_S=${DRILL_RECOVERY_MAX_S:-30}
LIVE_RESTORE=${DRILL_LIVE_RESTORE:-true}
ISOLATED=${DRILL_ISOLATED:-0}
case $LIVE_RESTORE in true|false) ;; *) echo "drill: DRILL_LIVE_RESTORE must be true or false" >&2; exit 2 ;; esac

log() { printf '%s drill: %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { log "ERROR: $*"; exit 2; }
now_ms() { date +%s%3N; }

ensure_jar() {
  if [[ ! -s $target/esb.jar ]]; then
    log "target/esb.jar missing: mvn -B -q -DskipTests package"
    (cd "$root" && mvn -B -q -DskipTests package) || die "mvn package failed"
  fi
}

# ------------------------------------------------------------------ isolated mode: wrapper outside the netns
if [[ $ISOLATED == 1 && -z ${DRILL_INSIDE_NETNS:-} ]]; then
  command -v ip >/dev/null && command -v nsenter >/dev/null || die "DRILL_ISOLATED=1 needs ip (iproute2) and nsenter"
  ns=${DRILL_NETNS:-esb-drill}
  priv=${DRILL_PRIVATE_DIR:-/var/lib/esb-drill}
  rundir=/var/run/$ns
  mkdir -p "$priv" "$rundir"
  exec 8>"$rundir/.lock"
  flock -n 8 || die "another isolated drill holds $rundir/.lock"
  ensure_jar   # mvn may need the network, which the namespace does not have
  [[ -s $priv/daemon.json ]] || echo '{}' >"$priv/daemon.json"   # not /etc/docker/daemon.json
  created_ns=0
  if [[ ! -e /var/run/netns/$ns ]]; then
    ip netns add "$ns"; created_ns=1
  fi
  ip netns exec "$ns" ip link set lo up
  export DOCKER_SOCK=$rundir/docker.sock
  export DOCKERD_PIDFILE=$rundir/esb-dockerd.pid
  export DOCKERD_LOG=${DOCKERD_LOG:-/var/log/$ns-dockerd.log}
  # --pidfile/--exec-root/--data-root keep it apart from the host's daemon; the netns keeps its bridge and
  # iptables apart (a second daemon in the host's netns would flush the DOCKER chains of the first).
  export DRILL_BASE_DOCKERD_ARGS="--data-root=$priv/docker --exec-root=$rundir/exec --pidfile=$rundir/docker.pid --config-file=$priv/daemon.json ${DOCKERD_EXTRA_ARGS:-}"
  teardown() {
    local rc=$? pid ids
    set +e
    # everything in the private daemon belongs to the drill: with live-restore, containers left in it would keep
    # running after it stops
    ids=$(DOCKER_HOST="unix://$DOCKER_SOCK" docker ps -aq 2>/dev/null)
    if [[ -n $ids ]]; then
      log "isolated: removing $(echo "$ids" | wc -l) container(s) left in the private daemon"
      DOCKER_HOST="unix://$DOCKER_SOCK" docker rm -f $ids >/dev/null
    fi
    pid=$(cat "$DOCKERD_PIDFILE" 2>/dev/null)
    if [[ -n $pid && -d /proc/$pid && $(cat "/proc/$pid/comm" 2>/dev/null) == dockerd ]] \
        && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "--exec-root=$rundir/exec"; then
      log "isolated: stopping the private dockerd (pid $pid)"
      kill -TERM "$pid"
      for _ in $(seq 1 120); do [[ -d /proc/$pid ]] || break; sleep 0.25; done
      [[ -d /proc/$pid ]] && log "WARNING: private dockerd $pid still running after 30 s"
    fi
    pid=$(cat "$rundir/exec/containerd/containerd.pid" 2>/dev/null)
    if [[ -n $pid && -d /proc/$pid && $(cat "/proc/$pid/comm" 2>/dev/null) == containerd ]] \
        && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$rundir/exec"; then
      log "isolated: stopping the private containerd left behind (pid $pid)"
      kill -TERM "$pid"
    fi
    if [[ $created_ns == 1 || ${DRILL_KEEP_NETNS:-0} != 1 ]]; then
      ip netns del "$ns" 2>/dev/null
    fi
    exit "$rc"
  }
  trap teardown EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  log "isolated: private daemon on $DOCKER_SOCK in network namespace $ns"
  rc=0
  DRILL_INSIDE_NETNS=1 nsenter --net="/var/run/netns/$ns" "$self" "$@" 8>&- || rc=$?
  exit "$rc"
fi

# ------------------------------------------------------------------ the drill
if [[ -z ${DOCKER_SOCK:-} && ${DOCKER_HOST:-} == unix://* ]]; then
  DOCKER_SOCK=${DOCKER_HOST#unix://}
fi
[[ -z ${DOCKER_HOST:-} || ${DOCKER_HOST:-} == unix://* ]] || die "DOCKER_HOST=$DOCKER_HOST: the drill needs a local daemon on a unix socket"
sock=${DOCKER_SOCK:-/var/run/docker.sock}
pidfile=${DOCKERD_PIDFILE:-/var/run/esb-dockerd.pid}
base_args=${DRILL_BASE_DOCKERD_ARGS:-${DOCKERD_EXTRA_ARGS:-}}
daemon_args=$base_args
[[ $LIVE_RESTORE == false ]] && daemon_args="$base_args --live-restore=false"
export DOCKER_HOST="unix://$sock"

mkdir -p "$target"
gwlog="$target/drill-gateway.log"
control="$target/drill-control.txt"
ready="$target/drill-ready"
facts="$target/drill-facts.properties"
report="$target/drill-report.json"
rm -f "$control" "$ready" "$target/drill-traffic.json" "$target/drill-adopt.json" "$report" \
  "$target"/drill-containers-*.txt
: >"$gwlog"; : >"$facts"; touch "$control"

instance="drill-$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')"
work=$(mktemp -d /tmp/esb-drill.XXXXXX)
gw_pids=()
traffic_pid=
javac_pid=
in_outage=0
switched_daemon=0

drill_java() { java -cp "$work/classes" Drill "$@"; }
fact() { printf '%s=%s\n' "$1" "$2" >>"$facts"; }

start_daemon() {  # $1: extra dockerd args
  DOCKER_SOCK=$sock DOCKERD_PIDFILE=$pidfile DOCKERD_EXTRA_ARGS="$1" "$here/start-dockerd.sh" >&2
}

daemon_answers() { docker info >/dev/null 2>&1; }

# The PID from the pidfile, if it is alive, is dockerd and serves our socket; otherwise a message and status 1.
daemon_pid() {
  local pid
  pid=$(cat "$pidfile" 2>/dev/null || true)
  if [[ ! $pid =~ ^[0-9]+$ ]]; then
    log "no PID in $pidfile: the daemon on $sock was not started by docker/start-dockerd.sh"; return 1
  fi
  if ! kill -0 "$pid" 2>/dev/null || [[ $(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null) == Z ]]; then
    log "PID $pid from $pidfile is not running"; return 1
  fi
  if [[ $(cat "/proc/$pid/comm" 2>/dev/null) != dockerd ]]; then
    log "PID $pid from $pidfile is '$(cat "/proc/$pid/comm" 2>/dev/null)', not dockerd"; return 1
  fi
  if ! tr '\0' '\n' <"/proc/$pid/cmdline" | grep -qx -- "--host=unix://$sock"; then
    log "dockerd PID $pid does not serve unix://$sock ($(tr '\0' ' ' <"/proc/$pid/cmdline"))"; return 1
  fi
  echo "$pid"
}

wait_gone() {  # $1 pid, $2 seconds
  local i
  for i in $(seq 1 $(( $2 * 10 ))); do
    if [[ ! -d /proc/$1 || $(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) == Z ]]; then return 0; fi
    sleep 0.1
  done
  return 1
}

# Stops the pidfile's dockerd with SIGTERM and starts it again with $1 as extra args.
restart_daemon() {
  local pid
  pid=$(daemon_pid) || return 1
  log "stopping dockerd $pid (SIGTERM) to restart it with extra args '${1}'"
  kill -TERM "$pid"
  wait_gone "$pid" 60 || { log "dockerd $pid did not stop within 60 s"; return 1; }
  start_daemon "$1"
}

live_restore_enabled() { docker info --format '{{.LiveRestoreEnabled}}' 2>/dev/null; }

snapshot() {  # $1 file: "id state function name" of the drill's containers
  docker ps -a --filter "label=esb.instance=$instance" \
    --format '{{.ID}} {{.State}} {{.Label "esb.function"}} {{.Names}}' | sort -k3,3 -k1,1 >"$1"
}

free_port() {
  local p
  for _ in $(seq 1 100); do
    p=$(( 20000 + RANDOM % 40000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  return 1
}

http_health() {  # $1 port
  local line
  exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
  printf 'GET /health HTTP/1.0\r\nHost: drill\r\n\r\n' >&3
  IFS= read -r -t 2 line <&3 || true
  exec 3>&- 3<&-
  [[ $line == *" 200 "* ]]
}

write_conf() {  # $1 port
  cat >"$work/drill.conf" <<CONF
# generated by docker/drill.sh
esb {
  http { interface = "127.0.0.1", port = $1 }
  docker {
    host = "unix://$sock"
    instance-id = "$instance"
    probe-interval = 500ms
    client-timeout = 5s
  }
  functions {
    warm { image = "esb-fixture:latest", timeout = 10s, memory-mb = 128, max-concurrency = 2, min-warm = 0 }
    # one container at most, none before the first call: every call during the outage needs a cold start
    cold { image = "esb-fixture:latest", timeout = 10s, memory-mb = 128, max-concurrency = 1, min-warm = 0 }
  }
}
CONF
}

start_gateway() {  # $1 port, $2 label; sets gw_pid
  write_conf "$1"
  printf '\n===== %s: gateway %s on 127.0.0.1:%s (instance %s) =====\n' "$(date -Is)" "$2" "$1" "$instance" >>"$gwlog"
  ESB_LOG_FORMAT=text java -Dconfig.file="$work/drill.conf" -jar "$work/esb.jar" >>"$gwlog" 2>&1 &
  gw_pid=$!
  gw_pids+=("$gw_pid")
  log "gateway $2: pid $gw_pid, port $1"
  local i
  for i in $(seq 1 150); do
    kill -0 "$gw_pid" 2>/dev/null || { tail -20 "$gwlog" >&2; die "gateway $2 exited during startup (see $gwlog)"; }
    if (http_health "$1") 2>/dev/null; then return 0; fi
    sleep 0.2
  done
  die "gateway $2 did not answer /health within 30 s (see $gwlog)"
}

stop_gateway() {  # $1 pid, $2 label; SIGTERM then wait (SIGKILL after 45 s)
  local t0 rc=0
  kill -0 "$1" 2>/dev/null || return 0
  t0=$(now_ms)
  kill -TERM "$1"
  local i
  for i in $(seq 1 450); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$1" 2>/dev/null; then
    log "gateway $2 (pid $1) still running 45 s after SIGTERM: SIGKILL"
    kill -KILL "$1" 2>/dev/null || true
  fi
  wait "$1" 2>/dev/null || rc=$?
  fact "gateway_${2}_stop_ms" "$(( $(now_ms) - t0 ))"
  fact "gateway_${2}_exit_code" "$rc"
  log "gateway $2 stopped (exit $rc) in $(( $(now_ms) - t0 )) ms"
}

cleanup() {
  local rc=$? failed=0 p ids
  set +e
  trap - EXIT INT TERM
  [[ -n $javac_pid ]] && kill -0 "$javac_pid" 2>/dev/null && kill -TERM "$javac_pid"
  if [[ -n $traffic_pid ]] && kill -0 "$traffic_pid" 2>/dev/null; then
    echo "abort $(now_ms)" >>"$control"
    for _ in $(seq 1 50); do kill -0 "$traffic_pid" 2>/dev/null || break; sleep 0.1; done
    kill -TERM "$traffic_pid" 2>/dev/null
  fi
  for p in "${gw_pids[@]}"; do
    if kill -0 "$p" 2>/dev/null; then log "cleanup: stopping gateway pid $p"; stop_gateway "$p" cleanup; fi
  done
  if ! daemon_answers; then
    log "cleanup: the daemon does not answer$([[ $in_outage == 1 ]] && echo ' (drill interrupted mid-outage)'); restarting it"
    start_daemon "$daemon_args" || { log "cleanup: could not restart dockerd"; failed=1; }
  fi
  if daemon_answers; then
    ids=$(docker ps -aq --filter "label=esb.instance=$instance")
    if [[ -n $ids ]]; then
      log "cleanup: removing $(echo "$ids" | wc -l) container(s) with esb.instance=$instance"
      docker rm -f $ids >/dev/null || failed=1
    fi
  fi
  if [[ $LIVE_RESTORE == false && $(live_restore_enabled) != true ]]; then
    log "cleanup: restoring a daemon with live-restore"
    restart_daemon "$base_args" || failed=1
    [[ $(live_restore_enabled) == true ]] || { log "cleanup: daemon still without live-restore"; failed=1; }
  fi
  daemon_answers || { log "cleanup: no dockerd answers on $sock"; failed=1; }
  rm -rf "$work"
  if [[ $failed == 1 && $rc == 0 ]]; then rc=3; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ------------------------------------------------------------------ 1. preconditions
t_start=$(now_ms)
command -v java >/dev/null || die "java (JDK 17) not found"
ensure_jar
cp "$target/esb.jar" "$work/esb.jar"   # a concurrent `mvn package` must not swap the jar under the gateway
# Drill.java runs as a single-file program too (java docker/drill/Drill.java ...); compiled once here because a
# single-file launch compiles it again each time, which takes seconds on a busy machine.
javac -nowarn -d "$work/classes" "$here/drill/Drill.java" >"$work/javac.log" 2>&1 &
javac_pid=$!
log "preconditions: docker/start-dockerd.sh (socket $sock, pidfile $pidfile)"
start_daemon "$base_args" || die "docker/start-dockerd.sh failed"
daemon_answers || die "no daemon answers on $sock"
pid=$(daemon_pid) || die "refusing to run: the drill only kills the dockerd started by docker/start-dockerd.sh (pidfile $pidfile)"

others=$(docker ps --format '{{.ID}} {{.Image}} {{.Label "esb.instance"}} {{.Names}}')
if [[ -n $others && ${DRILL_ALLOW_SHARED_DAEMON:-0} != 1 ]]; then
  log "containers not belonging to this drill run on the daemon at $sock:"
  echo "$others" | head -10 | sed 's/^/    /' >&2
  die "refusing to kill a daemon others are using (their Docker calls would fail$([[ $LIVE_RESTORE == false ]] && echo ' and their containers would be killed')); $([[ $ISOLATED == 1 ]] || echo 'use DRILL_ISOLATED=1, or ')DRILL_ALLOW_SHARED_DAEMON=1 to do it anyway"
fi

if [[ $LIVE_RESTORE == false ]]; then
  if [[ $(live_restore_enabled) != false ]]; then
    switched_daemon=1
    restart_daemon "$daemon_args" || die "could not restart dockerd without live-restore"
  fi
  [[ $(live_restore_enabled) == false ]] || die "the daemon still runs with live-restore (does start-dockerd.sh pass DOCKERD_EXTRA_ARGS?)"
  pid=$(daemon_pid) || die "refusing to run after the restart"
else
  [[ $(live_restore_enabled) == true ]] \
    || die "the daemon runs without live-restore; restart it with docker/start-dockerd.sh or run with DRILL_LIVE_RESTORE=false"
fi
log "daemon: dockerd pid $pid, live-restore $(live_restore_enabled)"
"$here/build-images.sh" >&2 || die "docker/build-images.sh failed"

wait "$javac_pid" || { cat "$work/javac.log" >&2; die "javac docker/drill/Drill.java failed"; }
fact instance_id "$instance"
fact live_restore_mode "$LIVE_RESTORE"
fact isolated "$ISOLATED"
fact docker_sock "$sock"
fact dockerd_pidfile "$pidfile"
fact baseline_s "$BASELINE_S"
fact hold_s "$HOLD_S"
fact recovery_max_s "$RECOVERY_MAX_S"
fact docker_server_version "$(docker version --format '{{.Server.Version}}' 2>/dev/null)"

# ------------------------------------------------------------------ 2. gateway
port=$(free_port) || die "no free port found"
start_gateway "$port" 1
gw1=$gw_pid
fact gateway_1_pid "$gw1"
fact gateway_1_port "$port"

# ------------------------------------------------------------------ 3./4. traffic and the outage
drill_java traffic --base "http://127.0.0.1:$port" --docker-sock "$sock" \
  --control "$control" --ready "$ready" --out "$target/drill-traffic.json" \
  --baseline-s "$BASELINE_S" --recovery-max-s "$RECOVERY_MAX_S" --hold-max-s "$(( HOLD_S + ${DOCKERD_WAIT_S:-30} + 30 ))" \
  --warm-rps "${DRILL_WARM_RPS:-20}" --health-rps "${DRILL_HEALTH_RPS:-20}" --cold-rps "${DRILL_COLD_RPS:-2}" &
traffic_pid=$!

for _ in $(seq 1 $(( (BASELINE_S + 120) * 10 ))); do
  [[ -e $ready ]] && break
  kill -0 "$traffic_pid" 2>/dev/null || die "the traffic generator exited before the baseline ended"
  sleep 0.1
done
[[ -e $ready ]] || die "baseline did not finish"
snapshot "$target/drill-containers-before.txt"
log "containers before the kill: $(awk '{print $3 ":" $2}' "$target/drill-containers-before.txt" | sort | uniq -c | xargs)"

pid=$(daemon_pid) || die "refusing to kill: the pidfile's daemon changed"
fact dockerd_pid_killed "$pid"
fact live_restore_at_kill "$(live_restore_enabled)"
in_outage=1
t_kill=$(now_ms)
kill -9 "$pid"
echo "killed $t_kill" >>"$control"
log "kill -9 $pid (dockerd); holding ${HOLD_S} s"
wait_gone "$pid" 10 || log "WARNING: dockerd $pid still present 10 s after SIGKILL"
fact dockerd_gone_after_ms "$(( $(now_ms) - t_kill ))"
sleep_ms=$(( t_kill + HOLD_S * 1000 - $(now_ms) ))
(( sleep_ms > 0 )) && sleep "$(awk "BEGIN{print $sleep_ms/1000}")"

t_restart=$(now_ms)
echo "restarting $t_restart" >>"$control"
log "restarting dockerd: docker/start-dockerd.sh"
if start_daemon "$daemon_args"; then
  t_back=$(now_ms)
  echo "daemon-started $t_back" >>"$control"
  in_outage=0
  fact restart_script_ms "$(( t_back - t_restart ))"
  fact dockerd_pid_new "$(daemon_pid || echo '?')"
else
  echo "restart-failed $(now_ms)" >>"$control"
  fact restart_script_ms failed
fi

traffic_rc=0
wait "$traffic_pid" || traffic_rc=$?
traffic_pid=
fact traffic_exit_code "$traffic_rc"

# ------------------------------------------------------------------ 5. containers, gateway restart, adoption
snapshot "$target/drill-containers-after.txt"
stop_gateway "$gw1" 1
snapshot "$target/drill-containers-stopped.txt"
expect=$(awk '$2 == "running" {n[$3]++} END {s=""; for (f in n) s = s (s ? "," : "") f "=" n[f]; print s}' \
  "$target/drill-containers-stopped.txt")
port2=$(free_port) || die "no free port found"
start_gateway "$port2" 2
gw2=$gw_pid
fact gateway_2_pid "$gw2"
fact gateway_2_port "$port2"
drill_java adopt --base "http://127.0.0.1:$port2" --expect "$expect" \
  --out "$target/drill-adopt.json" --timeout-s 20 || true
snapshot "$target/drill-containers-adopted.txt"
stop_gateway "$gw2" 2

fact gateway_log "$gwlog"
fact gateway_log_error_lines "$(grep -c ' ERROR ' "$gwlog" || true)"
fact gateway_log_warn_lines "$(grep -c ' WARN ' "$gwlog" || true)"
fact drill_duration_s "$(( ($(now_ms) - t_start) / 1000 ))"

# ------------------------------------------------------------------ report
report_rc=0
drill_java report --facts "$facts" --traffic "$target/drill-traffic.json" \
  --adopt "$target/drill-adopt.json" --before "$target/drill-containers-before.txt" \
  --after "$target/drill-containers-after.txt" --adopted "$target/drill-containers-adopted.txt" \
  --gateway-log "$gwlog" --out "$report" || report_rc=$?
(( traffic_rc == 0 )) || { log "the traffic generator exited with $traffic_rc"; report_rc=1; }
exit "$report_rc"
