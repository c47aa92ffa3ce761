// Package catalog holds the manga and genre use cases: search with
// normalised arguments, validated create/update/delete, catalog import from
// JSON, and the embedded sample catalog that seeds an empty database.
package catalog

import (
	"context"

	"github.com/mangahub/mangahub"
)

// Service implements the catalog use cases over a mangahub.MangaStore.
type Service struct {
	store        mangahub.MangaStore
	beforeDelete func(ctx context.Context, mangaID int64) error
}

// Option configures a Service.
type Option func(*Service)

// BeforeDelete has fn run before a manga is deleted; an error stops the
// delete. The server uses it to delete the manga's reading progress through
// the progress rules, so that every reader's devices are told.
func BeforeDelete(fn func(ctx context.Context, mangaID int64) error) Option {
	return func(s *Service) { s.beforeDelete = fn }
}

// New returns a Service over store.
func New(store mangahub.MangaStore, opts ...Option) *Service {
	s := &Service{store: store}
	for _, o := range opts {
		o(s)
	}
	return s
}

// storeError keeps the store's own *mangahub.Error (its code and safe
// message) and hides anything else behind "internal error".
func storeError(err error) error {
	return mangahub.AsError(err)
}

var errMangaNotFound = mangahub.Errorf(mangahub.CodeNotFound, "manga not found")
