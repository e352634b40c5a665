package streams_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/chatwire/chatwire/data/internal/streams"
	"github.com/chatwire/chatwire/domain"
)

// A data source owns a Hub: its session's goroutine publishes what it decodes, its
// subscribe methods and History delegate, and its Close closes the Hub
// last.
func Example() {
	hub := streams.New(streams.Options{HistorySize: 50})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	msgs, errs := hub.Messages(ctx), hub.Errors(ctx)

	// On the goroutine that owns the session:
	hub.Publish(domain.Message{ID: "m1", Content: "hello"})
	hub.Report(domain.ClassConnection, false, domain.ErrUnauthorized)

	fmt.Println((<-msgs).Content)
	err := <-errs
	fmt.Println(err, errors.Is(err, domain.ErrUnauthorized))
	fmt.Println(len(hub.History()))

	hub.Close()
	_, open := <-msgs
	fmt.Println(open)
	// Output:
	// hello
	// connection: chatwire: unauthorized true
	// 1
	// false
}
