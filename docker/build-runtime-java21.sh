#!/usr/bin/env bash
# Builds esb-runtime-java21:latest locally, FROM scratch (no registry needed): the image the gateway runs zip
# functions of `Runtime: java21` in, laid out as AWS's java21 base image is:
#   /var/lang          a jlinked JRE (the modules jdeps lists for the runtime client), from a JDK 21 or newer
#   /var/runtime/lib   com.amazonaws:aws-lambda-java-runtime-interface-client and its dependencies (Maven Central)
#   /var/task          the function's code (CodeUri, bind-mounted read-only by the gateway), the working directory
#   /opt               the function's layers, merged (bind-mounted read-only); jars in /opt/java/lib
#   /tmp               world-writable (the client extracts its JNI library there)
# ENTRYPOINT is the JVM running the client's main class; there is no CMD: the gateway passes the handler
# (Class::method) as the command, and AWS_LAMBDA_RUNTIME_API tells the client where to pull invocations from.
#
# Idempotent: the image is labelled esb.build-hash=<hash of this script, the pom, docker/lib/images.sh and the
# JDK's version, the training sources>; when it carries the current hash nothing is built. FORCE=1 rebuilds anyway.
#
# With a JDK 25+ the image gets an AOT cache (JEP 483/514; about half the time to the first `next`), recorded by
# running the client with a training handler against docker/lib/RuntimeApiProbe.java on 127.0.0.1 (the training
# container uses the host's network). Without it, or when training fails, the image is built without the cache.
# ESB_RUNTIME_JDK=/path/to/jdk picks the JDK whose JRE goes in (default: the oldest JDK 21+ under /usr/lib/jvm,
# else the default JDK, with a warning: handlers compiled for a newer Java then do not load).
set -euo pipefail

log_tag=build-runtime-java21
# shellcheck source=lib/images.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/images.sh"
here=$images_dir
image=esb-runtime-java21:latest
modules=java.base,java.desktop,java.sql,jdk.unsupported   # jdeps --print-module-deps of the client's jars
work="$build_dir/runtime-java21"
classpath='/var/runtime/lib/*:/var/task:/var/task/lib/*:/opt/java/lib/*'
main_class=com.amazonaws.services.lambda.runtime.api.client.AWSLambda

find_jdk   # javac etc. for the build; the JRE in the image comes from runtime_jdk

