#!/usr/bin/env bash
# Builds the function images locally, FROM scratch (no registry needed):
#   esb-example-hello:latest  the example function (handler "hello")
#   esb-fixture:latest        the test fixture     (handler "fixture")
#
# Both contain a jlinked JRE (java.base + jdk.httpserver), the shared libraries
# it needs, and the RIE-compatible runtime stub from docker/runtime/src, plus an
# application CDS archive for fast start. They share one filesystem layer and
# differ only in ENV ESB_HANDLER.
#
# Idempotent and fast: images are labelled esb.build-hash=<hash of the stub
# sources + this script + docker/lib/images.sh + `java -version`>; when both images
# carry the current hash nothing is built ("up to date"). FORCE=1 rebuilds anyway.
# Works with DOCKER_HOST (e.g. unix:///path/to/docker.sock); uses the docker CLI.
#
# First it runs, each with its own build hash (so each skips what is built): examples/zip-hello/build.sh (the zip
# example's classes, jars and layer), docker/build-runtime-java21.sh (esb-runtime-java21:latest, the image zip
# functions of Runtime java21 run in) and docker/build-node-runtime.sh (esb-runtime-nodejs22:latest, for
# nodejs22.x; about 90 s when new; skipped with a note where npm, g++ or make is missing).
set -euo pipefail

log_tag=build-images
# shellcheck source=lib/images.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/images.sh"
here=$images_dir
src_dir="$here/runtime/src"
work="$build_dir"
images=("esb-example-hello:latest=hello" "esb-fixture:latest=fixture")

find_jdk

# ---------------------------------------------------------------- content hash
build_hash=$(
  {
    (cd "$src_dir" && find . -type f -name '*.java' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    sha256sum <"${BASH_SOURCE[0]}"
    sha256sum <"$here/lib/images.sh"
    "$jdk/bin/java" -version 2>&1
  } | sha256sum | cut -c1-16
)

print_sizes() {
  for spec in "${images[@]}"; do
    print_size "${spec%%=*}"
  done
}

# before this script takes the build lock: they take it themselves
"$(dirname "$here")/examples/zip-hello/build.sh"
"$here/build-runtime-java21.sh"
if command -v npm >/dev/null && command -v g++ >/dev/null && command -v make >/dev/null; then
  "$here/build-node-runtime.sh"
else
  log "esb-runtime-nodejs22:latest not built: it needs npm, g++ and make (apt-get install -y npm g++ make)"
fi

require_daemon
lock_builds

if [[ ${FORCE:-0} != 1 ]]; then
  uptodate=1
  for spec in "${images[@]}"; do
    [[ $(image_hash "${spec%%=*}") == "$build_hash" ]] || uptodate=0
  done
  if [[ $uptodate == 1 ]]; then
    log "images up to date (build-hash $build_hash)"
    print_sizes
    exit 0
  fi
fi

t_start=$(date +%s.%N)
ctx="$work/context"
rootfs="$ctx/rootfs"

# ------------------------------------------------ rootfs (reused if hash matches)
if [[ ${FORCE:-0} == 1 || ! -f $ctx/.hash || $(cat "$ctx/.hash") != "$build_hash" ]]; then
  log "assembling rootfs (build-hash $build_hash) in $ctx"
  rm -rf "$ctx" "$work/classes"
  mkdir -p "$work/classes" "$rootfs/opt/esb"

  # 1. compile the stub and package it as a jar (AppCDS archives classes from jars only)
  mapfile -d '' sources < <(find "$src_dir" -type f -name '*.java' -print0 | LC_ALL=C sort -z)
  "$jdk/bin/javac" --release 17 -nowarn -XDstringConcat=inline -d "$work/classes" "${sources[@]}"
  "$jdk/bin/jar" --create --file "$rootfs/opt/esb/runtime.jar" --main-class esb.runtime.Main -C "$work/classes" .

  # 2. minimal JRE, its shared libraries, /etc and /tmp
  jre_rootfs java.base,jdk.httpserver "$rootfs"

  # 3. class list for the CDS archive: exercise the stub once (loopback, ephemeral port)
  "$rootfs/opt/java/bin/java" -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xshare:off \
    -XX:DumpLoadedClassList="$rootfs/opt/esb/classes.lst" \
    -cp "$rootfs/opt/esb/runtime.jar" esb.runtime.Main --train >"$work/train.log" 2>&1 \
    || { echo "build-images: training run failed:" >&2; tail -20 "$work/train.log" >&2; exit 1; }
  chmod a+r "$rootfs/opt/esb/classes.lst"
  echo "$build_hash" >"$ctx/.hash"
  rm -f "$ctx/.cds-done"
fi

jvm_flags='"-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData", "-Xss512k", "-XX:MaxRAMPercentage=50", "-Xshare:auto", "-XX:SharedArchiveFile=/opt/esb/app.jsa", "-Dsun.net.httpserver.nodelay=true", "-Dsun.net.httpserver.idleInterval=3600"'
cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM scratch
COPY rootfs/ /
ARG ESB_HANDLER=fixture
ENV ESB_HANDLER=\${ESB_HANDLER} JAVA_HOME=/opt/java PATH=/opt/java/bin
USER 65534:65534
WORKDIR /tmp
EXPOSE 8080
ENTRYPOINT ["/opt/java/bin/java", $jvm_flags, "-cp", "/opt/esb/runtime.jar", "esb.runtime.Main"]
DOCKERFILE

# ------------------------------------------------------------ CDS archive
if [[ ! -f $ctx/.cds-done || ! -s $rootfs/opt/esb/app.jsa ]]; then
  cds_in_stage "$ctx" "esb-runtime-stage:$build_hash" -XX:+UseSerialGC -Xshare:dump \
    -XX:SharedClassListFile=/opt/esb/classes.lst -XX:SharedArchiveFile=/tmp/app.jsa -cp /opt/esb/runtime.jar
  touch "$ctx/.cds-done"
fi

# ------------------------------------------------------------ the images
for spec in "${images[@]}"; do
  img=${spec%%=*} handler=${spec#*=}
  log "building $img (handler $handler)"
  build_image "$img" "$ctx" --build-arg ESB_HANDLER="$handler" \
    --label esb.image=function --label esb.build-hash="$build_hash" --label esb.handler="$handler"
done

# images replaced earlier but then still in use by containers, now unused: remove
docker image prune -f --filter label=esb.image=function >/dev/null 2>&1 || true

check_cds esb-fixture:latest -XX:+UseSerialGC -cp /opt/esb/runtime.jar

log "built in $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t_start}") s (build-hash $build_hash)"
print_sizes
