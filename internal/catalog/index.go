package catalog

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/mangahub/mangahub"
)

// searchIndex is the whole catalog in memory, read in one statement, and
// answers a search (mangahub.MangaFilter) exactly as the stores do: the same
// matches, the same order, the same total. Stores check every term against
// each candidate row with a database function; here a trigram index narrows
// the candidates to a few and the check is strings.Contains on the same
// folded keys (mangahub.MangaSearchKeys), so a search costs microseconds
// instead of milliseconds at 20,000 manga.
//
// An index does not change once built (but for sort orders computed on
// first use, each once): searches share it without locks, and a write
// replaces it (see readCache).
type searchIndex struct {
	// docs are the manga in title order (folded title, then ID): a
	// document's number is its rank in the title sort.
	docs []indexedManga
	// trigrams lists, for every three bytes found in a document's search
	// text, the documents holding them, in ascending order.
	trigrams map[trigram][]int32
	// byID finds a document by its manga's ID.
	byID map[int64]int32
	// genres lists the documents carrying each genre (by key), ascending.
	genres map[string][]int32
	// orders holds, for the other sorts, the documents in that order and
	// each document's rank in it, each computed by the first search that
	// needs it (a third of the build's time if made up front).
	orders map[mangahub.MangaSort]*sortOrder
	// version is the catalog's (MangaStore.FindCatalogVersion) when the
	// read began.
	version int64
	// built is when the read the index was built from (or the version
	// that showed it still current) began; the index answers for the
	// cache's TTL from then.
	built time.Time
}

type indexedManga struct {
	m      *mangahub.Manga
	keys   mangahub.SearchKeys
	status mangahub.MangaStatus // m's, beside the keys: one memory read less per candidate
	genres []string             // keys (mangahub.GenreKey), sorted
}

type sortOrder struct {
	cmp  func(a, b *mangahub.Manga) int // the order, before the ID
	once sync.Once
	docs []int32 // the documents in this order
	rank []int32 // rank[doc] is doc's position in docs
}

type trigram uint32

func trigramAt(s string, i int) trigram {
	return trigram(s[i])<<16 | trigram(s[i+1])<<8 | trigram(s[i+2])
}

// newSearchIndex indexes ms, the whole catalog at version, read at built.
func newSearchIndex(ms []*mangahub.Manga, version int64, built time.Time) *searchIndex {
	ix := &searchIndex{
		docs:     make([]indexedManga, len(ms)),
		trigrams: make(map[trigram][]int32),
		genres:   make(map[string][]int32),
		byID:     make(map[int64]int32, len(ms)),
		version:  version,
		built:    built,
	}
	for i, m := range ms {
		keys := make([]string, len(m.Genres))
		for j, g := range m.Genres {
			keys[j] = mangahub.GenreKey(g)
		}
		slices.Sort(keys)
		ix.docs[i] = indexedManga{m: m, keys: mangahub.MangaSearchKeys(m.Title, m.AltTitles, m.Author), status: m.Status, genres: slices.Compact(keys)}
	}
	slices.SortFunc(ix.docs, func(a, b indexedManga) int {
		if c := strings.Compare(a.keys.Title, b.keys.Title); c != 0 {
			return c
		}
		return cmp.Compare(a.m.ID, b.m.ID)
	})
	for i := range ix.docs {
		d, doc := &ix.docs[i], int32(i)
		text := d.keys.Text
		for j := 0; j+3 <= len(text); j++ {
			t := trigramAt(text, j)
			if list := ix.trigrams[t]; len(list) == 0 || list[len(list)-1] != doc {
				ix.trigrams[t] = append(list, doc)
			}
		}
		for _, g := range d.genres {
			ix.genres[g] = append(ix.genres[g], doc)
		}
		ix.byID[d.m.ID] = doc
	}
	ix.orders = map[mangahub.MangaSort]*sortOrder{
		mangahub.SortUpdatedAtDesc: {cmp: func(a, b *mangahub.Manga) int { return b.UpdatedAt.Compare(a.UpdatedAt) }},
		mangahub.SortYear:          {cmp: func(a, b *mangahub.Manga) int { return cmpYear(a.Year, b.Year, 1) }},
		mangahub.SortYearDesc:      {cmp: func(a, b *mangahub.Manga) int { return cmpYear(a.Year, b.Year, -1) }},
	}
	return ix
}

// renewed is ix answering for another TTL from at: the catalog's version
// showed it unchanged.
func (ix *searchIndex) renewed(at time.Time) *searchIndex {
	next := *ix
	next.built = at
	return &next
}

// manga returns the manga with id, nil when there is none.
func (ix *searchIndex) manga(id int64) *mangahub.Manga {
	if doc, ok := ix.byID[id]; ok {
		return ix.docs[doc].m
	}
	return nil
}

