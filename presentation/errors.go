package presentation

import "errors"

// Errors returned by notifier actions. They are matched with errors.Is;
// failures of the data source are returned wrapped, unchanged.
var (
	// ErrInvalidArgument: an action was called with missing or malformed
	// input (an empty id, an empty call list, an unknown signal kind...).
	ErrInvalidArgument = errors.New("presentation: invalid argument")
	// ErrUnknownMessage: Retry was given a client id the notifier does not
	// hold as a failed message.
	ErrUnknownMessage = errors.New("presentation: no failed message with that client id")
	// ErrCallInProgress: Call was called while another call rings or is active.
	ErrCallInProgress = errors.New("presentation: a call is already in progress")
	// ErrNoSuchCall: a call action named a call that is not the current one,
	// or the current call is not in a state that allows the action.
	ErrNoSuchCall = errors.New("presentation: no such call in a state that allows this")
)
