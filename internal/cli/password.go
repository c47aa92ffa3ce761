package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"
)

// maxPasswordInput bounds what is read as a password (the server accepts at
// most 72 bytes; the rest is for a friendlier error from the server).
const maxPasswordInput = 1024

// readPasswordFrom reads r up to its end or first newline; one trailing
// newline (and a CR before it) is not part of the password.
func readPasswordFrom(r io.Reader) (string, error) {
	line, err := bufio.NewReader(io.LimitReader(r, maxPasswordInput)).ReadString('\n')
	if err != nil && err != io.EOF {
		return "", fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimSuffix(line, "\n")
	line = strings.TrimSuffix(line, "\r")
	if line == "" {
		return "", errors.New("no password on standard input")
	}
	return line, nil
}
