package catalog

import (
	"context"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/mangahub/mangahub"
)

// MaxGenreNameLen bounds a genre's name in characters.
const MaxGenreNameLen = 64

// Genres lists every genre with its manga count.
// The slice may be shared with other callers: it must not be modified.
func (s *Service) Genres(ctx context.Context) ([]*mangahub.Genre, error) {
	var gen uint64
	if s.cache != nil {
		if gs, ok := s.cache.findGenres(); ok {
			return gs, nil
		}
		gen = s.cache.generation()
	}
	gs, err := s.store.FindGenres(ctx)
	if err != nil {
		return nil, storeError(err)
	}
	if gs == nil {
		gs = []*mangahub.Genre{}
	}
	if s.cache != nil {
		s.cache.putGenres(gen, gs)
	}
	return gs, nil
}

// CreateGenre adds a genre; an existing name (in any case) is the store's
// CodeConflict.
func (s *Service) CreateGenre(ctx context.Context, name string) (*mangahub.Genre, error) {
	name = strings.TrimSpace(name)
	if err := checkGenreName(name, "name"); err != nil {
		return nil, err
	}
	defer s.written(ctx)
	g, err := s.store.CreateGenre(ctx, name)
	if err != nil {
		return nil, storeError(err)
	}
	return g, nil
}

// GenreManga lists the manga of one genre in title order; CodeNotFound for
// an unknown genre.
func (s *Service) GenreManga(ctx context.Context, genreID int64, limit, offset int) ([]*mangahub.Manga, int, error) {
	limit, offset, err := page(limit, offset)
	if err != nil {
		return nil, 0, err
	}
	if genreID <= 0 {
		return nil, 0, mangahub.Errorf(mangahub.CodeNotFound, "genre not found")
	}
	g, err := s.store.FindGenreByID(ctx, genreID)
	if err != nil {
		return nil, 0, storeError(err)
	}
	return s.findManga(ctx, mangahub.MangaFilter{
		Genres: []string{g.Name},
		Sort:   mangahub.SortTitle,
		Limit:  limit,
		Offset: offset,
	})
}

// checkGenreName checks an already trimmed genre name; field names the
// input in errors.
func checkGenreName(name, field string) error {
	switch {
	case name == "":
		return mangahub.FieldError(field, "a genre name must not be empty")
	case !utf8.ValidString(name):
		return mangahub.FieldError(field, "a genre name must be valid UTF-8")
	case utf8.RuneCountInString(name) > MaxGenreNameLen:
		return mangahub.FieldError(field, "a genre name must be at most %d characters", MaxGenreNameLen)
	case strings.ContainsFunc(name, unicode.IsControl):
		return mangahub.FieldError(field, "a genre name must not contain control characters")
	}
	return nil
}
