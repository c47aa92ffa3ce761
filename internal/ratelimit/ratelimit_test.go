package ratelimit_test

import (
	"testing"
	"time"

	"github.com/mangahub/mangahub/internal/ratelimit"
)

func TestParseLimit(t *testing.T) {
	tests := []struct {
		in   string
		want ratelimit.Limit
		bad  bool
	}{
		{in: "20/s,burst=40", want: ratelimit.Limit{Rate: 20, Burst: 40}},
		{in: "1/s,burst=20", want: ratelimit.Limit{Rate: 1, Burst: 20}},
		{in: "5/s", want: ratelimit.Limit{Rate: 5, Burst: 5}},
		{in: "60/m", want: ratelimit.Limit{Rate: 1, Burst: 1}},
		{in: "fast", bad: true},
		{in: "0/s", bad: true},
		{in: "5/d", bad: true},
		{in: "5/s,burst=0", bad: true},
		{in: "5/s,size=3", bad: true},
	}
	for _, tt := range tests {
		got, err := ratelimit.ParseLimit(tt.in)
		if tt.bad != (err != nil) || !tt.bad && got != tt.want {
			t.Errorf("ParseLimit(%q) = %v, %v", tt.in, got, err)
		}
	}
}

type clock struct{ t time.Time }

func (c *clock) now() time.Time { return c.t }

func TestKeyedAllow(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	k := ratelimit.New(ratelimit.Limit{Rate: 2, Burst: 3}, c.now)
	for i := range 3 {
		if ok, _, _ := k.Allow(t.Context(), "alice"); !ok {
			t.Fatalf("request %d refused within the burst", i)
		}
	}
	ok, wait, _ := k.Allow(t.Context(), "alice")
	if ok || wait <= 0 || wait > 500*time.Millisecond {
		t.Fatalf("4th request: ok=%v wait=%s, want refused with wait in (0, 500ms]", ok, wait)
	}
	if ok, _, _ := k.Allow(t.Context(), "bob"); !ok {
		t.Fatal("another key shares alice's bucket")
	}
	c.t = c.t.Add(wait)
	if ok, _, _ := k.Allow(t.Context(), "alice"); !ok {
		t.Fatal("refused after waiting the advertised time")
	}
}

func TestKeyedPeekTake(t *testing.T) {
	c := &clock{t: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	k := ratelimit.New(ratelimit.Limit{Rate: 1, Burst: 2}, c.now)
	if ok, _, _ := k.Peek(t.Context(), "u"); !ok {
		t.Fatal("fresh key refused")
	}
	_ = k.Take(t.Context(), "u")
	_ = k.Take(t.Context(), "u")
	ok, wait, _ := k.Peek(t.Context(), "u")
	if ok || wait <= 0 || wait > time.Second {
		t.Fatalf("after two failures: ok=%v wait=%s", ok, wait)
	}
	c.t = c.t.Add(time.Second)
	if ok, _, _ := k.Peek(t.Context(), "u"); !ok {
		t.Fatal("still refused after a token refilled")
	}
}
