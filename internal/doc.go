// Package internal is the root of chatwire's shared utilities: small
// helpers that every layer (domain excepted) may import, written once
// instead of copied across the layer rule. None of them knows a chat
// concept.
//
//   - clock: the wall clock behind every Clock seam.
//   - fanout: ordered delivery to many subscribers that never blocks the
//     publisher and cuts off only a subscriber that stopped reading.
//   - ids: random (version 4) UUIDs for client ids and call ids.
//   - recent: a bounded set of recently seen keys, for de-duplication.
package internal
