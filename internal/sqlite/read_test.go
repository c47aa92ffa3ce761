package sqlite

import (
	"fmt"
	"testing"
)

// The statement cache holds at most maxShapes statements; queries beyond
// them still run, unprepared, and give their results.
func TestShapeStmtsBound(t *testing.T) {
	ctx := t.Context()
	db, err := Open(ctx, ":memory:")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var c shapeStmts
	defer c.close()
	for round := range 2 {
		for i := range maxShapes + 10 {
			rows, err := c.query(ctx, db.read, fmt.Sprintf("SELECT ? + %d", i), 1000)
			if err != nil {
				t.Fatalf("round %d, query %d: %v", round, i, err)
			}
			var got int
			for rows.Next() {
				if err := rows.Scan(&got); err != nil {
					t.Fatal(err)
				}
			}
			if err := rows.Close(); err != nil {
				t.Fatal(err)
			}
			if got != 1000+i {
				t.Fatalf("round %d, query %d: %d, want %d", round, i, got, 1000+i)
			}
		}
	}
	c.mu.Lock()
	n := c.n
	c.mu.Unlock()
	if n != maxShapes {
		t.Errorf("%d statements cached, want %d", n, maxShapes)
	}
}
