package testenv_test

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/mangahub/mangahub/internal/testenv"
)

func TestEventuallyReturnsOnceTheConditionHolds(t *testing.T) {
	var calls atomic.Int32
	start := time.Now()
	testenv.Eventually(t, 10*time.Second, "the third call", func() bool { return calls.Add(1) >= 3 })
	if n := calls.Load(); n != 3 {
		t.Errorf("cond called %d times, want 3", n)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Errorf("returned after %s", waited)
	}
}

func TestEventuallyFailsAtTheDeadline(t *testing.T) {
	r, _ := observe(t, func(tb testing.TB) string {
		testenv.Eventually(tb, 20*time.Millisecond, "never", func() bool { return false })
		return ""
	})
	if !r.failed || r.msg != "waited 20ms for never" {
		t.Errorf("failed %t with %q, want a failure naming what it waited for", r.failed, r.msg)
	}
}
