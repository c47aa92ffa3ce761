package hub

import (
	"context"
	"log/slog"
	"time"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/protocol"
)

// handle answers one message. It runs on dispatch's goroutine.
func (s *session) handle(msg []byte) {
	start := time.Now()
	req, err := protocol.Decode(msg)
	if !s.authed {
		s.authenticate(req, err)
		s.logRequest(protocol.TypeAuth, start, err)
		return
	}
	if err != nil {
		s.answerError(req.ID, err)
		s.logRequest(req.Type, start, err)
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	switch req.Type {
	case protocol.TypePing:
		s.reply(protocol.Marshal(protocol.NewPong(req.ID)))
	case protocol.TypeProgressUpdate:
		err = s.update(ctx, req)
	case protocol.TypeGetProgress:
		var p *mangahub.Progress
		p, err = s.h.progress.Get(ctx, s.who.UserID, req.MangaID)
		if mangahub.IsCode(err, mangahub.CodeNotFound) {
			p, err = nil, nil
		}
		if err == nil {
			s.reply(protocol.Marshal(protocol.NewProgressReply(req.ID, p)))
		}
	case protocol.TypeListProgress:
		var items []*mangahub.Progress
		items, _, err = s.h.progress.List(ctx, mangahub.ProgressFilter{UserID: s.who.UserID})
		if err == nil {
			s.reply(protocol.Marshal(protocol.NewProgressList(req.ID, items)))
		}
	case protocol.TypeAuth:
		err = mangahub.Errorf(mangahub.CodeValidation, "already authenticated; open a new connection to act as another user")
	}
	if err != nil {
		s.answerError(req.ID, err)
	}
	s.logRequest(req.Type, start, err)
}

// update applies a change and acknowledges it in the bus's order (echo.go).
func (s *session) update(ctx context.Context, req protocol.Request) error {
	origin := mangahub.Origin{Source: s.t.Source(), ConnectionID: s.id}
	s.expectEcho()
	res, err := s.h.progress.Update(ctx, s.who.UserID, origin, req.Update)
	if err != nil || !res.Applied {
		s.endEcho()
		if err != nil {
			return err
		}
		s.reply(protocol.Marshal(protocol.NewAck(req.ID, res)))
		return nil
	}
	s.ackInOrder(protocol.Marshal(protocol.NewAck(req.ID, res)), res.Progress, s.h.busReady())
	return nil
}

// answerError replies to a failed request; the codes the contract lists as
// closing end the connection.
func (s *session) answerError(id string, err error) {
	code := mangahub.ErrorCodeOf(err)
	switch code {
	case mangahub.CodeRateLimited:
		s.h.metrics.RateLimited.WithLabelValues(string(s.t.Source())).Inc()
	case mangahub.CodeInternal, mangahub.CodeUnavailable:
		s.h.log.LogAttrs(context.Background(), slog.LevelError, "sync request failed",
			slog.String("connection_id", s.id), slog.String("user_id", s.who.UserID), slog.Any("err", err))
	}
	msg := protocol.NewError(id, err)
	if protocol.Closes(code) {
		s.fail(msg, closeReasonOf(code))
		return
	}
	s.reply(protocol.Marshal(msg))
}

// authenticate handles the first message. Anything but a valid auth with a
// good token ends the connection; success registers the session with its
// user, within the per-user cap. Input that is not JSON at all is not an
// auth message either, so it is unauthenticated (CONTRACT.md §3: "any other
// message before auth_ok"), not invalid_json, after which the contract keeps
// connections open.
func (s *session) authenticate(req protocol.Request, decodeErr error) {
	if decodeErr != nil || req.Type != protocol.TypeAuth {
		switch {
		case mangahub.IsCode(decodeErr, mangahub.CodeMessageTooLarge):
			s.failWith(req.ID, decodeErr)
		case req.Type == protocol.TypeAuth: // an auth message with a bad token field
			s.authFailed(req.ID, mangahub.CodeAuthFailed, mangahub.ErrorMessageOf(decodeErr))
		default:
			s.failWith(req.ID, mangahub.Errorf(mangahub.CodeUnauthenticated, "authenticate first: send {\"type\":\"auth\",\"token\":\"<access token>\"}"))
		}
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), requestTimeout)
	defer cancel()
	who, err := s.h.auth.Authenticate(ctx, req.Token)
	if err != nil {
		switch code := mangahub.ErrorCodeOf(err); code {
		case mangahub.CodeTokenExpired:
			s.authFailed(req.ID, code, "access token expired; refresh it and reconnect")
		case mangahub.CodeUnavailable, mangahub.CodeInternal:
			s.h.log.LogAttrs(context.Background(), slog.LevelError, "sync authentication failed",
				slog.String("connection_id", s.id), slog.Any("err", err))
			s.failWith(req.ID, err)
		default:
			s.authFailed(req.ID, mangahub.CodeAuthFailed, "invalid access token")
		}
		return
	}
	s.who = who
	// Watch before auth_ok: from then on the client may count on every
	// change of its user reaching it, whichever instance made it. A bus that
	// cannot watch (Redis down) still delivers this instance's changes.
	unwatch, err := s.h.bus.Watch(ctx, who.UserID)
	if err != nil {
		s.h.log.LogAttrs(context.Background(), slog.LevelWarn, "cannot watch the user's events on the bus; pushes from other instances will be missed",
			slog.String("connection_id", s.id), slog.String("user_id", who.UserID), slog.Any("err", err))
	}
	s.unwatch = unwatch
	if err := s.h.register(s); err != nil {
		if err == errStopping {
			s.finish(shutdownLine, CloseGoingAway, true)
			return
		}
		s.failWith(req.ID, err)
		return
	}
	s.authed = true
	s.reply(protocol.Marshal(protocol.NewAuthOK(req.ID, who, s.id)))
	s.h.log.LogAttrs(context.Background(), slog.LevelInfo, "sync connection authenticated",
		slog.String("connection_id", s.id), slog.String("user_id", who.UserID),
		slog.String("transport", string(s.t.Source())), slog.String("remote_addr", s.t.RemoteAddr()))
}

