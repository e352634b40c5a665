// Command chatwire is the SDK's composition root: it wires the reference
// server (data/chattest), the envelope-protocol data source (data), the
// Laravel/Pusher data source (data/laravel) and the notifiers
// (presentation) into three tools.
//
//	chatwire demo                      an embedded server and three simulated users, as a live transcript
//	chatwire serve --addr HOST:PORT    the reference server for local development (token = user id)
//	chatwire connect --url URL --token TOKEN [--conversation ID]
//	                                   an interactive terminal client over the notifiers
//	chatwire connect --pusher-key KEY --host HOST:PORT --auth-endpoint URL --user ID --token TOKEN
//	                 [--api URL] [--tls] [--conversation ID]
//	                                   the same client against a Pusher-protocol server (Laravel
//	                                   Reverb, Soketi, Pusher) with a Laravel app behind it
//	chatwire help [command]            usage
//
// With --pusher-key, channels are authorized at --auth-endpoint (Laravel's
// /broadcasting/auth) with the token as a bearer token, and messages are
// stored and broadcast by the app's API at --api. Without --api a message
// cannot be sent (Pusher clients cannot publish server events): connect
// says so, and /typing and /read still go to the others as whispers.
//
// Exit codes: 0 success (SIGINT or SIGTERM is a clean end: connect and
// serve close and exit 0; a second signal kills a shutdown that hangs),
// 1 runtime failure (for demo: an invariant did not hold, or the demo was
// interrupted), 2 usage error.
//
// Every command is a function of its arguments, standard streams and a
// context (run, runDemo, runServe, runConnect), so tests drive the same
// code the binary runs. The goroutines a command starts end before it
// returns, except connect's reader of stdin when a read is still blocked
// in the operating system (the process is about to exit).
package main
