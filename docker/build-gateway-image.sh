#!/usr/bin/env bash
# Builds the gateway image locally, FROM scratch (no registry needed):
#   esb-gateway:latest   a jlinked JRE with the modules the gateway uses, the host's shared libraries it needs,
#                        the gateway jar at /opt/esb/esb.jar and a class-data-sharing archive of its start; runs as
#                        uid 65534, listens on 0.0.0.0:9000 inside the container, reads /etc/esb/application.conf
#                        when one is mounted there.
#
# Usage: docker/build-gateway-image.sh [path/to/esb.jar]
#   Without a path it uses target/esb.jar, building it first (mvn -B -DskipTests package) when it is missing or
#   older than the sources. ESB_GATEWAY_IMAGE names the image (default esb-gateway:latest).
#
# Idempotent: the image is labelled esb.build-hash=<hash of the jar + this script + docker/lib/images.sh +
# `java -version`>; when it carries the current hash nothing is built ("up to date"). FORCE=1 rebuilds anyway.
# The JRE is linked once and reused from docker/.build/ (see jre_rootfs in docker/lib/images.sh).
# How to run it: README, "Run the gateway as a container", or docker/run-gateway-container.sh.
set -euo pipefail

log_tag=build-gateway-image
# shellcheck source=lib/images.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/images.sh"
image=${ESB_GATEWAY_IMAGE:-esb-gateway:latest}
ctx="$build_dir/gateway"
rootfs="$ctx/rootfs"

# What the gateway jar needs (jdeps --print-module-deps lists more: java.desktop, java.compiler, jdk.jfr and
# java.security.jgss are reached only by optional code paths of its libraries). java.sql pulls java.xml
# (logback's configuration) and java.logging; jdk.unsupported gives Akka sun.misc.Unsafe; jdk.crypto.ec completes
# TLS; jdk.management serves the com.sun.management MXBeans that JVM metrics read.
modules=java.base,java.logging,java.management,java.naming,java.sql,java.xml,jdk.unsupported,jdk.crypto.ec,jdk.management

if [[ $# -gt 0 ]]; then
  jar=$(readlink -f "$1")
  [[ -f $jar ]] || die "no jar at $1"
else
  ensure_jar
  jar="$images_dir/../target/esb.jar"
fi

find_jdk
build_hash=$(
  {
    echo "$modules"
    sha256sum <"$jar"
    sha256sum <"${BASH_SOURCE[0]}"
    sha256sum <"$images_dir/lib/images.sh"
    "$jdk/bin/java" -version 2>&1
  } | sha256sum | cut -c1-16
)

require_daemon
lock_builds

if [[ ${FORCE:-0} != 1 ]]; then
  if [[ $(image_hash "$image") == "$build_hash" ]]; then
    log "$image up to date (build-hash $build_hash)"
    print_size "$image"
    exit 0
  fi
  # Another name for an image already built from the same inputs (tests use their own names) is only a tag.
  same=$(docker images -q --filter label=esb.image=gateway --filter "label=esb.build-hash=$build_hash" | head -1)
  old_id=$(docker image inspect -f '{{.Id}}' "$image" 2>/dev/null || true)
  if [[ -n $same ]] && docker tag "$same" "$image" 2>/dev/null; then
    [[ -z $old_id ]] || docker rmi "$old_id" >/dev/null 2>&1 || true
    log "$image tagged from image $same (build-hash $build_hash)"
    print_size "$image"
    exit 0
  fi
fi

t_start=$(date +%s.%N)
log "assembling rootfs (build-hash $build_hash) in $ctx"
rm -rf "$ctx"
# ctx/data becomes the data directory (esb.data-dir), owned by the gateway's user: no shell in the image to chown it.
mkdir -p "$rootfs/opt/esb" "$rootfs/etc/esb" "$ctx/data"
cp "$jar" "$rootfs/opt/esb/esb.jar"
# The JDK's own CDS archive is the base the application's archive (made below) extends; the heap stays far below the
# 32 GB that would need the archive without compressed oops.
jre_rootfs "$modules" "$rootfs" --generate-cds-archive
# The SQLite driver's native library (the Event store) is loaded from /opt/esb/native, not unpacked into /tmp, which
# is a noexec tmpfs when the container runs read-only; the shared libraries it needs come from the host, as the JRE's do.
mkdir -p "$rootfs/opt/esb/native"
(cd "$ctx" && "$jdk/bin/jar" xf "$(realpath "$rootfs/opt/esb/esb.jar")" org/sqlite/native/Linux/x86_64/libsqlitejdbc.so)
mv "$ctx/org/sqlite/native/Linux/x86_64/libsqlitejdbc.so" "$rootfs/opt/esb/native/"
rm -rf "$ctx/org"
copy_shared_libs "$rootfs" "$rootfs/opt/esb/native"
rm -f "$rootfs/opt/java/lib/server/classes_nocoops.jsa"

# No shell in the image, so the heap bound is a default in JDK_JAVA_OPTIONS that `docker run -e` can replace.
cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY rootfs/ /
COPY --chown=65534:65534 data/ /var/lib/esb/
ENV JAVA_HOME=/opt/java PATH=/opt/java/bin ESB_HTTP_INTERFACE=0.0.0.0 JDK_JAVA_OPTIONS="-Xms64m -Xmx256m -XX:+UseSerialGC" MALLOC_ARENA_MAX=2 ESB_DATA_DIR=/var/lib/esb
# Accepted Event invocations and dead letters: mount a volume here so they outlive the container.
VOLUME /var/lib/esb
USER 65534:65534
WORKDIR /etc/esb
EXPOSE 9000
ENTRYPOINT ["/opt/java/bin/java", "-XX:-UsePerfData", "-XX:SharedArchiveFile=/opt/esb/app.jsa", "-Xshare:auto", "-Dorg.sqlite.lib.path=/opt/esb/native", "-Dorg.sqlite.lib.name=libsqlitejdbc.so", "-jar", "/opt/esb/esb.jar"]
DOCKERFILE

# The classes a start loads, from a training run of the gateway in the image itself (io.esb.CdsTraining, as bin/esb
# does on the host): about halves the time to healthy.
cds_in_stage "$ctx" "esb-gateway-stage:$build_hash" -XX:-UsePerfData -XX:ArchiveClassesAtExit=/tmp/app.jsa \
  -Dorg.sqlite.lib.path=/opt/esb/native -Dorg.sqlite.lib.name=libsqlitejdbc.so -cp /opt/esb/esb.jar io.esb.CdsTraining

log "building $image"
build_image "$image" "$ctx" --label esb.image=gateway --label esb.build-hash="$build_hash"

# The image must really run the gateway: start it without network or Docker socket (it serves without a daemon)
# and wait for it to listen.
check="esb-gateway-check-$$"
trap 'docker rm -f -v "$check" >/dev/null 2>&1 || true' EXIT
docker run -d --name "$check" --network none "$image" >/dev/null
for _ in $(seq 1 240); do
  logs=$(docker logs "$check" 2>&1)
  [[ $logs == *"Gateway listening"* || $(docker inspect -f '{{.State.Running}}' "$check") != true ]] && break
  sleep 0.25
done
[[ $logs == *"Gateway listening"*"http://0.0.0.0:9000"* ]] || die "the gateway did not start in $image:
$(echo "$logs" | tail -20)"
docker rm -f -v "$check" >/dev/null
trap - EXIT
check_cds "$image" -cp /opt/esb/esb.jar

log "built in $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t_start}") s (build-hash $build_hash)"
print_size "$image"
