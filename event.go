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
	// EventCatalogChanged says the catalog was written, so that every
	// instance's catalog read cache starts over. It travels as the events
	// of CatalogChannel, which no connection watches.
	EventCatalogChanged EventType = "catalog_changed"
)

// CatalogChannel is the Bus's user ID of catalog events: not a user's ID
// (those are UUIDs), so they never reach a device.
const CatalogChannel = "catalog"

// Event is an applied change to a user's progress, published on the Bus.
type Event struct {
	Type    EventType `json:"type"`
	UserID  string    `json:"user_id"`
	MangaID int64     `json:"manga_id"`
	// Progress is the new record, or for EventProgressDeleted the tombstone
	// (its Version is the deleted record's).
	Progress *Progress `json:"progress"`
	Origin   Origin    `json:"origin"`
}

// Bus carries events to every instance of a cluster: in process by default,
// over Redis pub/sub when several instances share one database.
type Bus interface {
	// Publish hands ev to every subscriber on every instance. It must not
	// block on slow subscribers.
	Publish(ctx context.Context, ev Event) error
	// Subscribe registers fn for the events of every user this instance
	// watches (an in-process bus may deliver all events); fn must not block.
	// The returned function unsubscribes.
	Subscribe(fn func(Event)) (unsubscribe func())
	// Watch declares that this instance has live connections of userID, so
	// that a cluster bus delivers that user's events here (an instance then
	// receives only the events it can use). It returns once the
	// subscription is in place, so that no event published after it is
	// missed. Calls nest: the user is watched until every returned unwatch
	// has been called.
	Watch(ctx context.Context, userID string) (unwatch func(), err error)
}
