package httpapi

import (
	"context"
	"slices"
	"strings"
)

// Connections reports the live sync connections of this instance, per user
// (hub.Hub). A per-user Prometheus label would be a cardinality trap, so
// operators get this admin route instead.
type Connections interface {
	InstanceID() string
	ConnectionsByUser() map[string]int
}

type userConnections struct {
	UserID      string `json:"user_id"`
	Connections int    `json:"connections"`
}

type connectionsOutput struct {
	Body struct {
		Instance string            `json:"instance" doc:"The instance that answered; counts are this instance's."`
		Total    int               `json:"total" doc:"Live authenticated TCP and WebSocket connections."`
		Items    []userConnections `json:"items" nullable:"false" doc:"Users with live connections, most connections first."`
	}
}

func (s *server) handleAdminConnections(context.Context, *struct{}) (*connectionsOutput, error) {
	out := &connectionsOutput{}
	out.Body.Items = []userConnections{}
	if s.conns == nil {
		return out, nil
	}
	out.Body.Instance = s.conns.InstanceID()
	for u, n := range s.conns.ConnectionsByUser() {
		out.Body.Items = append(out.Body.Items, userConnections{UserID: u, Connections: n})
		out.Body.Total += n
	}
	slices.SortFunc(out.Body.Items, func(a, b userConnections) int {
		if a.Connections != b.Connections {
			return b.Connections - a.Connections
		}
		return strings.Compare(a.UserID, b.UserID)
	})
	return out, nil
}
