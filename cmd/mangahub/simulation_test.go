package main_test

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/mangahub/mangahub/internal/testenv"
)

// simSeed fixes the simulation's choices (not the interleaving of its
// goroutines, which the scheduler decides).
const simSeed = 20261205

var statuses = []string{"reading", "completed", "plan_to_read", "on_hold", "dropped", "re_reading"}

// (g) A randomized multi-device simulation: three users, each with a TCP
// connection to one instance, a WebSocket and a TCP connection to the
// other, and an HTTP client on both; random updates (forward, backward with
// and without force, with expected_version, status changes) and deletes,
// all at once; Redis restarts in the middle. In the end every device has
// seen every version of its user's records, in order, and its last view,
// the hot store on both instances and PostgreSQL agree.
func TestMultiDeviceSimulation(t *testing.T) {
	pg, rs := testenv.PostgresURL(t), testenv.NewRedis(t)
	env := hybridEnv(t, pg, rs.URL())
	a, b := start(t, env...), start(t, env...)
	instances := []*proc{a, b}

	type user struct {
		name    string
		tk      tokens
		devices []*device
		mu      sync.Mutex
		viaHTTP []observation // states applied over HTTP
	}
	var users []*user
	for i := range 3 {
		u := &user{name: fmt.Sprintf("sim%d", i)}
		u.tk = registerAndLogin(t, a.httpBase, u.name)
		u.devices = []*device{
			dialTCP(t, a.tcpAddr, u.tk.AccessToken, u.name+"-tcp-a"),
			dialWS(t, b.httpBase, u.tk.AccessToken, u.name+"-ws-b"),
			dialTCP(t, b.tcpAddr, u.tk.AccessToken, u.name+"-tcp-b"),
		}
		users = append(users, u)
	}
	mangas := catalogIDs(t, a.httpBase, users[0].tk.AccessToken, 3)

	// view is what a device last learned of a record.
	view := func(d *device, manga int64) observation {
		var last observation
		for _, o := range d.observations() {
			if o.manga == manga {
				last = o
			}
		}
		return last
	}
	deviceOps := func(t *testing.T, d *device, rng *rand.Rand, n int) {
		for range n {
			m := mangas[rng.IntN(len(mangas))]
			v := view(d, m)
			chapter := v.chapter
			if v.deleted {
				chapter = 0
			}
			extra := map[string]any{}
			switch r := rng.Float64(); {
			case r < 0.55:
				chapter += 1 + rng.IntN(3)
			case r < 0.65:
				chapter = max(0, chapter-1-rng.IntN(3))
			case r < 0.75:
				chapter = max(0, chapter-1-rng.IntN(3))
				extra["force"] = true
			case r < 0.85:
				chapter++
				expected := v.version
				if v.deleted {
					expected = 0
				}
				extra["expected_version"] = expected
			default:
				extra["status"] = statuses[rng.IntN(len(statuses))]
			}
			reply, err := d.update(m, chapter, extra)
			if err != nil {
				t.Errorf("%s: %v", d.name, err)
				return
			}
			if reply["type"] == "error" && reply["code"] != "conflict" {
				t.Errorf("%s: update answered %v", d.name, reply)
			}
		}
	}
	httpOps := func(t *testing.T, u *user, rng *rand.Rand, n int) {
		for i := range n {
			p := instances[i%2]
			m := mangas[rng.IntN(len(mangas))]
			if rng.Float64() < 0.7 {
				var out struct {
					Applied  bool           `json:"applied"`
					Progress map[string]any `json:"progress"`
				}
				body := map[string]any{"manga_id": m, "chapter": 1 + rng.IntN(60), "force": rng.Float64() < 0.3}
				if code := call(t, "POST", p.httpBase+"/api/progress", u.tk.AccessToken, body, &out); code != http.StatusOK {
					t.Errorf("%s: POST /api/progress: %d", u.name, code)
					continue
				}
				if out.Applied {
					u.mu.Lock()
					u.viaHTTP = append(u.viaHTTP, observe("http", out.Progress))
					u.mu.Unlock()
				}
				continue
			}
			if code := call(t, "DELETE", fmt.Sprintf("%s/api/progress/%d", p.httpBase, m), u.tk.AccessToken, nil, nil); code != http.StatusNoContent && code != http.StatusNotFound {
				t.Errorf("%s: DELETE: %d", u.name, code)
			}
		}
	}
	phase := func(round uint64) {
		var wg sync.WaitGroup
		for ui, u := range users {
			for di, d := range u.devices {
				rng := rand.New(rand.NewPCG(simSeed, round*100+uint64(ui*10+di)))
				wg.Go(func() { deviceOps(t, d, rng, 40) })
			}
			rng := rand.New(rand.NewPCG(simSeed, round*100+uint64(ui*10+9)))
			wg.Go(func() { httpOps(t, u, rng, 20) })
		}
		wg.Wait()
	}

	phase(1)
	rs.Stop(t)
	rs.Start(t)
	for _, p := range instances {
		waitFor(t, 30*time.Second, func() bool {
			code, body := readiness(t, p)
			return code == http.StatusOK && body["status"] == "ok"
		})
	}
	phase(2)
	if t.Failed() {
		return
	}

	// Every change reached every device: wait until each device has seen
	// all of its user's states (the union of what any of them saw, plus
	// what HTTP applied), then check the order.
	type state struct {
		version int64
		deleted bool
	}
	history := func(u *user) map[int64][]state {
		seen := map[int64]map[state]bool{}
		add := func(o observation) {
			if seen[o.manga] == nil {
				seen[o.manga] = map[state]bool{}
			}
			seen[o.manga][state{o.version, o.deleted}] = true
		}
		for _, d := range u.devices {
			for _, o := range d.observations() {
				add(o)
			}
		}
		u.mu.Lock()
		for _, o := range u.viaHTTP {
			add(o)
		}
		u.mu.Unlock()
		out := map[int64][]state{}
		for m, set := range seen {
			for s := range set {
				out[m] = append(out[m], s)
			}
			slices.SortFunc(out[m], func(x, y state) int {
				return int(observation{version: x.version, deleted: x.deleted}.rank() - observation{version: y.version, deleted: y.deleted}.rank())
			})
		}
		return out
	}
	sequence := func(d *device) map[int64][]state {
		out := map[int64][]state{}
		for _, o := range d.observations() {
			out[o.manga] = append(out[o.manga], state{o.version, o.deleted})
		}
		return out
	}
	var states, deletes int
	for _, u := range users {
		for _, ss := range history(u) {
			for _, s := range ss {
				states++
				if s.deleted {
					deletes++
				}
			}
		}
	}
	if states < 200 || deletes == 0 {
		t.Fatalf("the simulation made %d states, %d deletes: too few to prove anything", states, deletes)
	}
	for _, u := range users {
		var want map[int64][]state
		complete := func() bool {
			want = history(u)
			for _, d := range u.devices {
				got := sequence(d)
				for m, states := range want {
					if len(got[m]) < len(states) {
						return false
					}
				}
			}
			return true
		}
		deadline := time.Now().Add(15 * time.Second)
		for !complete() && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		for _, d := range u.devices {
			got := sequence(d)
			for m, states := range want {
				if !slices.Equal(got[m], states) {
					t.Errorf("%s, manga %d: saw %v, want every state in order: %v", d.name, m, got[m], states)
				}
			}
		}
	}

	// The last view of every device, the hot store on both instances and
	// PostgreSQL after the final flush agree.
	final := map[recordKey]observation{}
	for _, u := range users {
		for _, m := range mangas {
			last := view(u.devices[0], m)
			for _, d := range u.devices[1:] {
				if v := view(d, m); v.version != last.version || v.deleted != last.deleted ||
					(!v.deleted && (v.chapter != last.chapter || v.status != last.status)) {
					t.Errorf("%s and %s end with different views of manga %d: %+v, %+v", u.devices[0].name, d.name, m, last, v)
				}
			}
			final[recordKey{u.tk.UserID, m}] = last
			for _, p := range instances {
				var got struct {
					Chapter int    `json:"chapter"`
					Status  string `json:"status"`
					Version int64  `json:"version"`
				}
				code := call(t, "GET", fmt.Sprintf("%s/api/progress/%d", p.httpBase, m), u.tk.AccessToken, nil, &got)
				switch {
				case last.version == 0 || last.deleted:
					if code != http.StatusNotFound {
						t.Errorf("%s, manga %d: devices see it deleted or absent, the instance answers %d %+v", u.name, m, code, got)
					}
				case code != http.StatusOK || got.Version != last.version || got.Chapter != last.chapter || got.Status != last.status:
					t.Errorf("%s, manga %d: devices see %+v, the instance answers %d %+v", u.name, m, last, code, got)
				}
			}
		}
	}
	for _, p := range instances {
		if err := p.stop(t); err != nil {
			t.Fatalf("exit: %v", err)
		}
	}
	rows := pgRows(t, pg)
	for k, last := range final {
		r, ok := rows[k]
		switch {
		case last.version == 0:
			if ok {
				t.Errorf("%v: no device saw a record, PostgreSQL has %+v", k, r)
			}
		case !ok || r.version != last.version || r.deleted != last.deleted ||
			(!last.deleted && (r.chapter != last.chapter || r.status != last.status)):
			t.Errorf("%v: devices see %+v, PostgreSQL has %+v (present %v)", k, last, r, ok)
		}
	}
}
