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

// SearchTerms splits a query into folded words, at most max of them.
func SearchTerms(q string, max int) []string {
	terms := strings.Fields(FoldSearch(q))
	if len(terms) > max {
		terms = terms[:max]
	}
	return terms
}

// SearchKeys returns the derived columns every engine stores for a manga:
// the folded "title author" that search matches words in, and the folded
// title and author that sorting and the author filter compare.
func SearchKeys(title, author string) (searchText, titleKey, authorKey string) {
	return FoldSearch(title + " " + author), FoldSearch(title), FoldSearch(author)
}
