package redis

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/mangahub/mangahub"
)

// A record in a library hash is
//
//	<version>|<deleted 0 or 1>|<chapter>|<status>|<last_read_at µs>|<updated_at µs>|<base>
//
// so that the scripts can compare versions with a prefix match and order
// states without decoding JSON. base is the version the durable store held
// when the record's queued history began (mangahub.QueuedProgress.Base):
// the version itself for a record loaded from it, carried over by every
// queued change.

func encodeRecord(p *mangahub.Progress) string {
	b := make([]byte, 0, 64)
	b = strconv.AppendInt(b, p.Version, 10)
	if p.Deleted {
		b = append(b, "|1|"...)
	} else {
		b = append(b, "|0|"...)
	}
	b = strconv.AppendInt(b, int64(p.Chapter), 10)
	b = append(b, '|')
	b = append(b, p.Status...)
	b = append(b, '|')
	b = strconv.AppendInt(b, p.LastReadAt.UnixMicro(), 10)
	b = append(b, '|')
	b = strconv.AppendInt(b, p.UpdatedAt.UnixMicro(), 10)
	return string(b)
}

// encodeStored is a record as stored in the durable store: its history
// begins with itself.
func encodeStored(p *mangahub.Progress) string {
	return encodeRecord(p) + "|" + strconv.FormatInt(p.Version, 10)
}

// encodeQueued is a queued record with its base.
func encodeQueued(q mangahub.QueuedProgress) string {
	return encodeRecord(q.Progress) + "|" + strconv.FormatInt(q.Base, 10)
}

// statePrefix is what the compare-and-set expects at the start of the
// stored record: its version and tombstone flag.
func statePrefix(version int64, deleted bool) string {
	if deleted {
		return strconv.FormatInt(version, 10) + "|1"
	}
	return strconv.FormatInt(version, 10) + "|0"
}

var errBadRecord = errors.New("redis: malformed progress record")

func decodeRecord(userID string, mangaID int64, s string) (*mangahub.Progress, error) {
	q, err := decodeQueued(userID, mangaID, s)
	return q.Progress, err
}

func decodeQueued(userID string, mangaID int64, s string) (mangahub.QueuedProgress, error) {
	f := strings.Split(s, "|")
	if len(f) != 7 {
		return mangahub.QueuedProgress{}, errBadRecord
	}
	v, err1 := strconv.ParseInt(f[0], 10, 64)
	ch, err2 := strconv.Atoi(f[2])
	read, err3 := strconv.ParseInt(f[4], 10, 64)
	upd, err4 := strconv.ParseInt(f[5], 10, 64)
	base, err5 := strconv.ParseInt(f[6], 10, 64)
	if err := errors.Join(err1, err2, err3, err4, err5); err != nil || (f[1] != "0" && f[1] != "1") {
		return mangahub.QueuedProgress{}, errBadRecord
	}
	return mangahub.QueuedProgress{Progress: &mangahub.Progress{
		UserID: userID, MangaID: mangaID, Chapter: ch, Status: mangahub.ReadingStatus(f[3]),
		LastReadAt: time.UnixMicro(read).UTC(), UpdatedAt: time.UnixMicro(upd).UTC(),
		Version: v, Deleted: f[1] == "1",
	}, Base: base}, nil
}

// member names a queued (user, manga); user IDs never contain "|".
func member(userID string, mangaID int64) string {
	return userID + "|" + strconv.FormatInt(mangaID, 10)
}

func splitMember(m string) (string, int64, error) {
	i := strings.LastIndexByte(m, '|')
	if i < 0 {
		return "", 0, errBadRecord
	}
	id, err := strconv.ParseInt(m[i+1:], 10, 64)
	if err != nil {
		return "", 0, errBadRecord
	}
	return m[:i], id, nil
}
