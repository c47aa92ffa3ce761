package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"time"
)

// SQLite's default is to checkpoint the WAL automatically, on the
// connection whose commit pushed it past 1,000 pages, inside that commit:
// the write connection then copies the WAL into the database file and
// fsyncs both before the commit returns, and every progress write queued
// behind it (all of them: there is one write connection) waits too. Those
// were the tens-of-milliseconds stalls at the tail of the ack latency.
//
// So the write connection never checkpoints (wal_autocheckpoint=0), and a
// connection of its own does, every checkpointInterval, in PASSIVE mode: it
// copies what no reader still needs and never waits for, nor blocks, the
// writer or the readers. Once everything is copied, the writer's next
// transaction starts the WAL over from its beginning, and journal_size_limit
// cuts the file back, so the WAL stays about one interval of writes long.
const (
	checkpointInterval = 250 * time.Millisecond
	// walSizeLimit is what the WAL file is truncated to when it restarts.
	walSizeLimit = 64 << 20
)

// checkpointer runs PASSIVE checkpoints on its own connection until
// closed.
type checkpointer struct {
	db       *sql.DB
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

func startCheckpointer(db *sql.DB) *checkpointer {
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	c := &checkpointer{db: db, stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(checkpointInterval)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		// An error (the file went away, say) is not the writer's problem:
		// the next tick tries again, and the WAL meanwhile only grows.
		_, _ = c.db.ExecContext(context.Background(), `PRAGMA wal_checkpoint(PASSIVE)`)
	}
}

// close stops the checkpoints. The last connection to close checkpoints
// the WAL fully (SQLite does that on close), so nothing is left behind.
func (c *checkpointer) close() error {
	c.stopOnce.Do(func() { close(c.stop) })
	<-c.done
	return c.db.Close()
}
