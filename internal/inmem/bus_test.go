package inmem_test

import (
	"context"
	"testing"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/inmem"
)

func TestBusDeliversToEverySubscriberUntilUnsubscribed(t *testing.T) {
	bus := inmem.NewBus()
	var a, b []mangahub.Event
	unsubA := bus.Subscribe(func(ev mangahub.Event) { a = append(a, ev) })
	bus.Subscribe(func(ev mangahub.Event) { b = append(b, ev) })

	first := mangahub.Event{Type: mangahub.EventProgressDeleted, UserID: "u", MangaID: 1}
	if err := bus.Publish(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	unsubA()
	second := mangahub.Event{Type: mangahub.EventProgressDeleted, UserID: "u", MangaID: 2}
	if err := bus.Publish(context.Background(), second); err != nil {
		t.Fatal(err)
	}
	if len(a) != 1 || a[0] != first {
		t.Errorf("unsubscribed subscriber got %+v, want only the first event", a)
	}
	if len(b) != 2 || b[0] != first || b[1] != second {
		t.Errorf("subscriber got %+v, want both events in order", b)
	}
}
