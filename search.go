package mangahub

import (
	"strings"
	"unicode"
)

// FoldSearch returns the form of s that catalog search compares: lower case,
// Latin accents removed ("Pokémon" → "pokemon", "Kōhei" → "kohei"), every run
// of characters that are neither letters nor digits turned into one space.
// Every engine stores and queries this form, so SQLite and PostgreSQL give the
// same results, and a folded term never holds a LIKE metacharacter.
func FoldSearch(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	space := true // suppresses leading and repeated spaces
	for _, r := range s {
		switch {
		case r < 0x80 && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9'):
			b.WriteRune(r)
			space = false
		case r < 0x80 && r >= 'A' && r <= 'Z':
			b.WriteRune(r + 'a' - 'A')
			space = false
		case foldTable[r] != 0:
			b.WriteByte(foldTable[r])
			space = false
		case r >= 0x80 && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			b.WriteRune(unicode.ToLower(r))
			space = false
		case unicode.Is(unicode.Mn, r):
			// A combining mark (decomposed input): drop it, like its
			// precomposed form.
		default:
			if !space {
				b.WriteByte(' ')
				space = true
			}
		}
	}
	return strings.TrimRight(b.String(), " ")
}

// SearchTerms splits a query into terms, at most max of them: one per word
// (a run of characters between spaces), folded with FoldSearch. Only letters
// and digits are searched, so a word's other characters (punctuation, "%",
// "_") separate its parts, which must then occur in that order: "n_ruto"
// is the phrase "n ruto", which Naruto does not hold, and "Dr.Stone" is
// "dr stone". A word with no letter or digit is no term; a query of such
// words alone has no terms, and MatchesNothing tells it from an empty one.
func SearchTerms(q string, max int) []string {
	var terms []string
	for _, w := range strings.Fields(q) {
		if len(terms) == max {
			break
		}
		if t := FoldSearch(w); t != "" {
			terms = append(terms, t)
		}
	}
	return terms
}

// MatchesNothing reports whether q asks for something (it is not blank) but
// holds no searchable term: "%" or "!!!" find nothing, not everything.
func MatchesNothing(q string) bool {
	return strings.TrimSpace(q) != "" && len(SearchTerms(q, 1)) == 0
}

// SearchKeys are the derived columns every engine stores for a manga, so
// that SQLite and PostgreSQL compare exactly the same strings.
type SearchKeys struct {
	// Names holds the folded title and alternative titles, each between
	// "| " and " |" ("| one piece | wan pisu |"): a term is a whole word of
	// a name when " term " occurs in it, the start of one when " term"
	// does, and the whole of one when "| term |" does.
	Names string
	// Text is Names followed by the folded author and " |": what terms
	// are matched in.
	Text string
	// Title and Author are the folded title (the title sort) and author
	// (the author filter, and the author's part of relevance).
	Title, Author string
}

// MangaSearchKeys returns the search keys of a manga. A name that folds to
// nothing (only punctuation) adds nothing.
func MangaSearchKeys(title string, altTitles []string, author string) SearchKeys {
	k := SearchKeys{Title: FoldSearch(title), Author: FoldSearch(author)}
	names := []string{k.Title}
	for _, alt := range altTitles {
		if f := FoldSearch(alt); f != "" {
			names = append(names, f)
		}
	}
	k.Names = "| " + strings.Join(names, " | ") + " |"
	k.Text = k.Names + " " + k.Author + " |"
	return k
}
