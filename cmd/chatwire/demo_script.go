package main

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/chatwire/chatwire/domain"
	"github.com/chatwire/chatwire/presentation"
)

// script is the story the demo tells, step by step. It returns the first
// error that stops the story (a connect that fails, ctx ending); failed
// sends are recorded and reported by verify instead.
func (d *demo) script(ctx context.Context) error {
	steps := []struct {
		name string
		run  func(context.Context) error
	}{
		{"setup", d.setup},
		{"connect", d.connectAll},
		{"chat", d.chat},
		{"read", d.read},
		{"offline", d.offline},
		{"call", d.call},
		{"outage", d.outage},
		{"settle", d.settle},
		{"crash", d.crash},
	}
	for _, s := range steps {
		if err := s.run(ctx); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}

func (d *demo) setup(context.Context) error {
	d.narrate("reference server listening on %s (in-process, loopback)", d.srv.URL)
	d.narrate("users reconnect %s after a drop, then back off up to %s (the SDK default is 5s; shortened for the demo)",
		ms(d.opts.ReconnectDelay), ms(4*d.opts.ReconnectDelay))
	if err := d.srv.CreateConversation(general, "General", alice, bob, carol); err != nil {
		return err
	}
	if err := d.srv.CreateConversation(dm, "alice & bob", alice, bob); err != nil {
		return err
	}
	d.narrate("conversations: %s (alice, bob, carol) and %s (alice, bob)", general, dm)
	return nil
}

func (d *demo) connectAll(ctx context.Context) error {
	for _, u := range []string{alice, bob, carol} {
		if err := d.connect(ctx, u, 0); err != nil {
			return fmt.Errorf("%s: %w", u, err)
		}
		if err := d.pause(ctx, 0.5); err != nil {
			return err
		}
	}
	return nil
}

func (d *demo) chat(ctx context.Context) error {
	d.narrate("chat in %s: each message shows at once as sending, then arrives everywhere", general)
	if _, err := d.say(ctx, alice, general, "hi bob, hi carol"); err != nil {
		return err
	}
	if err := d.pause(ctx, 1); err != nil {
		return err
	}
	if err := d.notifiers(bob).Typing.Keystroke(ctx, general); err != nil {
		d.fail(fmt.Errorf("bob: typing: %w", err))
	}
	if err := d.pause(ctx, 1); err != nil {
		return err
	}
	if _, err := d.say(ctx, bob, general, "hey alice!"); err != nil {
		return err
	}
	if _, err := d.say(ctx, carol, general, "morning both"); err != nil {
		return err
	}
	if err := d.pause(ctx, 1); err != nil {
		return err
	}
	d.narrate("a direct message between alice and bob")
	if _, err := d.say(ctx, alice, dm, "lunch at noon?"); err != nil {
		return err
	}
	if err := d.pause(ctx, 0.5); err != nil {
		return err
	}
	if _, err := d.say(ctx, bob, dm, "sure, see you there"); err != nil {
		return err
	}
	return d.pause(ctx, 1)
}

// read has bob and carol read everything; alice's messages move to read.
func (d *demo) read(ctx context.Context) error {
	d.narrate("bob and carol read: read receipts move alice's messages to read")
	for _, r := range []struct{ user, conv string }{{bob, general}, {carol, general}, {bob, dm}} {
		last, err := d.lastConfirmed(r.conv)
		if err != nil {
			return err
		}
		if err := d.waitDelivered(ctx, r.user, last.ID); err != nil {
			return fmt.Errorf("%s waiting for %s: %w", r.user, short(last.ID), err)
		}
		if err := d.notifiers(r.user).Conversations.MarkRead(ctx, r.conv, last.ID); err != nil {
			d.fail(fmt.Errorf("%s: mark read: %w", r.user, err))
		}
	}
	return d.pause(ctx, 1)
}

// offline closes carol's app; the others chat on; she comes back with a
// new data source that resumes from the last seq she processed.
func (d *demo) offline(ctx context.Context) error {
	d.narrate("carol goes offline: her app closes")
	d.disconnect(carol)
	seq := d.users[carol].rec.lastSeq()
	d.narrate("carol's app persisted the last seq it processed: %d", seq)
	if err := d.pause(ctx, 0.5); err != nil {
		return err
	}
	var missed []string
	for _, s := range []struct{ user, text string }{{alice, "carol, this waits for you"}, {bob, "+1, see you later carol"}} {
		m, err := d.say(ctx, s.user, general, s.text)
		if err != nil {
			return err
		}
		missed = append(missed, m.ID)
	}
	if err := d.pause(ctx, 1); err != nil {
		return err
	}
	d.narrate("carol comes back: a new data source resumes from seq %d, and sync replays what she missed", seq)
	if err := d.connect(ctx, carol, seq); err != nil {
		return fmt.Errorf("carol: %w", err)
	}
	if err := d.waitDelivered(ctx, carol, missed...); err != nil {
		return fmt.Errorf("carol's replay: %w", err)
	}
	return d.pause(ctx, 1)
}

// call: alice calls bob, bob accepts, alice hangs up.
func (d *demo) call(ctx context.Context) error {
	d.narrate("alice calls bob (audio): ringing → active → ended")
	c, err := d.notifiers(alice).Calls.Call(ctx, dm, []string{bob}, domain.MediaAudio)
	if err != nil {
		d.fail(fmt.Errorf("alice: call: %w", err))
		return nil
	}
	in, err := waitState(ctx, d.notifiers(bob).Calls.Changes, func(v presentation.Call) bool {
		return v.ID == c.ID && v.Phase == presentation.CallIncomingRinging
	})
	if err != nil {
		return fmt.Errorf("bob waiting for the call to ring: %w", err)
	}
	if err := d.pause(ctx, 1); err != nil {
		return err
	}
	if err := d.notifiers(bob).Calls.Accept(ctx, in.ID); err != nil {
		d.fail(fmt.Errorf("bob: accept: %w", err))
		return nil
	}
	if _, err := waitState(ctx, d.notifiers(alice).Calls.Changes, func(v presentation.Call) bool {
		return v.ID == c.ID && v.Phase == presentation.CallActive
	}); err != nil {
		return fmt.Errorf("alice waiting for the call to be answered: %w", err)
	}
	if err := d.pause(ctx, 2); err != nil {
		return err
	}
	if err := d.notifiers(alice).Calls.Hangup(ctx, c.ID); err != nil {
		d.fail(fmt.Errorf("alice: hang up: %w", err))
		return nil
	}
	if _, err := waitState(ctx, d.notifiers(bob).Calls.Changes, func(v presentation.Call) bool {
		return v.ID == c.ID && v.Phase == presentation.CallEnded
	}); err != nil {
		return fmt.Errorf("bob waiting for the call to end: %w", err)
	}
	return d.pause(ctx, 1)
}

// outage stops the server while messages keep being sent, and starts it
// again on the same address: the sends wait in the outbox, every user
// reconnects and syncs, nothing is lost or doubled.
func (d *demo) outage(ctx context.Context) error {
	d.tr.line("server", kindFault, "server stops: listener down, every connection dropped without a close frame")
	d.srv.Stop()
	d.narrate("messages keep being sent while the server is down; they wait in each user's outbox")
	var wg sync.WaitGroup
	for i, s := range []struct{ user, conv, text string }{
		{alice, general, "anyone there? (sent while the server is down)"},
		{bob, general, "my connection dropped too"},
		{alice, dm, "if you read this, nothing was lost"},
		{carol, general, "queued on my side as well"},
	} {
		if i > 0 {
			if err := d.pause(ctx, 0.25); err != nil {
				break
			}
		}
		wg.Go(func() { _, _ = d.say(ctx, s.user, s.conv, s.text) })
	}
	err := d.pause(ctx, float64(d.opts.Downtime)/float64(d.opts.Beat))
	d.tr.line("server", kindFault, "server starts again on the same address (state kept)")
	if serr := d.srv.Start(); serr != nil {
		err = errors.Join(err, fmt.Errorf("restart server: %w", serr))
	}
	wg.Wait()
	if err != nil {
		return err
	}
	for _, u := range []string{alice, bob, carol} {
		if _, err := waitState(ctx, d.notifiers(u).Connection.Changes, func(c presentation.Connection) bool {
			return c.Status == domain.Connected && c.Sync != domain.Syncing
		}); err != nil {
			return fmt.Errorf("%s waiting to reconnect: %w", u, err)
		}
	}
	d.narrate("everyone is back")
	if _, err := d.say(ctx, bob, general, "all back? I got everything"); err != nil {
		return err
	}
	return d.pause(ctx, 1)
}

// settle waits until every member has every confirmed message (or the
// demo's time is up; verify then says what is missing).
func (d *demo) settle(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second+10*d.opts.Beat)
	defer cancel()
	for _, u := range []string{alice, bob, carol} {
		var want []string
		for _, m := range d.confirmed() {
			if d.isMember(m.ConversationID, u) {
				want = append(want, m.ID)
			}
		}
		if err := d.waitDelivered(ctx, u, want...); err != nil {
			d.fail(fmt.Errorf("%s did not receive every message: %w", u, err))
		}
	}
	return nil
}

