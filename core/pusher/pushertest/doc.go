// Package pushertest holds helpers for tests and tools that play the
// server side of the Pusher Channels protocol against a real server:
// RunSoketi (StartSoketi in a test) runs a Soketi process on loopback with
// free ports, API plays the application backend through the signed HTTP
// events API (encrypting for private-encrypted- channels), AuthServer
// signs channel subscriptions and user sign-ins the way Laravel's
// /broadcasting/auth and /broadcasting/user-auth do (RunAuthServer,
// NewAuthServer in a test, NewAuthHandler to mount it), and RunPusherJS
// (StartPusherJS in a test) drives a pusher-js client in node for interop
// tests. The Run and New-handler forms need no testing.TB; the caller
// closes what they return.
//
// Soketi is found through $CHATWIRE_SOKETI_BIN, else at
// .ci/soketi/node_modules/.bin/soketi under chatwire's module root (install
// it with .ci/soketi/install.sh or make soketi), else in PATH, else in the
// user's cache. In another module, a test that needs Soketi installs it
// there with npm the first time (about a minute), so nothing needs to be
// set by hand; without npm it fails, saying why, unless
// $CHATWIRE_SKIP_SOKETI is "1" (then it skips). In chatwire's own module a
// missing Soketi skips the test, except when $CI is "true": then it fails,
// because CI installs it.
//
// Every helper is safe for concurrent use; the test forms register their
// own cleanup with the test.
package pushertest
