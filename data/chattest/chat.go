package chattest

import "github.com/google/uuid"

func handleChatMessage(s *Server, c *conn, _ string, payload []byte) (string, *protoErr) {
	var in inChatMessage
	pe := decode(payload, &in)
	ref := in.ClientID
	if pe != nil {
		return ref, pe
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if in.ClientID != "" {
		if r := s.userLocked(c.userID).sent[in.ClientID]; r != nil {
			// A resend: echo the original (without seq, it is not a new
			// event) to every connection of the sender.
			s.sendLocked(c.userID, TypeChatMessage, r.payload)
			return "", nil
		}
	}
	m := Message{
		ClientID:       in.ClientID,
		ConversationID: in.ConversationID,
		SenderID:       c.userID,
		Content:        in.Content,
		Kind:           in.Kind,
		ReplyTo:        in.ReplyTo,
		Attachments:    in.Attachments,
	}
	if _, pe := s.postLocked(m); pe != nil {
		return ref, pe
	}
	return "", nil
}

// postLocked validates m, stores it and fans it out as chat.message to every
// member, the sender included (that is the sender's acknowledgement). The
// caller holds s.mu.
func (s *Server) postLocked(m Message) (Message, *protoErr) {
	if m.ConversationID == "" {
		return Message{}, perr(CodeInvalidPayload, "conversation_id is required")
	}
	cv := s.convs[m.ConversationID]
	if cv == nil {
		return Message{}, perr(CodeNotFound, "conversation %q not found", m.ConversationID)
	}
	if !cv.isMember(m.SenderID) {
		return Message{}, perr(CodeForbidden, "not a member of conversation %q", m.ConversationID)
	}
	if m.Content == "" && len(m.Attachments) == 0 {
		return Message{}, perr(CodeInvalidPayload, "content or attachments required")
	}
	switch m.Kind {
	case "":
		m.Kind = "text"
	case "text", "image", "file", "system":
	default:
		return Message{}, perr(CodeInvalidPayload, "kind %q is not text, image, file or system", m.Kind)
	}
	for i, a := range m.Attachments {
		if a.URL == "" {
			return Message{}, perr(CodeInvalidPayload, "attachments[%d]: url is required", i)
		}
		if a.Size < 0 {
			return Message{}, perr(CodeInvalidPayload, "attachments[%d]: size is negative", i)
		}
	}
	if m.ReplyTo != "" {
		if _, ok := cv.byID[m.ReplyTo]; !ok {
			return Message{}, perr(CodeNotFound, "reply_to message %q not found in conversation", m.ReplyTo)
		}
	}
	m.ID = uuid.NewString()
	m.CreatedAt = s.now()
	m.Attachments = append([]Attachment(nil), m.Attachments...)
	r := &record{msg: m, payload: mustJSON(m)}
	cv.byID[m.ID] = len(cv.messages)
	cv.messages = append(cv.messages, r)
	cv.updatedAt = m.CreatedAt
	if m.ClientID != "" {
		s.userLocked(m.SenderID).sent[m.ClientID] = r
	}
	for _, id := range cv.members {
		s.emitLocked(id, TypeChatMessage, r.payload)
	}
	return m, nil
}

func handleTyping(s *Server, c *conn, _ string, payload []byte) (string, *protoErr) {
	var in inTyping
	if pe := decode(payload, &in); pe != nil {
		return "", pe
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cv, pe := s.memberConvLocked(in.ConversationID, c.userID)
	if pe != nil {
		return "", pe
	}
	p := mustJSON(typingPayload{ConversationID: cv.id, UserID: c.userID, IsTyping: in.IsTyping})
	for _, id := range cv.members {
		if id != c.userID {
			s.sendLocked(id, TypeTypingIndicator, p)
		}
	}
	return "", nil
}

func handleMessageRead(s *Server, c *conn, _ string, payload []byte) (string, *protoErr) {
	var in inMessageRead
	if pe := decode(payload, &in); pe != nil {
		return "", pe
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	cv, pe := s.memberConvLocked(in.ConversationID, c.userID)
	if pe != nil {
		return "", pe
	}
	if in.MessageID == "" {
		return "", perr(CodeInvalidPayload, "message_id is required")
	}
	idx, ok := cv.byID[in.MessageID]
	if !ok {
		return "", perr(CodeNotFound, "message %q not found in conversation", in.MessageID)
	}
	if idx > cv.read[c.userID] {
		cv.read[c.userID] = idx
	}
	p := mustJSON(messageReadPayload{ConversationID: cv.id, UserID: c.userID, MessageID: in.MessageID, ReadAt: s.now()})
	for _, id := range cv.members {
		s.emitLocked(id, TypeMessageRead, p)
	}
	s.emitLocked(c.userID, TypeConversationUpdate, s.convUpdateLocked(cv, "updated", c.userID))
	return "", nil
}

// memberConvLocked finds a conversation userID belongs to. The caller holds s.mu.
func (s *Server) memberConvLocked(convID, userID string) (*conversation, *protoErr) {
	if convID == "" {
		return nil, perr(CodeInvalidPayload, "conversation_id is required")
	}
	cv := s.convs[convID]
	if cv == nil {
		return nil, perr(CodeNotFound, "conversation %q not found", convID)
	}
	if !cv.isMember(userID) {
		return nil, perr(CodeForbidden, "not a member of conversation %q", convID)
	}
	return cv, nil
}
