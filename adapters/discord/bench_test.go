package discord_test

import (
	"bytes"
	"crypto/ed25519"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bwmarrin/discordgo"

	"github.com/elevate-pim/elevate/adapters/discord"
	"github.com/elevate-pim/elevate/adapters/discord/discordtest"
)

// signed pre-signs n requests made by body(k), so that signing (the
// client's cost) stays out of the measurement.
func signed(h *harness, n int, body func(k int) []byte) []*http.Request {
	reqs := make([]*http.Request, n)
	for k := range reqs {
		reqs[k] = h.signer.Request("http://elevate"+discord.InteractionsPath, body(k), h.clock.Now())
	}
	return reqs
}

func serve(b *testing.B, handler http.Handler, reqs []*http.Request) {
	b.ReportAllocs()
	b.ResetTimer()
	for k := range b.N {
		rec := httptest.NewRecorder()
		handler.ServeHTTP(rec, reqs[k])
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
}

// BenchmarkVerifyOnly is the floor: a handler that only checks the Ed25519
// signature and answers PONG.
func BenchmarkVerifyOnly(b *testing.B) {
	h := newHarness(b, options{mode: "http"})
	key := h.signer.Public
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		r.Body = io.NopCloser(bytes.NewReader(body))
		if !discordgo.VerifyInteraction(r, ed25519.PublicKey(key)) {
			http.Error(w, "bad signature", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"type":1}`))
	})
	serve(b, handler, signed(h, b.N, func(int) []byte { return discordtest.Ping(h.where, "p") }))
}

// BenchmarkSignedPing is Discord's endpoint check through the adapter.
func BenchmarkSignedPing(b *testing.B) {
	h := newHarness(b, options{mode: "http"})
	serve(b, h.a.Handler(), signed(h, b.N, func(int) []byte { return discordtest.Ping(h.where, "p") }))
}

// BenchmarkSignedCommandAck is /elevate status through the adapter:
// verification, identity, the bot and the answer. status changes nothing,
// so it is answered in the response itself, with no de-duplication key and
// no inbox item (BenchmarkSignedActivationAck measures that path).
func BenchmarkSignedCommandAck(b *testing.B) {
	h := newHarness(b, options{mode: "http"})
	serve(b, h.a.Handler(), signed(h, b.N, func(k int) []byte {
		return discordtest.Command(h.where, fmt.Sprintf("b%d", k), alice, "status")
	}))
}

// BenchmarkSignedActivationAck is /elevate request staging through the
// adapter, each a new interaction: verification, de-duplication, the inbox
// write, the work on the pool (the first activates, the rest are refused
// as already active) and the answer once it is done.
func BenchmarkSignedActivationAck(b *testing.B) {
	h := newHarness(b, options{mode: "http"})
	serve(b, h.a.Handler(), signed(h, b.N, func(k int) []byte {
		return discordtest.Command(h.where, fmt.Sprintf("a%d", k), alice, "request", opt("role", "staging"))
	}))
}

// BenchmarkSignedCommandAckLatency: /elevate status through the adapter at
// a steady 200 requests per second (run with -benchtime=2000x, say),
// reported as p50 and p99 in milliseconds.
func BenchmarkSignedCommandAckLatency(b *testing.B) {
	h := newHarness(b, options{mode: "http"})
	handler := h.a.Handler()
	reqs := signed(h, b.N, func(k int) []byte { return discordtest.Command(h.where, fmt.Sprintf("l%d", k), alice, "status") })
	lat := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	b.ResetTimer()
	for k := range b.N {
		<-tick.C
		wg.Go(func() {
			start := time.Now()
			rec := httptest.NewRecorder()
			handler.ServeHTTP(rec, reqs[k])
			lat[k] = time.Since(start)
			if rec.Code != http.StatusOK {
				b.Errorf("status %d: %s", rec.Code, rec.Body)
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	slices.Sort(lat)
	ms := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(ms(0.5), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}
