package loadtest

import (
	"context"
	"fmt"
	"net/http"
)

// MangaIDs returns the IDs of the first n manga of the catalog in its
// default (title) order.
func (a API) MangaIDs(ctx context.Context, token string, n int) ([]int64, error) {
	var ids []int64
	for offset := 0; len(ids) < n; offset += 100 {
		var page struct {
			Items []struct {
				ID int64 `json:"id"`
			} `json:"items"`
		}
		if _, err := a.Do(ctx, http.MethodGet, fmt.Sprintf("/api/manga?limit=100&offset=%d", offset), token, nil, &page); err != nil {
			return nil, err
		}
		for _, m := range page.Items {
			if len(ids) < n {
				ids = append(ids, m.ID)
			}
		}
		if len(page.Items) < 100 {
			break
		}
	}
	return ids, nil
}

// SeedLibrary puts each manga in the token's user's library (chapter 1,
// reading) over POST /api/progress, so that GET /api/progress has rows to
// list. An entry already there is left as it is (the answer is then
// applied:false).
func (a API) SeedLibrary(ctx context.Context, token string, mangaIDs []int64) error {
	for _, id := range mangaIDs {
		if _, err := a.Do(ctx, http.MethodPost, "/api/progress", token,
			map[string]any{"manga_id": id, "chapter": 1}, nil); err != nil {
			return err
		}
	}
	return nil
}
