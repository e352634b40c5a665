package domain

// Position is how far a session has processed the server's replayable
// events: the highest seq processed, in the numbering the server calls
// Epoch. An app that saves it can resume a later session from it, so the
// first sync replays exactly what happened in between.
type Position struct {
	// Epoch names the server's seq numbering; "" for a server that sends none.
	Epoch string
	// Seq is the highest seq processed; 0 for none.
	Seq int64
}
