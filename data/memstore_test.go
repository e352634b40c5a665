package data_test

import (
	"testing"

	"github.com/chatwire/chatwire/data"
	"github.com/chatwire/chatwire/data/storetest"
)

// The memory store passes the contract every Store passes.
func TestMemoryStoreContract(t *testing.T) {
	storetest.Run(t, func(*testing.T) data.Store { return data.NewMemoryStore(0) })
}
