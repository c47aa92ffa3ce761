package catalog

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/mangahub/mangahub"
)

// MaxCatalogBytes bounds a catalog file; ten thousand entries with full
// descriptions take a few MiB.
const MaxCatalogBytes = 32 << 20

// ParseCatalog reads a JSON array of manga objects, shaped like the API's
// manga. Fields a manga does not have are ignored, as the API ignores them,
// and listed in ignored ("entry 3: \"titel\"") so that a misspelt field does
// not go unnoticed. Errors are CodeInvalidJSON and say where the problem is;
// entries are not validated here (Import does that).
func ParseCatalog(r io.Reader) (manga []*mangahub.Manga, ignored []string, err error) {
	return parseCatalog(r, MaxCatalogBytes)
}

func parseCatalog(r io.Reader, limit int64) ([]*mangahub.Manga, []string, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, nil, mangahub.Internal(fmt.Errorf("read catalog: %w", err))
	}
	if int64(len(data)) > limit {
		if limit%(1<<20) == 0 {
			return nil, nil, mangahub.Errorf(mangahub.CodeMessageTooLarge, "catalog is larger than %d MiB", limit>>20)
		}
		return nil, nil, mangahub.Errorf(mangahub.CodeMessageTooLarge, "catalog is larger than %d bytes", limit)
	}
	p := catalogParser{data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	ms, err := p.parse()
	if err != nil {
		return nil, nil, err
	}
	return ms, p.ignored, nil
}

type catalogParser struct {
	data    []byte
	dec     *json.Decoder
	ignored []string
}

// mangaFields are the JSON names of a manga's fields.
var mangaFields = func() map[string]bool {
	fields := map[string]bool{}
	t := reflect.TypeFor[mangahub.Manga]()
	for i := range t.NumField() {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("json"), ",")
		fields[name] = true
	}
	return fields
}()

func (p *catalogParser) parse() ([]*mangahub.Manga, error) {
	if len(bytes.TrimSpace(p.data)) == 0 {
		return nil, p.fail(0, "the catalog is empty; want a JSON array of manga objects")
	}
	// A syntax pass over the whole document first: Unmarshal reports syntax
	// errors at their true byte offset, which a streaming Decoder does not.
	if err := json.Unmarshal(p.data, &syntaxOnly{}); err != nil {
		var syntaxErr *json.SyntaxError
		if !errors.As(err, &syntaxErr) {
			return nil, p.fail(0, "invalid JSON: "+err.Error())
		}
		if syntaxErr.Offset >= int64(len(p.data)) {
			return nil, p.fail(int64(len(p.data)), "unexpected end of input")
		}
		return nil, p.fail(max(syntaxErr.Offset-1, 0), "invalid JSON: "+syntaxErr.Error())
	}

	// The document is well-formed; decode it entry by entry so that a type
	// error or an unknown field can be pinned to its entry.
	if tok, err := p.dec.Token(); err != nil || tok != json.Delim('[') {
		return nil, p.fail(p.startOf(0), "want a JSON array of manga objects")
	}
	out := []*mangahub.Manga{}
	for i := 0; p.dec.More(); i++ {
		start := p.dec.InputOffset()
		var raw json.RawMessage
		if err := p.dec.Decode(&raw); err != nil {
			return nil, p.entryError(i, p.startOf(start), err)
		}
		var m *mangahub.Manga
		if err := json.Unmarshal(raw, &m); err != nil {
			return nil, p.entryError(i, p.startOf(start), err)
		}
		if m == nil {
			return nil, p.fail(p.startOf(start), fmt.Sprintf("entry %d is null; want a manga object", i))
		}
		var fields map[string]json.RawMessage
		_ = json.Unmarshal(raw, &fields) // an object: Unmarshal into a Manga succeeded
		var unknown []string
		for name := range fields {
			if !mangaFields[name] {
				unknown = append(unknown, strconv.Quote(name))
			}
		}
		if len(unknown) > 0 {
			slices.Sort(unknown)
			p.ignored = append(p.ignored, fmt.Sprintf("entry %d: %s", i, strings.Join(unknown, ", ")))
		}
		out = append(out, m)
	}
	return out, nil
}

// entryError explains why entry i, starting at offset start, did not decode.
func (p *catalogParser) entryError(i int, start int64, err error) error {
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		return p.fail(start, fmt.Sprintf("entry %d: field %q must be %s, not %s", i, typeErr.Field, describeType(typeErr.Type), typeErr.Value))
	}
	if errors.As(err, &typeErr) {
		return p.fail(start, fmt.Sprintf("entry %d must be a manga object, not %s", i, typeErr.Value))
	}
	// Bad timestamps and the like: json's own message names the field.
	return p.fail(start, fmt.Sprintf("entry %d: %v", i, err))
}

// startOf moves off past the whitespace and comma that precede a value, so
// an entry's position is that of its first character.
func (p *catalogParser) startOf(off int64) int64 {
	for off < int64(len(p.data)) {
		switch p.data[off] {
		case ' ', '\t', '\n', '\r', ',':
			off++
			continue
		}
		break
	}
	return off
}

// fail builds the error for a problem at byte offset off, as line and column.
func (p *catalogParser) fail(off int64, msg string) error {
	line, col := position(p.data, off)
	return mangahub.Errorf(mangahub.CodeInvalidJSON, "catalog line %d, column %d: %s", line, col, msg)
}

// position turns a byte offset into a 1-based line and column (in bytes).
func position(data []byte, off int64) (line, col int) {
	before := data[:min(off, int64(len(data)))]
	line = bytes.Count(before, []byte{'\n'}) + 1
	col = len(before) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// syntaxOnly lets json.Unmarshal check a document without copying or
// building anything: Unmarshal scans the whole input before it calls
// UnmarshalJSON.
type syntaxOnly struct{}

func (*syntaxOnly) UnmarshalJSON([]byte) error { return nil }

func describeType(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "an integer"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return "a " + t.Kind().String()
}
