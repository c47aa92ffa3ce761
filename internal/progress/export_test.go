package progress

// SetLibraryLimit lowers the largest library s keeps in its cache, so that
// a test of the bound needs a handful of records rather than a thousand.
func SetLibraryLimit(s *Service, n int) { s.library.limit = n }
