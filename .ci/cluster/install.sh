#!/bin/sh
# Installs what the cluster suite (make cluster) needs beside Soketi:
# nats-server, built from the Go module proxy into .ci/bin (about a minute
# the first time, nothing when that version is there). Soketi's "nats"
# adapter uses the nats npm package, which Soketi installs with itself
# (.ci/soketi/install.sh). The suite finds nats-server at .ci/bin, or
# wherever CHATWIRE_NATS_BIN points.
set -eu
cd "$(dirname "$0")/.."
version=v2.15.3
bin=bin/nats-server
if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q "${version#v}"; then
	echo "nats-server $version already built: $(pwd)/$bin"
else
	GOBIN="$(pwd)/bin" go install "github.com/nats-io/nats-server/v2@$version"
	"$bin" --version
	echo "nats-server built: $(pwd)/$bin"
fi
if [ ! -f soketi/node_modules/nats/package.json ]; then
	echo "install.sh: Soketi's nats package is missing: run .ci/soketi/install.sh" >&2
	exit 1
fi
