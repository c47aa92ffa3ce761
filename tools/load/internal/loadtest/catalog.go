package loadtest

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// GeneratedManga is a catalog entry in the shape `mangahub catalog import`
// reads (the API's manga object, without the fields the server sets).
type GeneratedManga struct {
	Slug          string   `json:"slug"`
	Title         string   `json:"title"`
	AltTitles     []string `json:"alt_titles"`
	Author        string   `json:"author"`
	Status        string   `json:"status"`
	TotalChapters *int     `json:"total_chapters"`
	Year          *int     `json:"year"`
	Description   string   `json:"description"`
	CoverURL      string   `json:"cover_url"`
	Genres        []string `json:"genres"`
}

// The vocabulary of generated titles. It holds the words of SearchWords, so
// that a search finds a few of the 200 sample manga and hundreds of a
// generated catalog of 20,000, as a search of a large real catalog would.
var (
	titleWords = []string{
		"dragon", "blue", "black", "hero", "tokyo", "magic", "witch", "fire", "samurai", "king",
		"night", "shadow", "moon", "blade", "crimson", "summer", "academy", "ghost", "star", "silent",
		"wolf", "legend", "storm", "iron", "angel", "garden", "winter", "spirit", "ocean", "clockwork",
		"paper", "lantern", "river", "empire", "thunder", "glass", "violet", "hunter", "castle", "song",
	}
	romaji      = []string{"no", "ken", "yume", "sora", "hoshi", "kaze", "hana", "tsuki", "mizu", "hikari"}
	givenNames  = []string{"Akira", "Haruka", "Kenji", "Yuki", "Takeshi", "Rumiko", "Hiro", "Sayaka", "Kōhei", "Mei"}
	familyNames = []string{"Takahashi", "Yamada", "Sato", "Inoue", "Fujimoto", "Kobayashi", "Watanabe", "Ishida", "Mori", "Nakamura"}
	genres      = []string{"Action", "Adventure", "Comedy", "Drama", "Fantasy", "Horror", "Mystery", "Romance", "Sci-Fi", "Slice of Life"}
	statuses    = []string{"ongoing", "completed", "hiatus", "cancelled"}
)

// GenerateManga returns n manga, the same n for the same seed, with slugs
// gen-<seed>-00000 …: importing them again upserts the same entries. A
// quarter have no chapter count, so that the fan-out runs find manga any
// chapter is valid for.
func GenerateManga(n int, seed uint64) []GeneratedManga {
	r := rand.New(rand.NewPCG(seed, 0x6d616e6761))
	pick := func(words []string) string { return words[r.IntN(len(words))] }
	out := make([]GeneratedManga, n)
	for i := range out {
		words := make([]string, 2+r.IntN(2))
		for j := range words {
			words[j] = pick(titleWords)
		}
		title := strings.ToUpper(words[0][:1]) + words[0][1:] + " " + strings.Join(words[1:], " ")
		m := GeneratedManga{
			Slug:      fmt.Sprintf("gen-%d-%05d", seed, i),
			Title:     fmt.Sprintf("%s %d", title, i),
			AltTitles: []string{pick(romaji) + " " + pick(romaji) + " " + pick(romaji)},
			Author:    pick(givenNames) + " " + pick(familyNames),
			Status:    pick(statuses),
			Description: fmt.Sprintf("A generated story of %s and %s, number %d of a catalog made for load tests: "+
				"its words are drawn from a small vocabulary so that searches match many entries.", words[0], words[len(words)-1], i),
			Genres: []string{genres[i%len(genres)], genres[(i/len(genres)+1+i)%len(genres)]},
		}
		if m.Genres[0] == m.Genres[1] {
			m.Genres = m.Genres[:1]
		}
		year := 1970 + r.IntN(56)
		m.Year = &year
		if r.IntN(4) != 0 {
			total := 10 + r.IntN(500)
			m.TotalChapters = &total
		}
		out[i] = m
	}
	return out
}
