// Package pushertest holds helpers for tests of Pusher protocol clients
// against a real server: StartSoketi runs a Soketi process on loopback with
// free ports, API plays the application backend through the signed HTTP
// events API, and AuthServer is an in-process authorization endpoint that
// signs channel subscriptions the way Laravel's /broadcasting/auth does.
//
// Soketi is found through $CHATWIRE_SOKETI_BIN, or else at
// .ci/soketi/node_modules/.bin/soketi under the module root (install it with
// .ci/soketi/install.sh). When it is missing, tests that need it are
// skipped, except when $CI is "true": then they fail, because CI installs it.
//
// Every helper is safe for concurrent use and registers its own cleanup
// with the test.
package pushertest
