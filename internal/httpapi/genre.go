package httpapi

import (
	"context"
	"net/http"

	"github.com/mangahub/mangahub"
)

type genreList struct {
	Items []*mangahub.Genre `json:"items" nullable:"false"`
}

type genreListOutput struct {
	Status       int
	ETag         string `header:"ETag"`
	CacheControl string `header:"Cache-Control"`
	Body         genreList
}

func (s *server) handleGenreList(ctx context.Context, in *conditionalInput) (*genreListOutput, error) {
	gs, err := s.catalog.Genres(ctx)
	if err != nil {
		return nil, err
	}
	if gs == nil {
		gs = []*mangahub.Genre{}
	}
	out := &genreListOutput{ETag: genresETag(gs), CacheControl: s.catalogCache}
	if out.Status = conditional(in.IfNoneMatch, out.ETag); out.Status == http.StatusOK {
		out.Body = genreList{Items: gs}
	}
	return out, nil
}

type genreCreateInput struct {
	Body struct {
		Name string `json:"name" doc:"Unique, compared case-insensitively."`
	}
}

type genreOutput struct{ Body *mangahub.Genre }

func (s *server) handleGenreCreate(ctx context.Context, in *genreCreateInput) (*genreOutput, error) {
	g, err := s.catalog.CreateGenre(ctx, in.Body.Name)
	if err != nil {
		return nil, err
	}
	return &genreOutput{Body: g}, nil
}

type genreMangaInput struct {
	ID          int64  `path:"id"`
	Limit       int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
	Offset      int    `query:"offset" minimum:"0"`
	IfNoneMatch string `header:"If-None-Match" maxLength:"1024" doc:"ETags of copies the client holds; when one is current the answer is 304 Not Modified, without a body."`
}

func (s *server) handleGenreMangaList(ctx context.Context, in *genreMangaInput) (*mangaListOutput, error) {
	items, total, err := s.catalog.GenreManga(ctx, in.ID, in.Limit, in.Offset)
	if err != nil {
		return nil, err
	}
	return s.pageOutput(in.IfNoneMatch, items, total, in.Limit, in.Offset), nil
}
