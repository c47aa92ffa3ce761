package httpapi

import (
	"context"

	"github.com/mangahub/mangahub"
)

type genreList struct {
	Items []*mangahub.Genre `json:"items" nullable:"false"`
}

type genreListOutput struct{ Body genreList }

func (s *server) handleGenreList(ctx context.Context, _ *struct{}) (*genreListOutput, error) {
	gs, err := s.catalog.Genres(ctx)
	if err != nil {
		return nil, err
	}
	if gs == nil {
		gs = []*mangahub.Genre{}
	}
	return &genreListOutput{Body: genreList{Items: gs}}, nil
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
	ID     int64 `path:"id"`
	Limit  int   `query:"limit" minimum:"1" maximum:"100" default:"20"`
	Offset int   `query:"offset" minimum:"0"`
}

func (s *server) handleGenreMangaList(ctx context.Context, in *genreMangaInput) (*mangaListOutput, error) {
	items, total, err := s.catalog.GenreManga(ctx, in.ID, in.Limit, in.Offset)
	if err != nil {
		return nil, err
	}
	return &mangaListOutput{Body: newPage(mangasOut(items), total, in.Limit, in.Offset)}, nil
}
