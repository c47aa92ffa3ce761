package testenv

import (
	"testing"
	"time"
)

// pollEvery is how often Eventually asks again: often enough that a test
// waits little past the moment its condition holds, seldom enough that the
// polling does not compete with what it waits for.
const pollEvery = 5 * time.Millisecond

// Eventually polls cond until it holds, and fails tb (naming what it waited
// for) when within passes first or the test ends. It is the one way tests
// wait for a condition: never a bare sleep, which passes on a fast machine
// and fails, or worse passes wrongly, on a slow one.
func Eventually(tb testing.TB, within time.Duration, what string, cond func() bool) {
	tb.Helper()
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	tick := time.NewTicker(pollEvery)
	defer tick.Stop()
	for !cond() {
		select {
		case <-tick.C:
		case <-deadline.C:
			if cond() {
				return
			}
			tb.Fatalf("waited %s for %s", within, what)
		case <-tb.Context().Done():
			tb.Fatalf("test ended while waiting for %s", what)
		}
	}
}
