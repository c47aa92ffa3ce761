package catalog

import (
	"strings"

	"github.com/mangahub/mangahub"
)

// fallbackSlug names a manga whose title has no ASCII letters or digits
// (for example one written only in Japanese).
const fallbackSlug = "manga"

// checkSlug accepts lower-case ASCII words joined by single hyphens, the form
// deriveSlug produces and URLs carry without escaping.
func checkSlug(s string) error {
	if s == "" {
		return mangahub.FieldError("slug", "must not be empty")
	}
	if len(s) > MaxSlugLen {
		return mangahub.FieldError("slug", "must be at most %d characters", MaxSlugLen)
	}
	prevHyphen := true // a slug cannot start with a hyphen
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			prevHyphen = false
		case c == '-' && !prevHyphen:
			prevHyphen = true
		default:
			return mangahub.FieldError("slug", "must be lower-case letters a-z and digits in words joined by single hyphens")
		}
	}
	if prevHyphen {
		return mangahub.FieldError("slug", "must not end with a hyphen")
	}
	return nil
}

// deriveSlug makes a slug from a title: the words of its folded search form
// ("Pokémon Adventures" → "pokemon-adventures"), ASCII only, at most
// MaxSlugLen characters, cut at a word boundary where possible.
func deriveSlug(title string) string {
	var b strings.Builder
	for _, w := range strings.Fields(mangahub.FoldSearch(title)) {
		w = asciiAlnum(w)
		if w == "" {
			continue
		}
		if b.Len() > 0 {
			if b.Len()+1+len(w) > MaxSlugLen {
				break
			}
			b.WriteByte('-')
		}
		if len(w) > MaxSlugLen {
			w = w[:MaxSlugLen]
		}
		b.WriteString(w)
	}
	if b.Len() == 0 {
		return fallbackSlug
	}
	return b.String()
}

// asciiAlnum keeps the ASCII letters and digits of a folded word; FoldSearch
// keeps letters of other scripts, which a slug cannot carry.
func asciiAlnum(w string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return -1
	}, w)
}
