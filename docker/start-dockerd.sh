#!/usr/bin/env bash
# Makes a local Docker Engine available on a Debian machine (self-contained copy
# of the logic the project relies on; needs no shared tooling):
#   - installs Debian's docker.io (+ iptables) if dockerd is missing,
#   - starts dockerd in the background if no daemon answers on the socket,
#   - writes its PID to /var/run/esb-dockerd.pid,
#   - waits (up to ~30 s) until `docker info` answers.
# The daemon runs with --live-restore and --userland-proxy=false: the settings
# under which running containers and their 127.0.0.1-published ports keep
# working while dockerd is killed and restarted.
# Idempotent: does nothing if a daemon already answers.
#
# Environment:
#   DOCKER_SOCK         socket path (default /var/run/docker.sock)
#   DOCKERD_LOG         daemon log file (default /var/log/dockerd.log)
#   DOCKERD_PIDFILE     pid file (default /var/run/esb-dockerd.pid)
#   DOCKERD_EXTRA_ARGS  extra arguments appended to the dockerd command line
#                       (word-split; e.g. "--live-restore=false" for drills; the
#                       later flag wins). Careful: "--bridge none" makes dockerd
#                       delete the host's docker0 interface, even for a second
#                       daemon with its own --data-root/--exec-root.
#   DOCKERD_WAIT_S      seconds to wait for the daemon (default 30)
set -euo pipefail
sock=${DOCKER_SOCK:-/var/run/docker.sock}
log=${DOCKERD_LOG:-/var/log/dockerd.log}
pidfile=${DOCKERD_PIDFILE:-/var/run/esb-dockerd.pid}
wait_s=${DOCKERD_WAIT_S:-30}

answers() { docker -H "unix://$sock" info >/dev/null 2>&1; }

wait_for_daemon() {
  local tries=$(( wait_s * 4 ))
  for _ in $(seq 1 "$tries"); do
    if answers; then return 0; fi
    sleep 0.25
  done
  return 1
}

if command -v docker >/dev/null 2>&1 && answers; then
  echo "docker: already running ($sock)"; exit 0
fi

# A daemon we started earlier may still be coming up: wait for it instead of
# starting a second one.
if [[ -s $pidfile ]]; then
  oldpid=$(cat "$pidfile" 2>/dev/null || true)
  if [[ -n $oldpid ]] && kill -0 "$oldpid" 2>/dev/null \
      && grep -qa dockerd "/proc/$oldpid/cmdline" 2>/dev/null; then
    echo "docker: dockerd (pid $oldpid) is running but not answering yet; waiting ..."
    if wait_for_daemon; then echo "docker: ready (pid $oldpid)"; exit 0; fi
    echo "docker: dockerd pid $oldpid did not answer within ${wait_s} s; see $log" >&2
    tail -20 "$log" >&2 || true
    exit 1
  fi
fi

if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
  echo "docker: installing docker.io (Debian) ..."
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq docker.io iptables >/dev/null
fi

extra=()
if [[ -n ${DOCKERD_EXTRA_ARGS:-} ]]; then
  # shellcheck disable=SC2206  # intentional word splitting
  extra=( ${DOCKERD_EXTRA_ARGS} )
fi

mkdir -p "$(dirname "$log")" "$(dirname "$pidfile")"
nohup dockerd --host="unix://$sock" --live-restore --userland-proxy=false "${extra[@]}" \
  >>"$log" 2>&1 </dev/null &
pid=$!
echo "$pid" >"$pidfile"

if wait_for_daemon; then
  echo "docker: started (pid $pid, log $log${extra[*]:+, extra args: ${extra[*]}})"; exit 0
fi
echo "docker: dockerd did not answer within ${wait_s} s; see $log" >&2
tail -20 "$log" >&2 || true
exit 1
