package sqlite

// CompareAndSetOnly tells the progress service (progress.CompareAndSetOnly)
// that the records it writes here change only by ApplyProgress's
// compare-and-set, so that it may keep the record it last stored as a hint
// instead of reading it before the next update. PutProgressBatch writes
// otherwise, but only under a write-behind store, and then the service's
// store is that one, which does not say so.
func (s *ProgressStore) CompareAndSetOnly() bool { return true }
