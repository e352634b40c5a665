package peer

import (
	"net/http"

	"github.com/gorilla/websocket"
)

var upgrader = websocket.Upgrader{ReadBufferSize: 1024, WriteBufferSize: 64 << 10, CheckOrigin: func(*http.Request) bool { return true }}

// RunHeader carries the run name of an envelope connection when the client
// cannot add a query parameter (the data source dials BaseURL+"/chat").
const RunHeader = "X-Peer-Run"

// EnvelopeHandler serves the chat envelope protocol at /chat?run=NAME (or
// with RunHeader):
// session.ready, then the run's chat.message frames. Raw gorilla clients
// read the same frames. Whatever the client sends is discarded; the
// connection ends when the client closes it.
func EnvelopeHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := r.URL.Query().Get("run")
		if name == "" {
			name = r.Header.Get(RunHeader)
		}
		run, err := ParseRun(name)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		gone := make(chan struct{})
		go func() {
			defer close(gone)
			for {
				if _, _, err := c.ReadMessage(); err != nil {
					return
				}
			}
		}()
		if c.WriteMessage(websocket.TextMessage, []byte(`{"type":"session.ready","payload":{"user_id":"u1","session_id":"s1","epoch":"e1","last_seq":0}}`)) != nil {
			return
		}
		var b []byte
		run.send(func(seq, stamp int64) error {
			b = AppendEnvelope(b[:0], seq, stamp)
			return c.WriteMessage(websocket.TextMessage, b)
		})
		<-gone
	})
}
