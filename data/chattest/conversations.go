package chattest

import (
	"fmt"
	"slices"
)

// CreateConversation creates a conversation with the given members (in
// that order; repeats are ignored). Every member receives a
// conversation.update with action "created" (kept for sync when offline).
func (s *Server) CreateConversation(id, title string, memberIDs ...string) error {
	if id == "" {
		return fmt.Errorf("%w: empty conversation id", ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.convs[id] != nil {
		return fmt.Errorf("%w: conversation %q", ErrExists, id)
	}
	cv := &conversation{id: id, title: title, read: make(map[string]int), byID: make(map[string]int), updatedAt: s.now()}
	for _, m := range memberIDs {
		if m == "" {
			return fmt.Errorf("%w: empty member id", ErrInvalid)
		}
		if !cv.isMember(m) {
			cv.members = append(cv.members, m)
			cv.read[m] = -1
		}
	}
	s.convs[id] = cv
	for _, m := range cv.members {
		s.emitLocked(m, TypeConversationUpdate, s.convUpdateLocked(cv, "created", m))
	}
	return nil
}

// AddMember adds userID to a conversation; it starts with nothing unread.
// Every member, the new one included, receives conversation.update
// "member_added".
func (s *Server) AddMember(conversationID, userID string) error {
	if userID == "" {
		return fmt.Errorf("%w: empty member id", ErrInvalid)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cv := s.convs[conversationID]
	if cv == nil {
		return fmt.Errorf("%w: conversation %q", ErrNotFound, conversationID)
	}
	if cv.isMember(userID) {
		return fmt.Errorf("%w: member %q of %q", ErrExists, userID, conversationID)
	}
	cv.members = append(cv.members, userID)
	cv.read[userID] = len(cv.messages) - 1
	cv.updatedAt = s.now()
	for _, m := range cv.members {
		s.emitLocked(m, TypeConversationUpdate, s.convUpdateLocked(cv, "member_added", m))
	}
	return nil
}

// RemoveMember removes userID from a conversation. The remaining members
// and the removed user receive conversation.update "member_removed".
func (s *Server) RemoveMember(conversationID, userID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cv := s.convs[conversationID]
	if cv == nil {
		return fmt.Errorf("%w: conversation %q", ErrNotFound, conversationID)
	}
	if !cv.isMember(userID) {
		return fmt.Errorf("%w: member %q of %q", ErrNotFound, userID, conversationID)
	}
	cv.members = slices.DeleteFunc(cv.members, func(m string) bool { return m == userID })
	delete(cv.read, userID)
	cv.updatedAt = s.now()
	for _, m := range append(slices.Clone(cv.members), userID) {
		s.emitLocked(m, TypeConversationUpdate, s.convUpdateLocked(cv, "member_removed", m))
	}
	return nil
}

// RenameConversation changes a conversation's title; every member receives
// conversation.update "updated".
func (s *Server) RenameConversation(conversationID, title string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cv := s.convs[conversationID]
	if cv == nil {
		return fmt.Errorf("%w: conversation %q", ErrNotFound, conversationID)
	}
	cv.title = title
	cv.updatedAt = s.now()
	for _, m := range cv.members {
		s.emitLocked(m, TypeConversationUpdate, s.convUpdateLocked(cv, "updated", m))
	}
	return nil
}

// DeleteConversation deletes a conversation and its messages; every member
// receives conversation.update "deleted" (conversation_id, action and
// updated_at only).
func (s *Server) DeleteConversation(conversationID string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cv := s.convs[conversationID]
	if cv == nil {
		return fmt.Errorf("%w: conversation %q", ErrNotFound, conversationID)
	}
	delete(s.convs, conversationID)
	p := mustJSON(conversationUpdatePayload{ConversationID: cv.id, Action: "deleted", UpdatedAt: s.now()})
	for _, m := range cv.members {
		s.emitLocked(m, TypeConversationUpdate, p)
	}
	return nil
}

// Post stores a message as if m.SenderID had sent it (a backend or a bot
// posting) and fans it out like a client's chat.message. ConversationID,
// SenderID and Content or Attachments are required; Kind defaults to text;
// ID and CreatedAt are assigned; a ClientID the sender already used returns
// the original message. Protocol violations return an error wrapping
// ErrNotFound or ErrInvalid.
func (s *Server) Post(m Message) (Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if m.ClientID != "" {
		if r := s.userLocked(m.SenderID).sent[m.ClientID]; r != nil {
			return cloneMessage(r.msg), nil
		}
	}
	out, pe := s.postLocked(m)
	if pe != nil {
		base := ErrInvalid
		if pe.code == CodeNotFound {
			base = ErrNotFound
		}
		return Message{}, fmt.Errorf("%w: %s", base, pe.msg)
	}
	return cloneMessage(out), nil
}

// Messages returns a conversation's messages, oldest first.
func (s *Server) Messages(conversationID string) ([]Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cv := s.convs[conversationID]
	if cv == nil {
		return nil, fmt.Errorf("%w: conversation %q", ErrNotFound, conversationID)
	}
	out := make([]Message, len(cv.messages))
	for i, r := range cv.messages {
		out[i] = cloneMessage(r.msg)
	}
	return out, nil
}

// UnreadCount returns how many messages from others userID has not read
// in a conversation.
func (s *Server) UnreadCount(conversationID, userID string) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cv := s.convs[conversationID]
	if cv == nil {
		return 0, fmt.Errorf("%w: conversation %q", ErrNotFound, conversationID)
	}
	if !cv.isMember(userID) {
		return 0, fmt.Errorf("%w: member %q of %q", ErrNotFound, userID, conversationID)
	}
	return cv.unread(userID), nil
}

// Members returns a conversation's member ids in the order they joined.
func (s *Server) Members(conversationID string) ([]string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	cv := s.convs[conversationID]
	if cv == nil {
		return nil, fmt.Errorf("%w: conversation %q", ErrNotFound, conversationID)
	}
	return slices.Clone(cv.members), nil
}

// convUpdateLocked encodes a conversation.update for forUser: the
// conversation's snapshot with forUser's unread_count (left out when
// forUser is not a member). The caller holds s.mu.
func (s *Server) convUpdateLocked(cv *conversation, action, forUser string) []byte {
	p := conversationUpdatePayload{
		ConversationID: cv.id,
		Action:         action,
		Title:          cv.title,
		ParticipantIDs: slices.Clone(cv.members),
		LastMessage:    cv.lastMessage(),
		UpdatedAt:      cv.updatedAt,
	}
	if cv.isMember(forUser) {
		n := cv.unread(forUser)
		p.UnreadCount = &n
	}
	return mustJSON(p)
}

func cloneMessage(m Message) Message {
	m.Attachments = slices.Clone(m.Attachments)
	return m
}
