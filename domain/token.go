package domain

import "context"

// TokenSource returns a fresh access token. A data source asks it before
// every reconnect, and once more after the server refuses a token; it must
// be safe for concurrent use. The one type for tokens across the SDK.
type TokenSource func(ctx context.Context) (string, error)
