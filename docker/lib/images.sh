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
# Takes the daemon and the build lock; exits 0 when image $1 already carries build hash $2 (FORCE=1 rebuilds anyway).
start_build() {
  require_daemon
  lock_builds
  if [[ ${FORCE:-0} != 1 && $(image_hash "$1") == "$2" ]]; then
    log "image up to date (build-hash $2)"
    print_size "$1"
    exit 0
  fi
}

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

# jlink_cached MODULES [JLINK_OPTIONS...]: sets `jre_cache` to a directory whose java/ is a jlinked JRE with MODULES
# (comma-separated) of the JDK in `jdk`. Linked once per module list, options and JDK, in docker/.build/jre-<hash>.
jlink_cached() {
  local modules=$1 key compress=--compress=2
  shift
  key=$( { echo "$modules $*"; "$jdk/bin/java" -version 2>&1; } | sha256sum | cut -c1-12)
  jre_cache="$build_dir/jre-$key"
  if [[ ! -f $jre_cache/.done ]]; then
    log "jlinking a JRE with $modules${*:+ ($*)} from $jdk"
    # JDK 21+ names the levels zip-0..9 (the numbers are deprecated); zip-6 is what 2 was
    if "$jdk/bin/jlink" --list-plugins 2>/dev/null | grep -q 'zip-\['; then compress=--compress=zip-6; fi
    rm -rf "$jre_cache"
    "$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-header-files \
      --no-man-pages "$compress" "$@" --output "$jre_cache/java" >/dev/null
    rm -rf "$jre_cache/java/legal"
    touch "$jre_cache/.done"
  fi
}

# copy_shared_libs ROOTFS PATH...: copies into ROOTFS, at their host paths, the shared libraries that `ldd` lists for
# the executables and *.so files under each PATH (a file or a directory), and the dynamic loader to
# /lib64/ld-linux-x86-64.so.2. Libraries already inside ROOTFS are skipped.
copy_shared_libs() {
  local rootfs=$1 libs lib loader
  shift
  mkdir -p "$rootfs/lib64"
  mapfile -t libs < <(
    find "$@" -type f \( -name '*.so' -o -name '*.so.*' -o -path '*/bin/*' \) -print0 \
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
}

# base_files ROOTFS: a little /etc and a world-writable /tmp; everything readable by uid 65534 (nobody).
base_files() {
  local rootfs=$1
  mkdir -p "$rootfs/tmp" "$rootfs/etc"
  printf 'root:x:0:0:root:/:/sbin/nologin\nnobody:x:65534:65534:nobody:/tmp:/sbin/nologin\n' >"$rootfs/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
  chmod -R a+rX "$rootfs"
  chmod 1777 "$rootfs/tmp"
}

# jre_rootfs MODULES ROOTFS [JLINK_OPTIONS...]: a jlinked JRE with MODULES (comma-separated) at ROOTFS/opt/java,
# plus the shared libraries of bin/java and of every library in it at the same paths as on the host, plus a little
# /etc and a /tmp.
jre_rootfs() {
  local modules=$1 rootfs=$2
  shift 2
  jlink_cached "$modules" "$@"
  mkdir -p "$rootfs/opt"
  cp -a "$jre_cache/java" "$rootfs/opt/java"
  copy_shared_libs "$rootfs" "$rootfs/opt/java"
  base_files "$rootfs"
}

# cds_in_stage CONTEXT STAGE_TAG JAVA_ARGS...: builds CONTEXT (its Dockerfile COPYs rootfs/) as the image STAGE_TAG-<pid>,
# runs /opt/java/bin/java JAVA_ARGS... in a container of it without network, which must write the CDS archive
# /tmp/app.jsa, and copies that to CONTEXT/rootfs/opt/esb/app.jsa. An archive records the paths, sizes and mtimes of
# lib/modules and the jars, so it is made inside a container of the very same rootfs (COPY keeps mtimes).
cds_in_stage() {
  local ctx=$1 stage=$2-$$ cname="esb-cds-dump-$$"
  shift 2
  rm -f "$ctx/rootfs/opt/esb/app.jsa"
  log "making the CDS archive (stage image $stage)"
  dbuild -t "$stage" "$ctx"
  # shellcheck disable=SC2064  # the names are fixed now
  trap "docker rm -f -v $cname >/dev/null 2>&1 || true; docker rmi $stage >/dev/null 2>&1 || true" EXIT
  docker create --name "$cname" --network none --entrypoint /opt/java/bin/java "$stage" "$@" >/dev/null
  if ! docker start -a "$cname" >"$build_dir/cds-dump.log" 2>&1; then
    echo "$log_tag: CDS archive failed:" >&2; tail -20 "$build_dir/cds-dump.log" >&2; exit 1
  fi
  docker cp "$cname:/tmp/app.jsa" "$ctx/rootfs/opt/esb/app.jsa"
  chmod a+r "$ctx/rootfs/opt/esb/app.jsa"
  docker rm -f -v "$cname" >/dev/null 2>&1 || true
  docker rmi "$stage" >/dev/null 2>&1 || true
  trap - EXIT
}

# check_cds IMAGE JAVA_ARGS...: warns when the image's CDS archive is not usable with these arguments (-Xshare:on
# fails then); the image still works, only its start is slower.
check_cds() {
  local img=$1 out
  shift
  if ! out=$(docker run --rm --network none --entrypoint /opt/java/bin/java "$img" \
        -Xshare:on -XX:SharedArchiveFile=/opt/esb/app.jsa "$@" -version 2>&1); then
    echo "$log_tag: WARNING: CDS archive not usable in $img (start will be slower):" >&2
    echo "$out" | tail -5 >&2
  fi
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
