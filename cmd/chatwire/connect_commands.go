package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/presentation"
)

// client runs connect's commands against one session. It is used from one
// goroutine (runConnect's loop).
type client struct {
	sess    *session
	tr      *transcript
	conv    string
	refused int // sends refused so far
}

const connectHelp = `commands:
  <text>          send text to the current conversation
  /typing         tell the others you are typing
  /read           mark the conversation read up to its latest message
  /call <user>    place an audio call to user in this conversation
  /accept         accept the incoming call
  /reject         reject the incoming call
  /hangup         cancel, reject or end the current call
  /conv <id>      switch to another conversation
  /wait <dur>     pause reading input (for scripts), e.g. /wait 2s
  /help           this text
  /quit           leave (so does end of input)`

// handle runs one line and reports whether the client should quit. A bad
// command or a failed action is printed and the session goes on.
func (c *client) handle(ctx context.Context, line string) (quit bool) {
	line = strings.TrimSpace(line)
	if line == "" {
		return false
	}
	if !strings.HasPrefix(line, "/") {
		c.report(c.send(ctx, line))
		return false
	}
	name, arg, _ := strings.Cut(line, " ")
	arg = strings.TrimSpace(arg)
	var err error
	switch name {
	case "/quit", "/exit":
		return true
	case "/help":
		c.tr.text(connectHelp)
	case "/typing":
		err = c.typing(ctx)
	case "/read":
		err = c.read(ctx)
	case "/call":
		err = c.call(ctx, arg)
	case "/accept":
		err = c.accept(ctx)
	case "/reject":
		err = c.reject(ctx)
	case "/hangup":
		err = c.hangup(ctx)
	case "/conv":
		err = c.switchConv(ctx, arg)
	case "/wait":
		err = c.wait(ctx, arg)
	default:
		err = fmt.Errorf("%w: unknown command %q; /help lists the commands", errBadCommand, name)
	}
	c.report(err)
	return false
}

// report prints err and counts it when it refused a send.
func (c *client) report(err error) {
	if err == nil {
		return
	}
	c.tr.line("", kindError, "%v", err)
	if !errors.Is(err, errBadCommand) {
		c.refused++
	}
}

// outcome is runConnect's result once the input is done: errRefused when
// a send was refused.
func (c *client) outcome() error {
	if c.refused > 0 {
		return fmt.Errorf("%w: %d send(s)", errRefused, c.refused)
	}
	return nil
}

func (c *client) notifiers() *presentation.Notifiers { return c.sess.n }

// send sends text; the watcher prints it as sending, then sent.
func (c *client) send(ctx context.Context, text string) error {
	draft := domain.MessageDraft{ConversationID: c.conv, Content: text}
	if ss, ok := c.sess.src.(*storedSource); ok { // --store: queue and go on
		ss.queue(ctx, c.notifiers().Messages, draft, c.tr)
		return nil
	}
	_, err := c.notifiers().Messages.Send(ctx, draft)
	return err
}

func (c *client) typing(ctx context.Context) error {
	if err := c.notifiers().Typing.Keystroke(ctx, c.conv); err != nil {
		return err
	}
	c.tr.line("", kindTyping, "%s", conv(c.conv, "you are typing (the others see it until you send, or for 8s)"))
	return nil
}

// read marks the conversation read up to the latest message this client has.
func (c *client) read(ctx context.Context) error {
	id, ok := c.latestMessageID(ctx)
	if !ok {
		return fmt.Errorf("%w: no message in %s to mark read yet", errBadCommand, c.conv)
	}
	if err := c.notifiers().Conversations.MarkRead(ctx, c.conv, id); err != nil {
		return err
	}
	c.tr.line("", kindReceipt, "%s", conv(c.conv, "you marked read up to %s", short(id)))
	return nil
}

// latestMessageID returns the id of the newest confirmed message in the
// current conversation. The transcript can print a message a moment before
// the messages notifier has folded it in, so it waits briefly for one.
func (c *client) latestMessageID(ctx context.Context) (string, bool) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	changes := c.notifiers().Messages.Changes(ctx)
	for {
		list := c.notifiers().Messages.Value().In(c.conv)
		for i := len(list) - 1; i >= 0; i-- {
			if id := list[i].ID; id != "" {
				return id, true
			}
		}
		if _, ok := <-changes; !ok {
			return "", false
		}
	}
}

func (c *client) call(ctx context.Context, callee string) error {
	if callee == "" || strings.ContainsAny(callee, " \t") {
		return fmt.Errorf("%w: usage: /call <user>", errBadCommand)
	}
	_, err := c.notifiers().Calls.Call(ctx, c.conv, []string{callee}, domain.MediaAudio)
	return err
}

func (c *client) accept(ctx context.Context) error {
	cur := c.notifiers().Calls.Value()
	if cur.Phase != presentation.CallIncomingRinging {
		return fmt.Errorf("%w: no incoming call to accept (call is %s)", errBadCommand, cur.Phase)
	}
	return c.notifiers().Calls.Accept(ctx, cur.ID)
}

func (c *client) reject(ctx context.Context) error {
	cur := c.notifiers().Calls.Value()
	if cur.Phase != presentation.CallIncomingRinging {
		return fmt.Errorf("%w: no incoming call to reject (call is %s)", errBadCommand, cur.Phase)
	}
	return c.notifiers().Calls.Reject(ctx, cur.ID, "")
}

func (c *client) hangup(ctx context.Context) error {
	cur := c.notifiers().Calls.Value()
	if !cur.Phase.InProgress() {
		return fmt.Errorf("%w: no call in progress (call is %s)", errBadCommand, cur.Phase)
	}
	return c.notifiers().Calls.Hangup(ctx, cur.ID)
}

// joiner is a backend that must join a conversation's channel before it
// receives from it (the Pusher backend).
type joiner interface {
	Join(ctx context.Context, conversationID string) error
}

func (c *client) switchConv(ctx context.Context, id string) error {
	if id == "" || strings.ContainsAny(id, " \t") {
		return fmt.Errorf("%w: usage: /conv <id>", errBadCommand)
	}
	if j, ok := c.sess.src.(joiner); ok {
		if err := j.Join(ctx, id); err != nil {
			return err
		}
	}
	c.conv = id
	c.tr.line("", kindInfo, "now sending to %s", id)
	return nil
}

func (c *client) wait(ctx context.Context, arg string) error {
	d, err := time.ParseDuration(arg)
	if err != nil || d < 0 {
		return fmt.Errorf("%w: usage: /wait <duration>, e.g. /wait 2s", errBadCommand)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
	return nil
}