// order returns the order of sort, ranked on first use; nil for title
// order and relevance.
func (ix *searchIndex) order(sort mangahub.MangaSort) *sortOrder {
	o := ix.orders[sort]
	if o == nil {
		return nil
	}
	o.once.Do(func() {
		o.docs, o.rank = make([]int32, len(ix.docs)), make([]int32, len(ix.docs))
		for i := range o.docs {
			o.docs[i] = int32(i)
		}
		slices.SortFunc(o.docs, func(a, b int32) int {
			ma, mb := ix.docs[a].m, ix.docs[b].m
			if c := o.cmp(ma, mb); c != 0 {
				return c
			}
			return cmp.Compare(ma.ID, mb.ID)
		})
		for r, doc := range o.docs {
			o.rank[doc] = int32(r)
		}
	})
	return o
}

// cmpYear orders years in direction dir (1 ascending, -1 descending) with
// unknown years last either way (the stores' NULLS LAST).
func cmpYear(a, b *int, dir int) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return 1
	case b == nil:
		return -1
	}
	return dir * cmp.Compare(*a, *b)
}

// query is a filter prepared for matching.
type query struct {
	f         mangahub.MangaFilter
	genres    []string // keys
	relevance bool     // sorted by relevance, with terms
	exact     string   // "| the whole query |", for relevance
}

func prepare(f mangahub.MangaFilter) *query {
	q := &query{f: f, relevance: f.Sort == mangahub.SortRelevance && len(f.Terms) > 0}
	if len(f.Genres) > 0 {
		q.genres = make([]string, len(f.Genres))
		for i, g := range f.Genres {
			q.genres[i] = mangahub.GenreKey(g)
		}
	}
	if q.relevance {
		q.exact = "| " + strings.Join(f.Terms, " ") + " |"
	}
	return q
}

// match reports whether d passes every condition of the filter (but the
// genres when genresChecked: the candidates carry them) and, when sorting
// by relevance, d's place in that sort before the title: 0 to 50 for up to
// 10 terms, plus 64 when no name of d is the whole query.
func (q *query) match(d *indexedManga, genresChecked bool) (rank uint64, ok bool) {
	for _, t := range q.f.Terms {
		if !q.relevance {
			if !strings.Contains(d.keys.Text, t) {
				return 0, false
			}
			continue
		}
		r := termRank(d.keys.Text, len(d.keys.Names), t)
		if r < 0 {
			return 0, false
		}
		rank += uint64(r)
	}
	if q.f.Author != "" && !strings.Contains(d.keys.Author, q.f.Author) {
		return 0, false
	}
	if q.f.Status != "" && d.status != q.f.Status {
		return 0, false
	}
	if !genresChecked {
		for _, g := range q.genres {
			if _, found := slices.BinarySearch(d.genres, g); !found {
				return 0, false
			}
		}
	}
	// A name that is the whole query holds every term as a whole word
	// (rank 0): only then can it be there.
	if q.relevance && (rank > 0 || !strings.Contains(d.keys.Names, q.exact)) {
		rank += 64
	}
	return rank, true
}

// termRank is the best match of term t in a search text whose first
// namesLen bytes are the names (mangahub.SortRelevance): a whole word of a
// name (0) or of the author (1), the start of a word of a name (2) or of
// the author (3), inside a word of a name (4) or of the author (5); -1 when
// t does not occur. The stores ask up to five questions of the text, one
// substring each; here one pass over t's occurrences answers them all. The
// text starts with "| " and ends with " |", and t holds no "|", so every
// occurrence has a byte before and after it, and lies within the names or
// within the author.
func termRank(text string, namesLen int, t string) int {
	best := -1
	for from := 0; ; {
		i := strings.Index(text[from:], t)
		if i < 0 {
			return best
		}
		at := from + i
		r := 4
		if text[at-1] == ' ' {
			r = 2
			if text[at+len(t)] == ' ' {
				r = 0
			}
		}
		if at >= namesLen {
			r++
		}
		if best < 0 || r < best {
			best = r
		}
		if best == 0 {
			return 0
		}
		from = at + 1
	}
}

// find answers f: the page and how many match in all.
func (ix *searchIndex) find(f mangahub.MangaFilter) ([]*mangahub.Manga, int) {
	q := prepare(f)
	order := ix.order(f.Sort) // nil: title order, or relevance
	relevance := q.relevance
	limit, offset := f.Limit, max(f.Offset, 0)
	if limit <= 0 { // as in the stores: no limit
		limit = len(ix.docs)
	}
	if !relevance && len(f.Terms) == 0 && f.Author == "" && f.Status == "" && len(q.genres) == 0 {
		return ix.all(order, limit, offset), len(ix.docs)
	}

	// Each match becomes a sort key whose low 32 bits name the document
	// (its number, or its rank in order), so that choosing the page is
	// sorting integers.
	cands, narrowed := ix.candidates(q)
	keys := make([]uint64, 0, len(cands))
	add := func(doc int32) {
		rank, ok := q.match(&ix.docs[doc], narrowed)
		if !ok {
			return
		}
		switch {
		case relevance:
			keys = append(keys, rank<<32|uint64(doc))
		case order != nil:
			keys = append(keys, uint64(order.rank[doc]))
		default:
			keys = append(keys, uint64(doc))
		}
	}
	if narrowed {
		for _, doc := range cands {
			add(doc)
		}
	} else {
		for doc := range ix.docs {
			add(int32(doc))
		}
	}

	total := len(keys)
	keys = smallest(keys, offset+limit)
	if offset >= len(keys) {
		return []*mangahub.Manga{}, total
	}
	keys = keys[offset:]
	page := make([]*mangahub.Manga, len(keys))
	for i, k := range keys {
		doc := int32(uint32(k))
		if order != nil && !relevance {
			doc = order.docs[doc]
		}
		page[i] = ix.docs[doc].m
	}
	return page, total
}