func (d *demo) isMember(convID, user string) bool {
	members, err := d.srv.Members(convID)
	return err == nil && slices.Contains(members, user)
}

// lastConfirmed returns the last confirmed message of a conversation.
func (d *demo) lastConfirmed(convID string) (domain.Message, error) {
	sent := d.confirmed()
	for i := len(sent) - 1; i >= 0; i-- {
		if sent[i].ConversationID == convID {
			return sent[i], nil
		}
	}
	return domain.Message{}, fmt.Errorf("no confirmed message in %s", convID)
}

// waitDelivered waits until user has received every message in ids.
func (d *demo) waitDelivered(ctx context.Context, user string, ids ...string) error {
	return d.users[user].rec.waitFor(ctx, func(got []domain.Message) bool {
		for _, id := range ids {
			if !slices.ContainsFunc(got, func(m domain.Message) bool { return m.ID == id }) {
				return false
			}
		}
		return true
	})
}

// waitState reads a notifier's Changes until ok holds, ctx ends or the
// notifier closes.
func waitState[T any](ctx context.Context, changes func(context.Context) <-chan T, ok func(T) bool) (T, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	for v := range changes(ctx) {
		if ok(v) {
			return v, nil
		}
	}
	var zero T
	if err := ctx.Err(); err != nil {
		return zero, err
	}
	return zero, errors.New("notifier closed")
}
