package mangahub

import "context"

// Source says which transport a change came through.
type Source string

// Sources.
const (
	SourceHTTP Source = "http"
	SourceTCP  Source = "tcp"
	SourceWS   Source = "ws"
)

// Origin identifies who made a change, so that the change is pushed to every
// other connection of the user but never back to the one that sent it.
type Origin struct {
	Source Source `json:"source"`
	// ConnectionID is the sending connection (unique across instances);
	// empty for HTTP.
	ConnectionID string `json:"connection_id,omitempty"`
}

// EventType tells what happened.
type EventType string

// Event types.
const (
	EventProgressUpdated EventType = "progress_updated"
	EventProgressDeleted EventType = "progress_deleted"
)

// Event is an applied change to a user's progress, published on the Bus.
type Event struct {
	Type     EventType `json:"type"`
	UserID   string    `json:"user_id"`
	MangaID  int64     `json:"manga_id"`
	Progress *Progress `json:"progress,omitempty"` // set for EventProgressUpdated
	Origin   Origin    `json:"origin"`
}

// Bus carries events to every instance of a cluster: in process by default,
// over Redis pub/sub when several instances share one database.
type Bus interface {
	// Publish hands ev to every subscriber on every instance. It must not
	// block on slow subscribers.
	Publish(ctx context.Context, ev Event) error
	// Subscribe registers fn for every event; fn must not block. The returned
	// function unsubscribes.
	Subscribe(fn func(Event)) (unsubscribe func())
}