func (s *session) authFailed(id string, code mangahub.ErrorCode, message string) {
	s.h.metrics.AuthFailures.WithLabelValues(string(s.t.Source())).Inc()
	s.h.log.LogAttrs(context.Background(), slog.LevelInfo, "sync authentication refused",
		slog.String("connection_id", s.id), slog.String("code", string(code)),
		slog.String("remote_addr", s.t.RemoteAddr()))
	s.fail(protocol.Error{Type: protocol.TypeError, ID: id, Code: code, Message: message}, ClosePolicy)
}

// failWith answers with err and closes, whatever its code: before auth_ok
// every error ends the connection.
func (s *session) failWith(id string, err error) {
	s.fail(protocol.NewError(id, err), closeReasonOf(mangahub.ErrorCodeOf(err)))
}

func closeReasonOf(code mangahub.ErrorCode) CloseReason {
	switch code {
	case mangahub.CodeMessageTooLarge:
		return CloseTooLarge
	case mangahub.CodeTooManyConnections, mangahub.CodeUnavailable:
		return CloseTryAgainLater
	case mangahub.CodeInternal:
		return CloseInternal
	}
	return ClosePolicy
}

// logRequest logs at debug level: at thousands of updates per second,
// info-level request logs would cost more than the requests.
func (s *session) logRequest(op string, start time.Time, err error) {
	ctx := context.Background()
	if !s.h.log.Enabled(ctx, slog.LevelDebug) {
		return
	}
	attrs := []slog.Attr{
		slog.String("connection_id", s.id), slog.String("user_id", s.who.UserID),
		slog.String("operation", op),
		slog.Float64("latency_ms", float64(time.Since(start).Microseconds())/1000),
	}
	if err != nil {
		attrs = append(attrs, slog.String("code", string(mangahub.ErrorCodeOf(err))))
	}
	s.h.log.LogAttrs(ctx, slog.LevelDebug, "sync request", attrs...)
}
