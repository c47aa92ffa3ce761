package sqlite

import (
	"context"
	"database/sql"
	"sync"
	"sync/atomic"
	"time"
)

// SQLite's default is to checkpoint the WAL automatically, on the
// connection whose commit pushed it past 1,000 pages, inside that commit:
// the write connection then copies the WAL into the database file and
// fsyncs both before the commit returns, and every progress write queued
// behind it (all of them: there is one write connection) waits too. At
// 10,000 updates/s that is twenty times a second: the tens-of-milliseconds
// stalls at the tail of the ack latency.
//
// So the write connection does not checkpoint on its own
// (wal_autocheckpoint=0), and a connection of its own does, every
// checkpointInterval, in PASSIVE mode: it syncs and copies what no reader
// still needs, and never waits for, nor blocks, the writer or the readers.
//
// That alone does not keep the WAL short. SQLite starts the WAL over from
// its beginning only when a write transaction begins with every frame
// copied, and under steady writes new frames arrive while the checkpointer
// copies: the WAL grew by 80 MB/s at 10,000 updates/s and never restarted.
// So once the WAL is longer than restartFrames, the checkpointer asks the
// committer (batch.go) to finish the job between two batches, on the write
// connection: a PASSIVE checkpoint of the few frames written since the
// checkpointer's own, which then completes (no write can come meanwhile),
// and the next transaction restarts the WAL. That is one short pause of the
// write path (syncing a fraction of a second of WAL) per restartFrames
// frames, instead of a full checkpoint per thousand; journal_size_limit then
// cuts the file back.
// walSizeLimit is what the WAL file is truncated to when it restarts.
const walSizeLimit = 64 << 20

// Variables for tests only.
var (
	checkpointInterval = 100 * time.Millisecond
	// restartFrames is the WAL length (pages) past which the committer
	// completes a checkpoint: 64 MiB of 4 KiB pages, about a second of
	// writes at 10,000 updates/s.
	restartFrames = 16384
)

// checkpointer runs PASSIVE checkpoints on its own connection until
// closed.
type checkpointer struct {
	db       *sql.DB
	every    time.Duration
	frames   int          // restartFrames when it started
	restart  *atomic.Bool // set: the committer should complete a checkpoint
	stop     chan struct{}
	done     chan struct{}
	stopOnce sync.Once
}

func startCheckpointer(db *sql.DB, restart *atomic.Bool) *checkpointer {
	db.SetMaxOpenConns(1)
	db.SetMaxIdleConns(1)
	db.SetConnMaxLifetime(0)
	db.SetConnMaxIdleTime(0)
	c := &checkpointer{db: db, every: checkpointInterval, frames: restartFrames, restart: restart,
		stop: make(chan struct{}), done: make(chan struct{})}
	go c.run()
	return c
}

func (c *checkpointer) run() {
	defer close(c.done)
	t := time.NewTicker(c.every)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		if c.restart.Load() {
			continue // the committer's turn; a checkpoint here would only race it
		}
		// An error (the file went away, say) is not the writer's problem:
		// the next tick tries again, and the WAL meanwhile only grows.
		frames, _, err := checkpoint(context.Background(), c.db)
		if err == nil && frames >= c.frames {
			c.restart.Store(true)
		}
	}
}

// checkpoint runs a PASSIVE checkpoint on db and returns the WAL's length
// and how much of it is in the database file now (pages).
func checkpoint(ctx context.Context, db *sql.DB) (frames, copied int, err error) {
	var busy int
	err = db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &copied)
	return frames, copied, err
}

// close stops the checkpoints. The last connection to close checkpoints
// the WAL fully (SQLite does that on close), so nothing is left behind.
func (c *checkpointer) close() error {
	c.stopOnce.Do(func() { close(c.stop) })
	<-c.done
	return c.db.Close()
}
