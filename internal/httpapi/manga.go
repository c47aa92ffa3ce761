package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"

	"github.com/danielgtaylor/huma/v2"

	"github.com/mangahub/mangahub"
	"github.com/mangahub/mangahub/internal/catalog"
)

// page is every paged listing: {items, total, limit, offset}.
type page[T any] struct {
	Items  []T `json:"items" nullable:"false"`
	Total  int `json:"total" doc:"Number of matching items across all pages."`
	Limit  int `json:"limit"`
	Offset int `json:"offset"`
}

func newPage[T any](items []T, total, limit, offset int) page[T] {
	if items == nil {
		items = []T{}
	}
	return page[T]{Items: items, Total: total, Limit: limit, Offset: offset}
}

// mangaOut is m as sent: genres and alternative titles are arrays, never
// null. It copies, so the caller's value is left as it was.
func mangaOut(m *mangahub.Manga) *mangahub.Manga {
	c := *m
	if c.Genres == nil {
		c.Genres = []string{}
	}
	if c.AltTitles == nil {
		c.AltTitles = []string{}
	}
	return &c
}

func mangasOut(ms []*mangahub.Manga) []*mangahub.Manga {
	out := make([]*mangahub.Manga, len(ms))
	for i, m := range ms {
		out[i] = mangaOut(m)
	}
	return out
}

type mangaListInput struct {
	Q           string   `query:"q" maxLength:"200" doc:"Words that must all occur in the title, an alternative title or the author (case- and accent-insensitive). Only letters and digits are searched: other characters, % and _ included, join the parts of a word into a phrase (n_ruto looks for \"n ruto\"), and a q without any letter or digit finds nothing."`
	Genres      []string `query:"genre,explode" maxItems:"10" doc:"Genre name; repeat for several (all must match)."`
	Status      string   `query:"status" enum:"ongoing,completed,hiatus,cancelled"`
	Author      string   `query:"author" maxLength:"200"`
	Sort        string   `query:"sort" enum:"title,-updated_at,year,-year,relevance" doc:"Default: relevance with q, title without. relevance: first the manga one of whose names (title or alternative title) is the whole query; then by the sum over the words of each word's best match, in this order: a whole word of a name, a whole word of the author, the start of a word of a name, of the author, inside a word of a name, of the author; then by title and id."`
	Limit       int      `query:"limit" minimum:"1" maximum:"100" default:"20"`
	Offset      int      `query:"offset" minimum:"0"`
	IfNoneMatch string   `header:"If-None-Match" maxLength:"1024" doc:"ETags of copies the client holds; when one is current the answer is 304 Not Modified, without a body."`
}

// conditionalInput is the request header of a revalidation. Inputs with
// other parameters repeat the field (huma reads no embedded parameters).
type conditionalInput struct {
	IfNoneMatch string `header:"If-None-Match" maxLength:"1024" doc:"ETags of copies the client holds; when one is current the answer is 304 Not Modified, without a body."`
}

// A catalog answer's caching headers (see caching.go) are fields of each
// output, not an embedded struct: huma finds Status by field index.

type mangaListOutput struct {
	Status       int
	ETag         string `header:"ETag"`
	CacheControl string `header:"Cache-Control"`
	Body         page[*mangahub.Manga]
}

// pageOutput answers a listing: the page, or 304 when the client's copy,
// tagged in ifNoneMatch, is current.
func (s *server) pageOutput(ifNoneMatch string, items []*mangahub.Manga, total, limit, offset int) *mangaListOutput {
	out := &mangaListOutput{ETag: pageETag(items, total, limit, offset), CacheControl: s.catalogCache}
	if out.Status = conditional(ifNoneMatch, out.ETag); out.Status == http.StatusOK {
		out.Body = newPage(mangasOut(items), total, limit, offset)
	}
	return out
}

func (s *server) handleMangaList(ctx context.Context, in *mangaListInput) (*mangaListOutput, error) {
	items, total, err := s.catalog.Search(ctx, catalog.Query{
		Q: in.Q, Genres: in.Genres, Status: in.Status, Author: in.Author, Sort: in.Sort,
		Limit: in.Limit, Offset: in.Offset,
	})
	if err != nil {
		return nil, err
	}
	return s.pageOutput(in.IfNoneMatch, items, total, in.Limit, in.Offset), nil
}

type mangaIDInput struct {
	ID int64 `path:"id"`
}

type mangaGetInput struct {
	ID          int64  `path:"id"`
	IfNoneMatch string `header:"If-None-Match" maxLength:"1024" doc:"ETags of copies the client holds; when one is current the answer is 304 Not Modified, without a body."`
}

type mangaOutput struct{ Body *mangahub.Manga }

