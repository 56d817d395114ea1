#!/usr/bin/env bash
# Builds the zip-hello example as `sam build` lays out a Java zip function, with javac (--release 17) and Maven:
#   build/                     CodeUri of both functions: the classes, and build/lib/*.jar (aws-lambda-java-core,
#                              aws-lambda-java-events and what they need)
#   layer/java/lib/greeting.jar  ContentUri of GreetingLayer: the class HelloApi greets with
# Idempotent and fast: nothing is done while build/.build-hash matches the sources, pom.xml, this script and javac.
# FORCE=1 rebuilds anyway. Maven runs offline first (works once its cache has the jars).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cd "$here"

hash=$(
  {
    find src -type f -name '*.java' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    sha256sum pom.xml build.sh
    javac -version 2>&1
  } | sha256sum | cut -c1-16
)
if [[ ${FORCE:-0} != 1 && -f build/.build-hash && $(cat build/.build-hash) == "$hash" && -f layer/java/lib/greeting.jar ]]; then
  echo "zip-hello: up to date (build-hash $hash)"
  exit 0
fi

# the layer's classes are compiled outside build/: on /var/task they would make the layer needless
rm -rf build layer .work
mkdir -p build/lib layer/java/lib .work/layer
mvn_args=(-B -q -f pom.xml dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$here/build/lib")
mvn -o "${mvn_args[@]}" >.work/mvn.log 2>&1 || mvn "${mvn_args[@]}" >.work/mvn.log 2>&1 \
  || { cat .work/mvn.log >&2; echo "zip-hello: Maven could not fetch the dependencies" >&2; exit 1; }

mapfile -d '' layer_sources < <(find src/layer -type f -name '*.java' -print0 | LC_ALL=C sort -z)
javac --release 17 -nowarn -d .work/layer "${layer_sources[@]}"
jar --create --file layer/java/lib/greeting.jar -C .work/layer .

mapfile -d '' sources < <(find src/function -type f -name '*.java' -print0 | LC_ALL=C sort -z)
javac --release 17 -nowarn -cp "build/lib/*:layer/java/lib/greeting.jar" -d build "${sources[@]}"

chmod -R a+rX build layer   # read by the container's unprivileged user through read-only bind mounts
rm -rf .work
echo "$hash" >build/.build-hash
echo "zip-hello: built build/ ($(find build -name '*.class' | wc -l) classes, $(ls build/lib | wc -l) jars) and layer/java/lib/greeting.jar (build-hash $hash)"
