#!/usr/bin/env bash
# The bundled offline example: builds imgbuild, builds the demo conda channel from Debian's
# packages (tests/fixtures/mkchannel), builds examples/demo/environment.yml into an OCI
# layout at out/demo.oci, checks it with skopeo and umoci and runs python inside it.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
channel="$top/examples/demo/channel"
tests/fixtures/mkchannel "$channel"
rm -rf out/demo-bundle
set -x
build/imgbuild build examples/demo/environment.yml --channel "file://$channel" \
  --output oci:out/demo.oci -t demo:1.0
skopeo inspect oci:out/demo.oci:1.0 | head -20
umoci unpack --image out/demo.oci:1.0 out/demo-bundle >/dev/null
unshare -m -p -f --mount-proc chroot out/demo-bundle/rootfs \
  /opt/conda/envs/demo/bin/python -c 'import json; print("ok")'
unshare -m -p -f --mount-proc chroot out/demo-bundle/rootfs /opt/conda/envs/demo/bin/prefixdemo
unshare -m -p -f --mount-proc chroot out/demo-bundle/rootfs /opt/conda/envs/demo/bin/hello-noarch
