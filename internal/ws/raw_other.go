//go:build !unix

package ws

// setupRaw leaves plain reads in place: waiting then holds a pooled chunk.
func (in *input) setupRaw() {}
