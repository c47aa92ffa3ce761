package refserver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// maxPages bounds a copy: 100,000 manga at 100 a page.
const maxPages = 1000

// CopyFrom fills s from the MangaHub at base (http://host:port) through its
// public API: every manga of the catalog, and the user and library of each
// token (whose user_id it reads from the token, checked with s's secret).
func (s *Server) CopyFrom(ctx context.Context, base string, tokens []string) error {
	base = strings.TrimRight(base, "/")
	if len(tokens) == 0 {
		return fmt.Errorf("no tokens")
	}
	for offset, n := 0, 0; ; offset += 100 {
		var p Page[*Manga]
		if err := getJSON(ctx, fmt.Sprintf("%s/api/manga?limit=100&offset=%d", base, offset), tokens[0], &p); err != nil {
			return err
		}
		for _, m := range p.Items {
			s.PutManga(m)
		}
		if n++; len(p.Items) < 100 || n == maxPages {
			break
		}
	}
	for _, tok := range tokens {
		var c claims
		if _, err := jwt.ParseWithClaims(tok, &c, func(*jwt.Token) (any, error) { return s.secret, nil },
			jwt.WithValidMethods([]string{"HS256"})); err != nil {
			return fmt.Errorf("token: %w (is the secret the server's?)", err)
		}
		var library []*Progress
		for offset := 0; ; offset += 100 {
			var p Page[ProgressItem]
			if err := getJSON(ctx, fmt.Sprintf("%s/api/progress?limit=100&offset=%d", base, offset), tok, &p); err != nil {
				return err
			}
			for _, it := range p.Items {
				library = append(library, &it.Progress)
			}
			if len(p.Items) < 100 || offset/100 == maxPages {
				break
			}
		}
		s.PutUser(c.UserID, library)
	}
	return nil
}

func getJSON(ctx context.Context, url, token string, v any) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 16<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d: %.200s", url, resp.StatusCode, b)
	}
	return json.Unmarshal(b, v)
}
