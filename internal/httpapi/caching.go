package httpapi

import (
	"encoding/binary"
	"hash"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mangahub/mangahub"
)

// HTTP caching of catalog answers (docs/architecture.md, "Catalog reads").
// The catalog is the same for every user and changes rarely, so a client
// may keep an answer for the server's own staleness bound and afterwards
// revalidate it with If-None-Match, which costs no encoding and no body.
// The library and auth answers stay no-store (observe sets it).

// catalogCacheControl is the Cache-Control of catalog answers: private, as
// they answer authenticated requests, and reusable for as long as the
// server's own catalog cache may be stale anyway.
func catalogCacheControl(maxAge time.Duration) string {
	if maxAge < time.Second {
		return "private, no-cache"
	}
	return "private, max-age=" + strconv.FormatInt(int64(maxAge/time.Second), 10)
}

// etagVersion changes when the representation of catalog answers does, so
// that a tag of an older server is never taken for the current body.
const etagVersion = "1"

// mangaETag is one manga's tag: every write moves its updated_at (its
// genres included).
func mangaETag(m *mangahub.Manga) string {
	return `W/"` + etagVersion + "m" + strconv.FormatInt(m.ID, 36) + "." +
		strconv.FormatInt(m.UpdatedAt.UnixMicro(), 36) + `"`
}

// pageETag is a page's tag: a hash of everything its body is made of.
func pageETag(items []*mangahub.Manga, total, limit, offset int) string {
	h := newTagHash()
	h.int(int64(total))
	h.int(int64(limit))
	h.int(int64(offset))
	for _, m := range items {
		h.int(m.ID)
		h.int(m.UpdatedAt.UnixMicro())
	}
	return h.tag("p")
}

// genresETag is the genre list's tag.
func genresETag(gs []*mangahub.Genre) string {
	h := newTagHash()
	for _, g := range gs {
		h.int(g.ID)
		h.int(int64(g.MangaCount))
		h.str(g.Name)
	}
	return h.tag("g")
}

// tagHash hashes what a tag stands for with 64-bit FNV-1a: the same on
// every instance, so a tag from one is current on the others.
type tagHash struct {
	h   hash.Hash64
	buf [8]byte
}

func newTagHash() *tagHash { return &tagHash{h: fnv.New64a()} }

func (h *tagHash) int(n int64) {
	h.h.Write(binary.LittleEndian.AppendUint64(h.buf[:0], uint64(n)))
}

func (h *tagHash) str(s string) {
	h.int(int64(len(s))) // so that ("ab","c") and ("a","bc") differ
	h.h.Write([]byte(s))
}

func (h *tagHash) tag(kind string) string {
	return `W/"` + etagVersion + kind + strconv.FormatUint(h.h.Sum64(), 36) + `"`
}

// notModified reports whether an If-None-Match header names etag (or is
// "*"), compared weakly as RFC 9110 §13.1.2 asks for GET.
func notModified(ifNoneMatch, etag string) bool {
	if ifNoneMatch == "" {
		return false
	}
	want := strings.TrimPrefix(etag, "W/")
	for tag := range strings.SplitSeq(ifNoneMatch, ",") {
		tag = strings.TrimSpace(tag)
		if tag == "*" || strings.TrimPrefix(tag, "W/") == want {
			return true
		}
	}
	return false
}

// conditional returns the status of an answer tagged etag to a request
// carrying ifNoneMatch: 200, or 304 when the client's copy is current (huma
// then sends no body, only the headers).
func conditional(ifNoneMatch, etag string) int {
	if notModified(ifNoneMatch, etag) {
		return http.StatusNotModified
	}
	return http.StatusOK
}