// all is a page of the whole catalog in order (title order when nil).
func (ix *searchIndex) all(order *sortOrder, limit, offset int) []*mangahub.Manga {
	from, to := min(offset, len(ix.docs)), min(offset+limit, len(ix.docs))
	page := make([]*mangahub.Manga, 0, to-from)
	for i := from; i < to; i++ {
		doc := int32(i)
		if order != nil {
			doc = order.docs[i]
		}
		page = append(page, ix.docs[doc].m)
	}
	return page
}

// candidates narrows the documents to a superset of the matches: those
// carrying every genre asked for, and holding, for each term and the
// author (part of the search text), the rarest of its trigrams. The other
// trigrams would narrow little more than the check of each candidate that
// follows. narrowed is false when nothing narrows (no genre, no term of
// three bytes or more): every document must then be checked. Candidates
// carry every genre asked for, so the check skips genres.
func (ix *searchIndex) candidates(q *query) (cands []int32, narrowed bool) {
	var lists, others [][]int32
	for _, g := range q.genres {
		lists = append(lists, ix.genres[g])
	}
	for _, s := range append(slices.Clip(q.f.Terms), q.f.Author) {
		if len(s) < 3 {
			continue
		}
		rarest := 0
		n := len(others)
		for i := 0; i+3 <= len(s); i++ {
			others = append(others, ix.trigrams[trigramAt(s, i)])
			if len(others[n+i]) < len(others[n+rarest]) {
				rarest = i
			}
		}
		lists = append(lists, others[n+rarest])
		others[n+rarest] = nil
	}
	if len(lists) == 0 {
		return nil, false
	}
	byLength := func(a, b []int32) int { return len(a) - len(b) }
	slices.SortFunc(lists, byLength)
	cands = slices.Clone(lists[0])
	for _, list := range lists[1:] {
		cands = intersect(cands, list)
	}
	// A few more trigrams while they still narrow much for little: a
	// common word's second trigram can halve its candidates.
	slices.SortFunc(others, byLength)
	extra := 0
	for _, list := range others {
		if list == nil {
			continue
		}
		if extra == maxExtraTrigrams || len(cands) <= fewCandidates || len(list) > 4*len(cands) {
			break
		}
		cands = intersect(cands, list)
		extra++
	}
	return cands, true
}

// Narrowing past each term's rarest trigram stops after maxExtraTrigrams
// more, or once fewCandidates are left: checking those is cheaper.
const (
	maxExtraTrigrams = 3
	fewCandidates    = 64
)

// intersect keeps the elements of a (ascending) that are in b (ascending,
// and not shorter), in place: by merging when the lists are of a size, by
// binary search when b is much longer.
func intersect(a, b []int32) []int32 {
	out := a[:0]
	if len(b) < 16*len(a) {
		j := 0
		for _, x := range a {
			for j < len(b) && b[j] < x {
				j++
			}
			if j < len(b) && b[j] == x {
				out = append(out, x)
			}
		}
		return out
	}
	for _, x := range a {
		i, found := slices.BinarySearch(b, x)
		if found {
			out = append(out, x)
		}
		b = b[i:]
	}
	return out
}

// smallest returns the n smallest keys in ascending order (all of them
// when there are fewer), reordering keys.
func smallest(keys []uint64, n int) []uint64 {
	if n <= 0 {
		return nil
	}
	if n >= len(keys) || len(keys) <= 256 || n > len(keys)/8 {
		slices.Sort(keys)
		return keys[:min(n, len(keys))]
	}
	// A max-heap of the n smallest so far: most keys are larger than its
	// top and cost one comparison.
	h := keys[:n]
	for i := n/2 - 1; i >= 0; i-- {
		siftDown(h, i)
	}
	for _, k := range keys[n:] {
		if k < h[0] {
			h[0] = k
			siftDown(h, 0)
		}
	}
	slices.Sort(h)
	return h
}

func siftDown(h []uint64, i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		if r := l + 1; r < len(h) && h[r] > h[l] {
			l = r
		}
		if h[i] >= h[l] {
			return
		}
		h[i], h[l] = h[l], h[i]
		i = l
	}
}
