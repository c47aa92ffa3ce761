package storetest

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/mangahub/mangahub"
)

var (
	benchWords = strings.Fields(`dragon night blade king shadow moon fire sword heart academy
		ghost island demon star spirit hunter silent crimson summer winter garden empire
		tokyo ocean iron wolf angel sky storm flower quest legend rose cloud thunder school
		café pokémon detective`)
	benchFirst = strings.Fields(`Kōhei Eiichiro Naoko Akira Rumiko Hiromu Takehiko Yoshihiro Tite
		Masashi Hajime Gege Tatsuki Yūki Inio Kentaro Ai Rin Sui Mei`)
	benchLast = strings.Fields(`Horikoshi Oda Takeuchi Toriyama Takahashi Arakawa Inoue Togashi
		Kubo Kishimoto Isayama Akutami Fujimoto Tabata Asano Miura Yazawa Ōkubo Ishida Satō`)
	benchGenres = strings.Fields(`Action Adventure Comedy Drama Fantasy Horror Mystery Romance
		Sci-Fi Sports Supernatural Thriller`)
)

// GenerateManga returns n made-up manga, the same ones on every call, with
// titles of two to four words from a 40-word vocabulary, accented authors,
// one to three of twelve genres and some unknown years.
func GenerateManga(n int) []*mangahub.Manga {
	rng := rand.New(rand.NewPCG(1, 2))
	pick := func(words []string) string { return words[rng.IntN(len(words))] }
	statuses := []mangahub.MangaStatus{mangahub.MangaOngoing, mangahub.MangaCompleted, mangahub.MangaHiatus, mangahub.MangaCancelled}
	ms := make([]*mangahub.Manga, n)
	for i := range ms {
		words := make([]string, 2+rng.IntN(3))
		for j := range words {
			words[j] = pick(benchWords)
		}
		title := strings.Join(words, " ")
		m := &mangahub.Manga{
			Slug:        fmt.Sprintf("%s-%d", strings.ReplaceAll(mangahub.FoldSearch(title), " ", "-"), i),
			Title:       strings.ToUpper(title[:1]) + title[1:],
			Author:      pick(benchFirst) + " " + pick(benchLast),
			Status:      statuses[rng.IntN(len(statuses))],
			Description: "A generated series for benchmarks.",
		}
		if i%7 != 0 {
			m.Year = ptr(1970 + rng.IntN(55))
		}
		if m.Status == mangahub.MangaCompleted {
			m.TotalChapters = ptr(10 + rng.IntN(300))
		}
		for range 1 + rng.IntN(3) {
			m.Genres = append(m.Genres, pick(benchGenres))
		}
		ms[i] = m
	}
	return ms
}

// BenchSearch seeds s, which must be empty, with n generated manga and then
// measures FindManga for a two-word query sorted by relevance, the shape of
// a typical search from the web page.
func BenchSearch(b *testing.B, s mangahub.MangaStore, n int) {
	ctx := b.Context()
	for _, m := range GenerateManga(n) {
		if err := s.CreateManga(ctx, m); err != nil {
			b.Fatalf("CreateManga: %v", err)
		}
	}
	f := mangahub.MangaFilter{Terms: []string{"dragon", "night"}, Sort: mangahub.SortRelevance, Limit: 20}
	_, total, err := s.FindManga(ctx, f)
	if err != nil {
		b.Fatalf("FindManga: %v", err)
	}
	if total == 0 {
		b.Fatal("the benchmark query matches nothing")
	}
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := s.FindManga(ctx, f); err != nil {
			b.Fatalf("FindManga: %v", err)
		}
	}
	b.ReportMetric(float64(total), "matches")
}
