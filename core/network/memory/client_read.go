package memory

import (
	"github.com/chatwire/chatwire/core/network"
)

// readLoop is the reader goroutine: it delivers text frames, answers pings
// and close frames, enforces the read limit and records why the connection
// ended.
func (c *Client) readLoop(ep *endpoint) {
	defer c.core.EndRead()
	for {
		p, err := ep.recv(nil)
		if err != nil {
			c.core.SetCause(&network.CloseError{Code: network.CloseAbnormal, Err: err})
			return
		}
		switch p.op {
		case opText:
			if c.opts.ReadLimit > 0 && int64(len(p.data)) > c.opts.ReadLimit {
				c.core.SetCause(&network.CloseError{Code: network.CloseMessageTooBig, Local: true, Err: network.ErrFrameTooLarge})
				if ep.send(packet{op: opClose, code: network.CloseMessageTooBig}, nil, c.opts.CloseTimeout) == nil {
					ep.awaitClose(c.opts.CloseTimeout)
				}
				return
			}
			c.core.Deliver(p.data)
		case opPing:
			ep.send(packet{op: opPong, data: p.data}, nil, c.opts.WriteTimeout)
		case opPong:
			c.pongs.Resolve(string(p.data))
		case opClose:
			c.core.SetCause(&network.CloseError{Code: p.code, Reason: p.reason})
			ep.send(packet{op: opClose, code: p.code}, nil, c.opts.CloseTimeout) // errCloseSent if we closed first
			return
		}
	}
}