java_major() { sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" 2>/dev/null || true; }

runtime_jdk=${ESB_RUNTIME_JDK:-}
if [[ -z $runtime_jdk ]]; then
  best=
  for candidate in "$jdk" /usr/lib/jvm/*; do
    major=$(java_major "$candidate")
    [[ -n $major && -x $candidate/bin/jlink ]] || continue
    if (( major >= 21 )) && [[ -z $best || $major -lt $(java_major "$best") ]]; then best=$candidate; fi
  done
  runtime_jdk=${best:-$jdk}
fi
runtime_major=$(java_major "$runtime_jdk")
if (( ${runtime_major:-0} < 21 )); then
  log "WARNING: no JDK 21+ found (set ESB_RUNTIME_JDK); the image gets Java ${runtime_major:-?}: handlers compiled for a newer Java will not load"
fi

build_hash=$(
  {
    sha256sum <"${BASH_SOURCE[0]}"
    sha256sum <"$here/runtime-java21/pom.xml"
    sha256sum <"$here/lib/images.sh"
    sha256sum <"$here/lib/RuntimeApiProbe.java"
    (cd "$here/runtime-java21/training" && find . -type f -name '*.java' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    "$runtime_jdk/bin/java" -version 2>&1
  } | sha256sum | cut -c1-16
)

start_build "$image" "$build_hash"

t_start=$(date +%s.%N)
ctx="$work/context"
rootfs="$ctx/rootfs"
log "assembling rootfs (build-hash $build_hash, JRE from $runtime_jdk) in $ctx"
rm -rf "$ctx"
mkdir -p "$rootfs/var/runtime/lib" "$rootfs/var/task" "$rootfs/opt" "$work"

# 1. the runtime interface client and its dependencies (offline when Maven has them cached)
mvn_args=(-B -q -f "$here/runtime-java21/pom.xml" dependency:copy-dependencies
  -DincludeScope=runtime -DoutputDirectory="$rootfs/var/runtime/lib")
mvn -o "${mvn_args[@]}" >"$work/mvn.log" 2>&1 || mvn "${mvn_args[@]}" >"$work/mvn.log" 2>&1 \
  || { cat "$work/mvn.log" >&2; die "could not fetch the runtime interface client with Maven"; }

# 2. the JRE at /var/lang, without the AWT libraries that need X11 or sound (the client uses java.beans only)
jdk=$runtime_jdk jlink_cached "$modules"
cp -a "$jre_cache/java" "$rootfs/var/lang"
rm -f "$rootfs"/var/lang/lib/{libawt_xawt,libjawt,libsplashscreen,libjsound}.so

# 3. shared libraries of the JRE and of the client's JNI library (it needs librt.so.1 too)
rm -rf "$work/jni" && mkdir -p "$work/jni"
ric_jar=$(ls "$rootfs"/var/runtime/lib/aws-lambda-java-runtime-interface-client-*.jar)
(cd "$work/jni" && "$jdk/bin/jar" xf "$ric_jar" jni/libaws-lambda-jni.linux-x86_64.so)
copy_shared_libs "$rootfs" "$rootfs/var/lang" "$work/jni"
base_files "$rootfs"

jvm_flags=(-XX:+TieredCompilation -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -XX:MaxRAMPercentage=75
  -Djava.net.preferIPv4Stack=true)
# the client loads its JNI library with System.load, which JDK 22+ warns about on stderr unless allowed
if (( ${runtime_major:-0} >= 22 )); then jvm_flags+=(--enable-native-access=ALL-UNNAMED); fi

# write_dockerfile [EXTRA_JVM_FLAGS...]
write_dockerfile() {
  local entrypoint='"/var/lang/bin/java"' flag
  for flag in "${jvm_flags[@]}" "$@" -cp "$classpath" "$main_class"; do entrypoint+=", \"$flag\""; done
  cat >"$ctx/Dockerfile" <<DOCKERFILE
FROM scratch
COPY rootfs/ /
ENV LANG=en_US.UTF-8 TZ=:UTC PATH=/var/lang/bin JAVA_HOME=/var/lang \\
    LAMBDA_TASK_ROOT=/var/task LAMBDA_RUNTIME_DIR=/var/runtime
USER 65534:65534
WORKDIR /var/task
ENTRYPOINT [$entrypoint]
DOCKERFILE
}

# train_aot_cache: records rootfs/var/runtime/app.aot in a container of the image as built so far (an AOT cache
# names the JDK's and the jars' paths, sizes and times, so it is made from the very same files); returns non-zero
# when that fails. The client's task root is its working directory: the training handler lives in /tmp/train, so
# that /var/task, on the class path, stays empty as AOT caches require.
train_aot_cache() {
  local stage="esb-runtime-java21-stage:$build_hash-$$" cname="esb-aot-train-$$" port_file="$work/probe.port"
  local probe_pid port events=() i rc=0
  rm -rf "$work/train" && mkdir -p "$work/train"
  mapfile -d '' training_sources < <(find "$here/runtime-java21/training" -type f -name '*.java' -print0)
  "$jdk/bin/javac" --release 17 -nowarn -cp "$rootfs/var/runtime/lib/*" -d "$work/train" "${training_sources[@]}"
  chmod -R a+rX "$work/train"
  log "recording the AOT cache (stage image $stage)"
  # shellcheck disable=SC2064  # the names are fixed now
  trap "docker rm -f $cname >/dev/null 2>&1; docker rmi $stage >/dev/null 2>&1; [[ -n \${probe_pid:-} ]] && kill \$probe_pid 2>/dev/null; true" EXIT
  dbuild -t "$stage" "$ctx"
  for i in $(seq 1 20); do events+=("{\"n\":$i,\"s\":\"x\\u00e9\",\"l\":[1,2.5,true,null]}" '{"fail":true}'); done
  rm -f "$port_file"
  "$jdk/bin/java" "$here/lib/RuntimeApiProbe.java" 127.0.0.1 "$port_file" "${events[@]}" >"$work/probe.log" 2>&1 &
  probe_pid=$!
  for i in $(seq 1 300); do [[ -s $port_file ]] && break; sleep 0.1; done
  port=$(cat "$port_file" 2>/dev/null || true)
  if [[ -n $port ]]; then
    docker create --name "$cname" --network host -w /tmp/train -v "$work/train:/tmp/train:ro" \
      -e AWS_LAMBDA_RUNTIME_API="127.0.0.1:$port" -e AWS_LAMBDA_FUNCTION_NAME=training \
      -e AWS_LAMBDA_FUNCTION_MEMORY_SIZE=512 -e 'AWS_LAMBDA_FUNCTION_VERSION=$LATEST' \
      -e AWS_LAMBDA_LOG_GROUP_NAME=/aws/lambda/training -e AWS_LAMBDA_LOG_STREAM_NAME=training \
      --entrypoint /var/lang/bin/java "$stage" "${jvm_flags[@]}" -XX:AOTCacheOutput=/tmp/app.aot \
      -cp "$classpath" "$main_class" esb.training.TrainingHandler::handleRequest >/dev/null
    # the client exits (status 1) once the probe, done, stops answering: that ends the training run
    docker start -a "$cname" >"$work/train.log" 2>&1 || true
    wait "$probe_pid" || rc=1
    docker cp "$cname:/tmp/app.aot" "$rootfs/var/runtime/app.aot" >/dev/null 2>&1 || rc=1
  else
    kill "$probe_pid" 2>/dev/null || true
    rc=1
  fi
  docker rm -f "$cname" >/dev/null 2>&1 || true
  docker rmi "$stage" >/dev/null 2>&1 || true
  trap - EXIT
  if (( rc != 0 )); then
    echo "$log_tag: WARNING: AOT cache training failed (the image is built without; start is slower):" >&2
    tail -5 "$work/train.log" "$work/probe.log" >&2 2>/dev/null || true
    rm -f "$rootfs/var/runtime/app.aot"
    return 1
  fi
  chmod a+r "$rootfs/var/runtime/app.aot"
}

write_dockerfile
if (( ${runtime_major:-0} >= 25 )) && train_aot_cache; then
  write_dockerfile -XX:AOTCache=/var/runtime/app.aot
fi

log "building $image"
build_image "$image" "$ctx" --label esb.image=runtime --label esb.runtime=java21 --label esb.build-hash="$build_hash"
docker image prune -f --filter label=esb.image=runtime >/dev/null 2>&1 || true

log "built in $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t_start}") s (build-hash $build_hash)"
print_size "$image"
