package httpapi_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/mangahub/mangahub/internal/ratelimit"
)

type progressJSON struct {
	UserID     string    `json:"user_id"`
	MangaID    int64     `json:"manga_id"`
	Chapter    int       `json:"chapter"`
	Status     string    `json:"status"`
	LastReadAt time.Time `json:"last_read_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	Version    int64     `json:"version"`
}

type ackJSON struct {
	Progress progressJSON `json:"progress"`
	Applied  bool         `json:"applied"`
	Reason   *string      `json:"reason"`
}

func progressPath(mangaID int64) string { return fmt.Sprintf("/api/progress/%d", mangaID) }

func TestProgressUpdates(t *testing.T) {
	e := newEnv(t, envOptions{})
	m := e.createManga(t, map[string]any{"title": "Monster", "total_chapters": 162})
	post := func(body string) response {
		t.Helper()
		return send(t, e.h, request{method: http.MethodPost, path: "/api/progress", token: e.userToken, body: body})
	}
	ack := func(body string) ackJSON {
		t.Helper()
		var a ackJSON
		post(body).wantStatus(t, http.StatusOK).decode(t, &a)
		return a
	}
	id := m.ID

	// Another user's id in the body is ignored: the token decides.
	a := ack(fmt.Sprintf(`{"manga_id": %d, "chapter": 5, "user_id": %q}`, id, e.admin.ID))
	if !a.Applied || a.Progress.UserID != e.user.ID || a.Progress.Chapter != 5 || a.Progress.Status != "reading" || a.Progress.Version != 1 {
		t.Fatalf("first update = %+v", a)
	}
	if a.Reason != nil {
		t.Errorf("an applied update carries reason %q", *a.Reason)
	}
	steps := []struct {
		name    string
		body    string
		applied bool
		reason  string // "" when absent
		chapter int
		version int64
		status  string
	}{
		{"same again", `{"manga_id": %d, "chapter": 5}`, false, "unchanged", 5, 1, "reading"},
		{"backwards is ignored", `{"manga_id": %d, "chapter": 3}`, false, "backwards", 5, 1, "reading"},
		{"backwards with a new status is ignored", `{"manga_id": %d, "chapter": 3, "status": "dropped"}`, false, "backwards", 5, 1, "reading"},
		{"backwards with force", `{"manga_id": %d, "chapter": 3, "force": true}`, true, "", 3, 2, "reading"},
		{"matching expected_version", `{"manga_id": %d, "chapter": 10, "expected_version": 2}`, true, "", 10, 3, "reading"},
		{"status only", `{"manga_id": %d, "chapter": 10, "status": "on_hold"}`, true, "", 10, 4, "on_hold"},
		{"same status again", `{"manga_id": %d, "chapter": 10, "status": "on_hold"}`, false, "unchanged", 10, 4, "on_hold"},
		{"last chapter", `{"manga_id": %d, "chapter": 162, "status": "completed", "last_read_at": "2030-01-01T00:00:00Z"}`, true, "", 162, 5, "completed"},
	}
	for _, st := range steps {
		a = ack(fmt.Sprintf(st.body, id))
		if a.Applied != st.applied || a.Progress.Chapter != st.chapter || a.Progress.Version != st.version || a.Progress.Status != st.status {
			t.Errorf("%s: ack = %+v", st.name, a)
		}
		if reason := a.Reason; (reason == nil) != (st.reason == "") || reason != nil && *reason != st.reason {
			t.Errorf("%s: reason = %v, want %q", st.name, reason, st.reason)
		}
	}
	if a.Progress.LastReadAt.After(time.Now().Add(6 * time.Minute)) {
		t.Errorf("far-future last_read_at not clamped: %v", a.Progress.LastReadAt)
	}

	// A conflict carries the current state.
	p := post(fmt.Sprintf(`{"manga_id": %d, "chapter": 11, "expected_version": 1}`, id)).wantProblem(t, http.StatusConflict, "conflict")
	var cur progressJSON
	if err := json.Unmarshal(p.Progress, &cur); err != nil || cur.Version != 5 || cur.Chapter != 162 || cur.UserID != e.user.ID {
		t.Errorf("conflict progress = %s (%v)", p.Progress, err)
	}
	// With no record yet, "progress" is there and null.
	other := e.createManga(t, map[string]any{"title": "20th Century Boys"})
	res := post(fmt.Sprintf(`{"manga_id": %d, "chapter": 1, "expected_version": 3}`, other.ID))
	res.wantProblem(t, http.StatusConflict, "conflict")
	if !bytes.Contains(res.Body, []byte(`"progress":null`)) {
		t.Errorf("conflict without record = %s", res.Body)
	}

	for _, tt := range []struct {
		name   string
		body   string
		status int
		code   string
	}{
		{"beyond total_chapters", fmt.Sprintf(`{"manga_id": %d, "chapter": 163}`, id), 422, "validation_failed"},
		{"negative chapter", fmt.Sprintf(`{"manga_id": %d, "chapter": -1}`, id), 422, "validation_failed"},
		{"fractional chapter", fmt.Sprintf(`{"manga_id": %d, "chapter": 1.5}`, id), 422, "validation_failed"},
		{"chapter as string", fmt.Sprintf(`{"manga_id": %d, "chapter": "7"}`, id), 422, "validation_failed"},
		{"missing chapter", fmt.Sprintf(`{"manga_id": %d}`, id), 422, "validation_failed"},
		{"unknown status", fmt.Sprintf(`{"manga_id": %d, "chapter": 1, "status": "binging"}`, id), 422, "validation_failed"},
		{"bad last_read_at", fmt.Sprintf(`{"manga_id": %d, "chapter": 1, "last_read_at": "yesterday"}`, id), 422, "validation_failed"},
		{"unknown manga", `{"manga_id": 987654, "chapter": 1}`, 404, "manga_not_found"},
		{"zero manga id", `{"manga_id": 0, "chapter": 1}`, 422, "validation_failed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			post(tt.body).wantProblem(t, tt.status, tt.code)
		})
	}

	// Reads.
	var got progressJSON
	e.get(t, progressPath(id)).wantStatus(t, http.StatusOK).decode(t, &got)
	if got.Chapter != 162 || got.Version != 5 {
		t.Errorf("get = %+v", got)
	}
	e.get(t, progressPath(other.ID)).wantProblem(t, http.StatusNotFound, "not_found")
	e.get(t, "/api/progress/abc").wantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	send(t, e.h, request{method: http.MethodGet, path: progressPath(id), token: e.adminToken}).
		wantProblem(t, http.StatusNotFound, "not_found") // another user's record is invisible

	ack(fmt.Sprintf(`{"manga_id": %d, "chapter": 2, "status": "plan_to_read"}`, other.ID))
	var pg struct {
		Items                []progressJSON
		Total, Limit, Offset int
	}
	e.get(t, "/api/progress").wantStatus(t, http.StatusOK).decode(t, &pg)
	if pg.Total != 2 || pg.Limit != 20 || len(pg.Items) != 2 || pg.Items[0].MangaID != other.ID {
		t.Errorf("list = %+v (want most recently updated first)", pg)
	}
	e.get(t, "/api/progress?status=completed&limit=1").wantStatus(t, http.StatusOK).decode(t, &pg)
	if pg.Total != 1 || pg.Limit != 1 || len(pg.Items) != 1 || pg.Items[0].MangaID != id {
		t.Errorf("filtered list = %+v", pg)
	}
	res = send(t, e.h, request{method: http.MethodGet, path: "/api/progress", token: e.adminToken}).wantStatus(t, http.StatusOK)
	if !bytes.Contains(res.Body, []byte(`"items":[]`)) {
		t.Errorf("admin's empty library = %s", res.Body)
	}
	for _, bad := range []string{"status=done", "limit=0", "limit=101", "offset=-3"} {
		e.get(t, "/api/progress?"+bad).wantProblem(t, http.StatusUnprocessableEntity, "validation_failed")
	}

	// Delete.
	del := request{method: http.MethodDelete, path: progressPath(id), token: e.userToken}
	send(t, e.h, del).wantStatus(t, http.StatusNoContent)
	send(t, e.h, del).wantProblem(t, http.StatusNotFound, "not_found")
	e.get(t, progressPath(id)).wantProblem(t, http.StatusNotFound, "not_found")
}

func TestProgressRateLimit(t *testing.T) {
	e := newEnv(t, envOptions{progressLimit: ratelimit.Limit{Rate: 0.001, Burst: 2}})
	m := e.createManga(t, map[string]any{"title": "Pluto"})
	post := func(chapter int) response {
		return send(t, e.h, request{method: http.MethodPost, path: "/api/progress", token: e.userToken,
			body: fmt.Sprintf(`{"manga_id": %d, "chapter": %d}`, m.ID, chapter)})
	}
	post(1).wantStatus(t, http.StatusOK)
	post(2).wantStatus(t, http.StatusOK)
	res := post(3)
	wantRetryAfter(t, res, res.wantProblem(t, http.StatusTooManyRequests, "rate_limited"))
	if got := counterValue(t, e.metrics.RateLimited.WithLabelValues("http")); got != 1 {
		t.Errorf("rate limited counted = %v, want 1", got)
	}
}

// TestLibraryItemsCarryTheirManga: each library entry carries the summary
// of its manga, so that a client lists a library without a lookup per
// entry.
func TestLibraryItemsCarryTheirManga(t *testing.T) {
	e := newEnv(t, envOptions{})
	monster := e.createManga(t, map[string]any{"title": "Monster", "total_chapters": 162, "cover_url": "https://example.com/monster.jpg"})
	pluto := e.createManga(t, map[string]any{"title": "Pluto"})
	for _, id := range []int64{monster.ID, pluto.ID} {
		send(t, e.h, request{method: http.MethodPost, path: "/api/progress", token: e.userToken,
			body: map[string]any{"manga_id": id, "chapter": 3}}).wantStatus(t, http.StatusOK)
	}
	res := e.get(t, "/api/progress").wantStatus(t, http.StatusOK)
	var pg struct {
		Items []struct {
			progressJSON
			Manga *struct {
				ID            int64   `json:"id"`
				Slug          string  `json:"slug"`
				Title         string  `json:"title"`
				TotalChapters *int    `json:"total_chapters"`
				CoverURL      *string `json:"cover_url"`
			} `json:"manga"`
		}
	}
	res.decode(t, &pg)
	if len(pg.Items) != 2 {
		t.Fatalf("library = %s", res.Body)
	}
	// Most recently updated first: Pluto, then Monster.
	p, m := pg.Items[0], pg.Items[1]
	if p.MangaID != pluto.ID || p.Chapter != 3 || p.Manga == nil || p.Manga.ID != pluto.ID || p.Manga.Title != "Pluto" ||
		p.Manga.Slug != "pluto" || p.Manga.TotalChapters != nil || p.Manga.CoverURL == nil || *p.Manga.CoverURL != "" {
		t.Errorf("Pluto's entry = %s", res.Body)
	}
	if m.MangaID != monster.ID || m.Manga == nil || m.Manga.Title != "Monster" || m.Manga.TotalChapters == nil ||
		*m.Manga.TotalChapters != 162 || *m.Manga.CoverURL != "https://example.com/monster.jpg" {
		t.Errorf("Monster's entry = %s", res.Body)
	}
	if !bytes.Contains(res.Body, []byte(`"total_chapters":null`)) {
		t.Errorf("an unknown chapter count must be null, not left out: %s", res.Body)
	}
}

// With libraries kept in memory, as serve keeps them without Redis, every
// write over HTTP is in the very next list, and an empty library is still
// an empty list.
func TestLibraryFromMemoryShowsEveryWrite(t *testing.T) {
	e := newEnv(t, envOptions{libraryTTL: time.Hour})
	m := e.createManga(t, map[string]any{"title": "Monster", "total_chapters": 162})
	list := func() (pg struct {
		Items []progressJSON
		Total int
	}) {
		t.Helper()
		e.get(t, "/api/progress").wantStatus(t, http.StatusOK).decode(t, &pg)
		return pg
	}
	if res := e.get(t, "/api/progress").wantStatus(t, http.StatusOK); !bytes.Contains(res.Body, []byte(`"items":[]`)) {
		t.Fatalf("empty library = %s", res.Body)
	}
	for _, chapter := range []int{1, 2, 40} {
		send(t, e.h, request{method: http.MethodPost, path: "/api/progress", token: e.userToken,
			body: map[string]any{"manga_id": m.ID, "chapter": chapter}}).wantStatus(t, http.StatusOK)
		if pg := list(); pg.Total != 1 || len(pg.Items) != 1 || pg.Items[0].Chapter != chapter {
			t.Fatalf("after chapter %d: list = %+v", chapter, pg)
		}
	}
	send(t, e.h, request{method: http.MethodDelete, path: progressPath(m.ID), token: e.userToken}).wantStatus(t, http.StatusNoContent)
	if pg := list(); pg.Total != 0 || len(pg.Items) != 0 {
		t.Fatalf("after the delete: list = %+v", pg)
	}
}
