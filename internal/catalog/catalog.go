// Package catalog holds the manga and genre use cases: search with
// normalised arguments, validated create/update/delete, catalog import from
// JSON, and the embedded sample catalog that seeds an empty database.
package catalog

import (
	"github.com/mangahub/mangahub"
)

// Service implements the catalog use cases over a mangahub.MangaStore.
type Service struct {
	store mangahub.MangaStore
}

// New returns a Service over store.
func New(store mangahub.MangaStore) *Service {
	return &Service{store: store}
}

// storeError keeps the store's own *mangahub.Error (its code and safe
// message) and hides anything else behind "internal error".
func storeError(err error) error {
	return mangahub.AsError(err)
}

var errMangaNotFound = mangahub.Errorf(mangahub.CodeNotFound, "manga not found")
