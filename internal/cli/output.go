package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"
	"unicode/utf8"
)

// writeJSON prints v as one indented JSON document.
func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// table is an aligned text table for people; Flush prints it.
type table struct{ tw *tabwriter.Writer }

func newTable(w io.Writer, headers ...string) *table {
	t := &table{tw: tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)}
	if len(headers) > 0 {
		t.row(headers...)
	}
	return t
}

// row adds one row; tabs and newlines inside cells would break the
// alignment, so they become spaces.
func (t *table) row(cells ...string) {
	for i, c := range cells {
		cells[i] = strings.Join(strings.Fields(c), " ")
	}
	fmt.Fprintln(t.tw, strings.Join(cells, "\t"))
}

func (t *table) flush() error { return t.tw.Flush() }

// maxCell is the widest a free-text cell (a title) is shown in a table.
const maxCell = 48

// clip shortens s to maxCell characters, marking the cut with an ellipsis.
func clip(s string) string {
	if utf8.RuneCountInString(s) <= maxCell {
		return s
	}
	r := []rune(s)
	return string(r[:maxCell-1]) + "…"
}

// optInt shows an optional number, "-" when unknown.
func optInt(n *int) string {
	if n == nil {
		return "-"
	}
	return strconv.Itoa(*n)
}

// chapterOf shows a chapter with the manga's total when known: "34/100".
func chapterOf(chapter int, total *int) string {
	if total == nil {
		return strconv.Itoa(chapter)
	}
	return fmt.Sprintf("%d/%d", chapter, *total)
}

// when shows a time in the local zone, to the minute.
func when(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}

// mangaLabel names a manga for people: "#12 One Piece", or "#12" when the
// title is unknown.
func mangaLabel(id int64, title string) string {
	if title == "" {
		return "#" + strconv.FormatInt(id, 10)
	}
	return "#" + strconv.FormatInt(id, 10) + " " + title
}
