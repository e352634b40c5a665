package data

import "github.com/chatwire/chatwire/data/internal/streams"

// toDomainError makes an error from core match the domain sentinel that
// means the same, keeping the original in the chain.
func toDomainError(err error) error { return streams.ToDomainError(err) }
