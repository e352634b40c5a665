package peer

import (
	"encoding/json"
	"net/http"
	"sync"

	"github.com/gorilla/websocket"
)

// PusherEvent is the event name of the run's messages on the Pusher path
// (Laravel's broadcastAs "message.sent", which the laravel data source's
// default ".message.sent" matches).
const PusherEvent = "message.sent"

// PusherHandler serves a minimal Pusher Channels protocol 7 server at
// /app/{key}: connection_established, pusher:ping answered, every
// pusher:subscribe accepted without checking auth, and on a channel whose
// name ends in a run name (conversation.flood-100000) the run's messages
// as PusherEvent events whose data is the chat payload as a JSON string,
// as Laravel broadcasts it.
func PusherHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := upgrader.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		var mu sync.Mutex // the reader answers while a run writes
		write := func(b []byte) error {
			mu.Lock()
			defer mu.Unlock()
			return c.WriteMessage(websocket.TextMessage, b)
		}
		if write([]byte(`{"event":"pusher:connection_established","data":"{\"socket_id\":\"1234.5678\",\"activity_timeout\":120}"}`)) != nil {
			return
		}
		var runs sync.WaitGroup
		defer runs.Wait()
		for {
			_, msg, err := c.ReadMessage()
			if err != nil {
				return
			}
			var f struct {
				Event string `json:"event"`
				Data  struct {
					Channel string `json:"channel"`
				} `json:"data"`
			}
			if json.Unmarshal(msg, &f) != nil {
				continue
			}
			switch f.Event {
			case "pusher:ping":
				write([]byte(`{"event":"pusher:pong","data":"{}"}`))
			case "pusher:subscribe":
				ch := f.Data.Channel
				quoted, _ := json.Marshal(ch)
				if write([]byte(`{"event":"pusher_internal:subscription_succeeded","channel":`+string(quoted)+`,"data":"{}"}`)) != nil {
					return
				}
				run, err := ParseRun(ch)
				if err != nil {
					continue
				}
				runs.Go(func() {
					head := []byte(`{"event":"` + PusherEvent + `","channel":` + string(quoted) + `,"data":"`)
					var b, p []byte
					run.send(func(seq, stamp int64) error {
						p = AppendPayload(p[:0], seq, stamp)
						b = append(b[:0], head...)
						for _, c := range p { // the payload as a JSON string
							if c == '"' {
								b = append(b, '\\')
							}
							b = append(b, c)
						}
						b = append(b, `"}`...)
						return write(b)
					})
				})
			}
		}
	})
}
