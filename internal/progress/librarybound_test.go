package progress

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/mangahub/mangahub"
)

// fixedLibraries gives every user the same number of records.
type fixedLibraries struct {
	mangahub.ProgressStore // only FindProgresses is called
	records                int
}

func (s fixedLibraries) FindProgresses(_ context.Context, f mangahub.ProgressFilter) ([]*mangahub.Progress, int, error) {
	page := make([]*mangahub.Progress, 0, s.records)
	for i := range min(s.records, f.Limit) {
		page = append(page, &mangahub.Progress{UserID: f.UserID, MangaID: int64(i + 1), Chapter: 1, Status: mangahub.StatusReading, Version: 1})
	}
	return page, s.records, nil
}

// However many users list, the cache keeps at most maxCachedLibraries
// libraries and maxCachedRecords records.
func TestLibraryCacheIsBounded(t *testing.T) {
	for _, tt := range []struct {
		users, records int
	}{
		{3 * maxCachedLibraries, 1}, // many small libraries: the user bound holds
		{1_000, 500},                // fewer, larger ones: the record bound holds
	} {
		t.Run(fmt.Sprintf("%d users of %d records", tt.users, tt.records), func(t *testing.T) {
			now := time.Now()
			l := newLibrary(fixedLibraries{records: tt.records}, time.Hour, func() time.Time { return now })
			for i := range tt.users {
				user := fmt.Sprint("user-", i)
				page, total, err := l.list(context.Background(), mangahub.ProgressFilter{UserID: user, Limit: 20})
				if err != nil || total != tt.records || len(page) != min(20, tt.records) {
					t.Fatalf("list %s: %d of %d, %v", user, len(page), total, err)
				}
			}
			libraries, records := 0, 0
			for i := range l.shards {
				sh := &l.shards[i]
				n := 0
				for _, e := range sh.m {
					n += len(e.all)
				}
				if n != sh.records {
					t.Fatalf("shard %d counts %d records, holds %d", i, sh.records, n)
				}
				libraries += len(sh.m)
				records += n
			}
			if libraries > maxCachedLibraries || records > maxCachedRecords || libraries == 0 {
				t.Fatalf("cache holds %d libraries, %d records; bounds %d, %d", libraries, records, maxCachedLibraries, maxCachedRecords)
			}
			t.Logf("%d libraries, %d records", libraries, records)
		})
	}
}
