package presentation

import "log/slog"

// loggerOr returns l, or a logger that discards everything when l is nil.
func loggerOr(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
