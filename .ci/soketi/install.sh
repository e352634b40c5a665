#!/bin/sh
# Installs Soketi (a Pusher Channels protocol 7 server) and pusher-js (the
# reference client, for interop tests run with node from
# .ci/soketi/interop/) into .ci/soketi/node_modules for the core/pusher and
# data/laravel integration tests. CI runs it before `go test`; the tests
# find the server at .ci/soketi/node_modules/.bin/soketi, or wherever
# CHATWIRE_SOKETI_BIN points.
#
# Soketi 1.6.1 pins a uWebSockets.js build that no longer installs; the
# override in package.json swaps in a maintained fork with the same API.
set -eu
cd "$(dirname "$0")"
if ! command -v npm >/dev/null 2>&1; then
	echo "install.sh: npm not found; install Node.js 18 or newer" >&2
	exit 1
fi
# Not `npm ci`: npm records no lock entries for msgpackr-extract's optional
# binaries of other platforms, and `npm ci` refuses such a lock. `npm install`
# still takes every version from package-lock.json; --no-save leaves it as is.
npm install --no-audit --no-fund --no-save
test -x ./node_modules/.bin/soketi
test -f ./node_modules/pusher-js/package.json
echo "soketi installed: $(pwd)/node_modules/.bin/soketi"
echo "pusher-js installed: $(pwd)/node_modules/pusher-js"
