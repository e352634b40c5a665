package pusher

import (
	"encoding/json"
	"errors"
)

// presenceData is the data of a presence channel's
// pusher_internal:subscription_succeeded.
type presenceData struct {
	Presence struct {
		IDs   []json.RawMessage          `json:"ids"`
		Hash  map[string]json.RawMessage `json:"hash"`
		Count int                        `json:"count"`
	} `json:"presence"`
}

// decodeMembers reads the member list of a subscription_succeeded frame.
func decodeMembers(f Frame) (map[string]Member, error) {
	var d presenceData
	if err := decodeData(f, &d); err != nil {
		return nil, err
	}
	m := make(map[string]Member, len(d.Presence.Hash))
	for id, info := range d.Presence.Hash {
		m[id] = Member{ID: id, Info: nullToNil(info)}
	}
	for _, raw := range d.Presence.IDs {
		id, err := flexID(raw)
		if err != nil {
			return nil, &DecodeError{Event: f.Event, Err: errors.New("presence.ids: " + err.Error())}
		}
		if _, ok := m[id]; !ok && id != "" {
			m[id] = Member{ID: id}
		}
	}
	return m, nil
}

// memberData is the data of member_added and member_removed, and the
// channel data of a presence authorization.
type memberData struct {
	UserID   json.RawMessage `json:"user_id"`
	UserInfo json.RawMessage `json:"user_info"`
}

func decodeMember(f Frame) (Member, error) {
	var d memberData
	if err := decodeData(f, &d); err != nil {
		return Member{}, err
	}
	id, err := flexID(d.UserID)
	if err != nil || id == "" {
		return Member{}, &DecodeError{Event: f.Event, Err: errors.New("no valid user_id")}
	}
	return Member{ID: id, Info: nullToNil(d.UserInfo)}, nil
}

// channelDataUserID reads the user id from a presence authorization's
// channel data; "" when there is none.
func channelDataUserID(channelData string) string {
	var d memberData
	if json.Unmarshal([]byte(channelData), &d) != nil {
		return ""
	}
	id, _ := flexID(d.UserID)
	return id
}

func nullToNil(raw json.RawMessage) json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	return raw
}
