package refserver

import (
	"strings"
	"unicode"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// fold is the contract's "case- and accent-insensitive" comparison form, the
// textbook way: decompose, drop the combining marks, lower-case, and keep
// letters and digits, every other run becoming one space.
func fold(s string) string {
	t := transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)
	s, _, _ = transform.String(t, s)
	return strings.Join(strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	}), " ")
}

// terms are the folded words of a query; a word's punctuation splits it
// into parts that must occur in order ("dr.stone" is "dr stone").
func terms(q string) []string {
	var out []string
	for _, w := range strings.Fields(q) {
		if t := fold(w); t != "" {
			out = append(out, t)
		}
	}
	return out
}

// keys are a manga's folded names and author, computed once at load.
type keys struct {
	names  string // "| title | alt | alt |"
	author string
	text   string // names, author and " |": where terms must occur
	title  string // the title sort
}

func newKeys(m *Manga) keys {
	k := keys{title: fold(m.Title), author: fold(m.Author)}
	names := []string{k.title}
	for _, a := range m.AltTitles {
		if f := fold(a); f != "" {
			names = append(names, f)
		}
	}
	k.names = "| " + strings.Join(names, " | ") + " |"
	k.text = k.names + " " + k.author + " |"
	return k
}

// matches reports whether every term occurs in k.
func (k keys) matches(ts []string) bool {
	for _, t := range ts {
		if !strings.Contains(k.text, t) {
			return false
		}
	}
	return true
}

// rank is the contract's relevance order as MangaHub documents it: a name
// that is the whole query first, then the sum over terms of each term's
// best match (a whole word of a name 0, of the author 1; the start of a
// word of a name 2, of the author 3; inside a name 4, else 5). Lower is
// better; ties go by title, then id.
func (k keys) rank(ts []string) (whole bool, score int) {
	whole = strings.Contains(k.names, "| "+strings.Join(ts, " ")+" |")
	author := " " + k.author + " "
	for _, t := range ts {
		switch {
		case strings.Contains(k.names, " "+t+" "):
		case strings.Contains(author, " "+t+" "):
			score++
		case strings.Contains(k.names, " "+t):
			score += 2
		case strings.Contains(author, " "+t):
			score += 3
		case strings.Contains(k.names, t):
			score += 4
		default:
			score += 5
		}
	}
	return whole, score
}
