//go:build !unix

package tcpsync

// setupRaw leaves plain reads in place: waiting then holds a pooled buffer.
func (t *conn) setupRaw() {}
