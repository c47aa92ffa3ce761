package httpapi

import (
	"context"
	"time"

	"github.com/mangahub/mangahub"
)

// httpOrigin marks changes made over HTTP: there is no connection to spare
// from the broadcast, so every live connection of the user hears of them.
var httpOrigin = mangahub.Origin{Source: mangahub.SourceHTTP}

type progressListInput struct {
	Status string `query:"status" enum:"reading,completed,plan_to_read,on_hold,dropped,re_reading"`
	Limit  int    `query:"limit" minimum:"1" maximum:"100" default:"20"`
	Offset int    `query:"offset" minimum:"0"`
}

// libraryItem is one entry of the library: the progress and a summary of its
// manga, so that a client needs no lookup per entry.
type libraryItem struct {
	*mangahub.Progress
	Manga *mangahub.MangaSummary `json:"manga" doc:"The manga's id, slug, title, total_chapters and cover_url; null only when the manga was deleted while the page was read."`
}

type progressListOutput struct{ Body page[libraryItem] }

func (s *server) handleProgressList(ctx context.Context, in *progressListInput) (*progressListOutput, error) {
	items, total, err := s.progress.List(ctx, mangahub.ProgressFilter{
		UserID: identityFrom(ctx).UserID,
		Status: mangahub.ReadingStatus(in.Status),
		Limit:  in.Limit,
		Offset: in.Offset,
	})
	if err != nil {
		return nil, err
	}
	// The whole page's manga in one catalog lookup: progress lives in
	// stores that cannot join (the Redis hot store), so no store joins.
	ids := make([]int64, len(items))
	for i, p := range items {
		ids[i] = p.MangaID
	}
	manga, err := s.catalog.Summaries(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]libraryItem, len(items))
	for i, p := range items {
		out[i] = libraryItem{Progress: p, Manga: manga[p.MangaID]}
	}
	return &progressListOutput{Body: newPage(out, total, in.Limit, in.Offset)}, nil
}

type progressMangaInput struct {
	MangaID int64 `path:"manga_id"`
}

type progressOutput struct{ Body *mangahub.Progress }

func (s *server) handleProgressGet(ctx context.Context, in *progressMangaInput) (*progressOutput, error) {
	p, err := s.progress.Get(ctx, identityFrom(ctx).UserID, in.MangaID)
	if err != nil {
		return nil, err
	}
	return &progressOutput{Body: p}, nil
}

type progressUpdateInput struct {
	Body struct {
		// Value rules are the progress service's (shared with TCP and
		// WebSocket), which reports every problem at once.
		MangaID         int64                   `json:"manga_id" doc:"At least 1."`
		Chapter         int                     `json:"chapter" doc:"0 or more, and at most the manga's total_chapters when that is known."`
		Status          *mangahub.ReadingStatus `json:"status,omitempty" doc:"reading, completed, plan_to_read, on_hold, dropped or re_reading. Absent: reading on create, unchanged on update."`
		LastReadAt      *time.Time              `json:"last_read_at,omitempty" doc:"RFC 3339; absent means now."`
		Force           bool                    `json:"force,omitempty" doc:"Allow the chapter to move backwards."`
		ExpectedVersion *int64                  `json:"expected_version,omitempty" doc:"0 or more. When given and different from the stored version (0: none), the update is a conflict."`
	}
}

type progressUpdated struct {
	Progress *mangahub.Progress `json:"progress"`
	Applied  bool               `json:"applied" doc:"Whether the stored record changed."`
	Reason   mangahub.Reason    `json:"reason,omitempty" enum:"unchanged,backwards" doc:"Only when applied is false: unchanged (the update would change nothing) or backwards (a lower chapter than stored, without force)."`
}

type progressUpdateOutput struct{ Body progressUpdated }

func (s *server) handleProgressUpdate(ctx context.Context, in *progressUpdateInput) (*progressUpdateOutput, error) {
	b := in.Body
	res, err := s.progress.Update(ctx, identityFrom(ctx).UserID, httpOrigin, mangahub.ProgressUpdate{
		MangaID:         b.MangaID,
		Chapter:         b.Chapter,
		Status:          b.Status,
		LastReadAt:      b.LastReadAt,
		Force:           b.Force,
		ExpectedVersion: b.ExpectedVersion,
	})
	if err != nil {
		return nil, err
	}
	out := progressUpdated{Progress: res.Progress, Applied: res.Applied}
	if !res.Applied {
		out.Reason = res.Reason
	}
	return &progressUpdateOutput{Body: out}, nil
}

func (s *server) handleProgressDelete(ctx context.Context, in *progressMangaInput) (*struct{}, error) {
	if err := s.progress.Delete(ctx, identityFrom(ctx).UserID, httpOrigin, in.MangaID); err != nil {
		return nil, err
	}
	return &struct{}{}, nil
}