type mangaGetOutput struct {
	Status       int
	ETag         string `header:"ETag"`
	CacheControl string `header:"Cache-Control"`
	Body         *mangahub.Manga
}

func (s *server) handleMangaGet(ctx context.Context, in *mangaGetInput) (*mangaGetOutput, error) {
	m, err := s.catalog.FindMangaByID(ctx, in.ID)
	if err != nil {
		return nil, err
	}
	out := &mangaGetOutput{ETag: mangaETag(m), CacheControl: s.catalogCache}
	if out.Status = conditional(in.IfNoneMatch, out.ETag); out.Status == http.StatusOK {
		out.Body = mangaOut(m)
	}
	return out, nil
}

type mangaCreateInput struct {
	Body struct {
		Slug          string               `json:"slug,omitempty"`
		Title         string               `json:"title"`
		AltTitles     []string             `json:"alt_titles,omitempty" nullable:"false" doc:"Other names the series is known by; search matches them."`
		Author        string               `json:"author"`
		Status        mangahub.MangaStatus `json:"status,omitempty" doc:"ongoing (the default), completed, hiatus or cancelled."`
		TotalChapters *int                 `json:"total_chapters,omitempty" doc:"0–100000, or null when unknown."`
		Year          *int                 `json:"year,omitempty"`
		Description   string               `json:"description,omitempty"`
		CoverURL      string               `json:"cover_url,omitempty"`
		Genres        []string             `json:"genres,omitempty" nullable:"false"`
	}
}

func (s *server) handleMangaCreate(ctx context.Context, in *mangaCreateInput) (*mangaOutput, error) {
	b := in.Body
	m := &mangahub.Manga{
		Slug: b.Slug, Title: b.Title, AltTitles: b.AltTitles, Author: b.Author, Status: b.Status,
		TotalChapters: b.TotalChapters, Year: b.Year, Description: b.Description,
		CoverURL: b.CoverURL, Genres: b.Genres,
	}
	if err := s.catalog.CreateManga(ctx, m); err != nil {
		return nil, err
	}
	return &mangaOutput{Body: mangaOut(m)}, nil
}

// nullableInt is a number in a partial update that tells three states apart:
// absent (Set false), null (Set, Value nil) and a number.
type nullableInt struct {
	Set   bool
	Value *int
}

func (n *nullableInt) UnmarshalJSON(b []byte) error {
	n.Set = true
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		n.Value = nil
		return nil
	}
	return json.Unmarshal(b, &n.Value)
}

// Schema describes nullableInt to huma as what clients send: an integer or null.
func (nullableInt) Schema(huma.Registry) *huma.Schema {
	return &huma.Schema{Type: huma.TypeInteger, Nullable: true}
}

func (n nullableInt) update() *mangahub.OptionalInt {
	if !n.Set {
		return nil
	}
	return &mangahub.OptionalInt{Value: n.Value}
}

type mangaUpdateInput struct {
	ID   int64 `path:"id"`
	Body struct {
		Slug          *string               `json:"slug,omitempty"`
		Title         *string               `json:"title,omitempty"`
		AltTitles     *[]string             `json:"alt_titles,omitempty" doc:"Replaces the manga's alternative titles."`
		Author        *string               `json:"author,omitempty"`
		Status        *mangahub.MangaStatus `json:"status,omitempty" doc:"ongoing, completed, hiatus or cancelled."`
		TotalChapters nullableInt           `json:"total_chapters,omitempty" doc:"0–100000; null clears it."`
		Year          nullableInt           `json:"year,omitempty" doc:"null clears it."`
		Description   *string               `json:"description,omitempty"`
		CoverURL      *string               `json:"cover_url,omitempty"`
		Genres        *[]string             `json:"genres,omitempty" doc:"Replaces the manga's genres."`
	}
}

func (s *server) handleMangaUpdate(ctx context.Context, in *mangaUpdateInput) (*mangaOutput, error) {
	b := in.Body
	m, err := s.catalog.UpdateManga(ctx, in.ID, mangahub.MangaUpdate{
		Slug: b.Slug, Title: b.Title, AltTitles: b.AltTitles, Author: b.Author, Status: b.Status,
		TotalChapters: b.TotalChapters.update(), Year: b.Year.update(),
		Description: b.Description, CoverURL: b.CoverURL, Genres: b.Genres,
	})
	if err != nil {
		return nil, err
	}
	return &mangaOutput{Body: mangaOut(m)}, nil
}

func (s *server) handleMangaDelete(ctx context.Context, in *mangaIDInput) (*struct{}, error) {
	if err := s.catalog.DeleteManga(ctx, in.ID); err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}
