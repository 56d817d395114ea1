# shellcheck shell=bash
# Shell functions shared by the image builds (docker/build-images.sh, docker/build-gateway-image.sh).
# Sourced, never run. The sourcing script sets `log_tag` (the prefix of its messages) first.
#
# Images are built FROM scratch, without a registry: a jlinked JRE, the host's shared libraries it needs, a little
# /etc and a world-writable /tmp, and the application. Work files live in docker/.build/ (git-ignored).

images_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir="$images_dir/.build"

export DOCKER_BUILDKIT=0   # Engine 20.10 here; the legacy builder needs no extra plugins

log() { echo "$log_tag: $*"; }
die() { echo "$log_tag: $*" >&2; exit 1; }

# Sets `jdk` to the JDK that provides javac (JAVA_HOME wins if it has jlink) and checks it has the tools.
find_jdk() {
  if [[ -n ${JAVA_HOME:-} && -x $JAVA_HOME/bin/jlink ]]; then
    jdk=$JAVA_HOME
  else
    jdk=$(dirname "$(dirname "$(readlink -f "$(command -v javac)")")")
  fi
  local t
  for t in java javac jar jlink; do
    [[ -x $jdk/bin/$t ]] || die "$jdk/bin/$t not found (need a full JDK 17+)"
  done
}

require_daemon() {
  docker version >/dev/null 2>&1 \
    || die "no Docker daemon answers (DOCKER_HOST=${DOCKER_HOST:-unset}); run docker/start-dockerd.sh"
}

# One build at a time (tests and people may run the scripts concurrently, and they share docker/.build); the
# up-to-date checks after it then see what a concurrent run just built. Holds fd 9 until the script exits.
lock_builds() {
  command -v flock >/dev/null 2>&1 || return 0
  exec 9>"$images_dir/.build.lock"
  flock -w 600 9 || die "could not lock $images_dir/.build.lock"
}

# docker build, quiet; its output (incl. the legacy-builder deprecation notice) is shown only when it fails.
dbuild() {
  local out
  if ! out=$(docker build -q "$@" 2>&1); then
    echo "$log_tag: docker build $* failed:" >&2; echo "$out" >&2; return 1
  fi
}

# The esb.build-hash label of an image, empty when the image is missing.
image_hash() {
  docker image inspect -f '{{index .Config.Labels "esb.build-hash"}}' "$1" 2>/dev/null || true
}

print_size() {
  local size
  size=$(docker image inspect -f '{{.Size}}' "$1")
  printf '  %-28s %6.1f MB  (%s bytes, build-hash %s)\n' "$1" "$(awk "BEGIN{print $size/1000000}")" "$size" "$(image_hash "$1")"
}

# build_image IMAGE CONTEXT [docker build args...]: builds and tags IMAGE, then drops the image it replaced unless a
# container still uses it.
build_image() {
  local img=$1 ctx=$2 old_id new_id
  shift 2
  old_id=$(docker image inspect -f '{{.Id}}' "$img" 2>/dev/null || true)
  dbuild "$@" -t "$img" "$ctx"
  new_id=$(docker image inspect -f '{{.Id}}' "$img")
  if [[ -n $old_id && $old_id != "$new_id" ]]; then
    docker rmi "$old_id" >/dev/null 2>&1 || true
  fi
}

# jre_rootfs MODULES ROOTFS: a jlinked JRE with MODULES (comma-separated) at ROOTFS/opt/java, plus the shared
# libraries of bin/java and of every library in it at the same paths as on the host, plus a little /etc and a /tmp.
# The JRE is linked once per module list and JDK, in docker/.build/jre-<hash>, and copied from there.
jre_rootfs() {
  local modules=$1 rootfs=$2 key cache
  key=$( { echo "$modules"; "$jdk/bin/java" -version 2>&1; } | sha256sum | cut -c1-12)
  cache="$build_dir/jre-$key"
  if [[ ! -f $cache/.done ]]; then
    log "jlinking a JRE with $modules"
    rm -rf "$cache"
    "$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files \
      --no-man-pages --compress=2 --output "$cache/java"
    rm -rf "$cache/java/legal"
    touch "$cache/.done"
  fi
  mkdir -p "$rootfs/opt" "$rootfs/tmp" "$rootfs/etc" "$rootfs/lib64"
  cp -a "$cache/java" "$rootfs/opt/java"

  # the dynamic loader ends up at /lib64/ld-linux-x86-64.so.2
  local libs lib loader
  mapfile -t libs < <(
    find "$rootfs/opt/java" -type f \( -name '*.so' -o -path '*/bin/java' \) -print0 \
      | xargs -0 -n1 ldd 2>/dev/null \
      | awk '/=> \// {print $3} /^[[:space:]]*\/[^ ]*ld-linux[^ ]* \(/ {print $1}' \
      | grep -v "^$rootfs" | sort -u
  )
  for lib in "${libs[@]}"; do
    mkdir -p "$rootfs$(dirname "$lib")"
    cp -L "$lib" "$rootfs$lib"
  done
  loader=$(printf '%s\n' "${libs[@]}" | grep -m1 'ld-linux' || true)
  [[ -n $loader ]] || die "dynamic loader not found in ldd output"
  if [[ $loader != /lib64/ld-linux-x86-64.so.2 ]]; then
    cp -L "$loader" "$rootfs/lib64/ld-linux-x86-64.so.2"
  fi

  # a little /etc and a world-writable /tmp; everything readable by uid 65534 (nobody)
  printf 'root:x:0:0:root:/:/sbin/nologin\nnobody:x:65534:65534:nobody:/tmp:/sbin/nologin\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  chmod -R a+rX "$rootfs"
  chmod 1777 "$rootfs/tmp"
}

# Builds target/esb.jar (mvn -B -q -DskipTests package) when it is missing or older than src/ or pom.xml.
ensure_jar() {
  local root
  root=$(dirname "$images_dir")
  if [[ ! -f $root/target/esb.jar || -n "$(cd "$root" && find src pom.xml -newer target/esb.jar -print -quit)" ]]; then
    log "building target/esb.jar (mvn -B -q -DskipTests package)"
    (cd "$root" && mvn -B -q -DskipTests package)
  fi
}
