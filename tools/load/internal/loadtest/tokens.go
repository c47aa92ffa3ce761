package loadtest

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"strings"
)

// maxTokens bounds a tokens file.
const maxTokens = 1_000_000

// WriteTokens writes one token per line to path, readable by its owner only:
// the tokens are credentials until they expire.
func WriteTokens(path string, tokens []string) error {
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, t := range tokens {
		w.WriteString(t)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ReadTokens reads a file written by WriteTokens.
func ReadTokens(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var tokens []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 8192), 8192)
	for sc.Scan() {
		if t := strings.TrimSpace(sc.Text()); t != "" {
			if len(tokens) == maxTokens {
				return nil, fmt.Errorf("%s: more than %d tokens", path, maxTokens)
			}
			tokens = append(tokens, t)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(tokens) == 0 {
		return nil, errors.New(path + ": no tokens")
	}
	return tokens, nil
}
