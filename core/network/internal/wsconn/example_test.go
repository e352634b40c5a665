package wsconn_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/chatwire/chatwire/core/network/internal/wsconn"
)

// echoSocket is a Transport whose peer echoes every text frame and answers
// our close frame at once.
type echoSocket struct {
	echo     chan []byte
	gone     chan struct{} // closed when the peer has answered or the socket dropped
	goneOnce sync.Once
}

func (s *echoSocket) Write(data []byte, ping bool) error {
	if !ping {
		s.echo <- append([]byte(nil), data...)
	}
	return nil
}
func (s *echoSocket) Shutdown(code int, reason string) { s.Drop() }
func (s *echoSocket) Drop()                            { s.goneOnce.Do(func() { close(s.gone) }) }
func (s *echoSocket) Release()                         {}

// A client keeps a Conn, opens it around its own dial, runs its own reader
// and hands its socket to WriteLoop.
func Example() {
	errs := &wsconn.Errors{
		Closed:       errors.New("closed"),
		NotConnected: errors.New("not connected"),
		ConnectTwice: errors.New("connect called twice"),
		CloseError: func(code int, reason string, local bool, err error) error {
			return fmt.Errorf("closed with %d %q (local %v)", code, reason, local)
		},
	}
	var c wsconn.Conn
	c.Init(errs, wsconn.DefaultWriteQueue)

	// Connect: the dial sits between BeginDial and EndDial.
	sock := &echoSocket{echo: make(chan []byte, 1), gone: make(chan struct{})}
	if err := c.BeginDial(nil); err != nil {
		panic(err)
	}
	if err := c.EndDial(sock, nil); err != nil {
		panic(err)
	}
	go func() { // the reader goroutine
		defer c.EndRead()
		for {
			select {
			case f := <-sock.echo:
				c.Deliver(f)
			case <-sock.gone:
				return
			}
		}
	}()
	go c.WriteLoop(sock)

	if err := c.Send(context.Background(), []byte("hello")); err != nil {
		panic(err)
	}
	fmt.Printf("%s\n", <-c.Frames())

	c.Close(1000, "bye")
	c.Wait(5*time.Second, sock)
	fmt.Println(c.Err())
	// Output:
	// hello
	// closed with 1000 "bye" (local true)
}
