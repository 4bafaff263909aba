package slack_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	slackapi "github.com/slack-go/slack"
)

// Run both side by side and compare req/s:
//
//	go test -run='^$' -bench='SlashCommandAck|SignatureOnly' -benchtime=5s ./adapters/slack/
//
// Both serve the same signed slash command bodies (/elevate help, each
// with its own trigger id) over loopback HTTP to the same client; the
// first through the adapter, the second through a handler that only
// verifies the signature. help changes nothing, so the adapter answers it
// in the 200 itself: verify, parse, identify the user, run the bot,
// render the answer as Block Kit JSON (kept by content for repeats) and
// send it as the body, with no inbox write and no response_url post. A
// command that changes something is written to the inbox before its empty
// 200 and worked on in the background
// (BenchmarkSlashCommandAckDeduplicated measures that acknowledgement).

// slashBody is a distinct slash command body: each has its own trigger id.
func slashBody(responseURL string, i int64) []byte {
	return []byte(url.Values{
		"team_id": {"T0TEAM"}, "channel_id": {"C0GENERAL"}, "user_id": {uBob}, "user_name": {"bob"},
		"command": {"/elevate"}, "text": {"help"}, "response_url": {responseURL},
		"trigger_id": {"bench." + strconv.FormatInt(i, 10)}, "api_app_id": {"A0ELEVATE"},
	}.Encode())
}

// benchSigned posts signed bodies to target in parallel, checking for 200.
func benchSigned(b *testing.B, target string, body func(int64) []byte) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512}}
	defer client.CloseIdleConnections()
	var n atomic.Int64
	b.SetParallelism(4)
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			data := body(n.Add(1))
			req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(data))
			if err != nil {
				b.Error(err)
				return
			}
			req.Header = signed(time.Now(), data)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkSlashCommandAck: signed slash command → 200 from the adapter.
func BenchmarkSlashCommandAck(b *testing.B) {
	e := newEnv(b, options{})
	srv := httptest.NewServer(e.a.Handler())
	defer srv.Close()
	resp := e.fake.ResponseURL("bench")
	benchSigned(b, srv.URL+"/slack/commands", func(i int64) []byte { return slashBody(resp, i) })
	b.StopTimer()
	e.a.Wait()
}

// BenchmarkSignatureOnly: the floor, a handler that only reads the body
// and checks its Slack signature (slack-go's SecretsVerifier).
func BenchmarkSignatureOnly(b *testing.B) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sv, err := slackapi.NewSecretsVerifier(r.Header, secret)
		if err != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		_, _ = sv.Write(body)
		if sv.Ensure() != nil {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	defer srv.Close()
	benchSigned(b, srv.URL+"/slack/commands", func(i int64) []byte { return slashBody("https://hooks.slack.com/commands/x", i) })
}

// BenchmarkSlashCommandAckDeduplicated: the acknowledgement path of a
// command that changes something. Every request is the same activation
// (one trigger id, as Slack's retries are), so after the first the job
// ends at de-duplication and the measurement is verify, parse, the inbox
// write, queue and 200, plus the de-duplication and discard behind it.
func BenchmarkSlashCommandAckDeduplicated(b *testing.B) {
	e := newEnv(b, options{})
	srv := httptest.NewServer(e.a.Handler())
	defer srv.Close()
	resp := e.fake.ResponseURL("bench")
	body := []byte(url.Values{
		"team_id": {"T0TEAM"}, "channel_id": {"C0GENERAL"}, "user_id": {uAlice}, "user_name": {"alice"},
		"command": {"/elevate"}, "text": {"staging for 1h"}, "response_url": {resp},
		"trigger_id": {"bench.activation"}, "api_app_id": {"A0ELEVATE"},
	}.Encode())
	benchSigned(b, srv.URL+"/slack/commands", func(int64) []byte { return body })
	b.StopTimer()
	e.a.Wait()
}

// BenchmarkSlashCommandAckLatency: acknowledgement latency at a steady 200
// requests per second (run with -benchtime=2000x, say), reported as p50
// and p99 in milliseconds.
func BenchmarkSlashCommandAckLatency(b *testing.B) {
	e := newEnv(b, options{})
	srv := httptest.NewServer(e.a.Handler())
	defer srv.Close()
	client := &http.Client{Transport: &http.Transport{MaxIdleConns: 64, MaxIdleConnsPerHost: 64}}
	defer client.CloseIdleConnections()
	resp := e.fake.ResponseURL("bench")
	lat := make([]time.Duration, b.N)
	var wg sync.WaitGroup
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	b.ResetTimer()
	for i := range b.N {
		<-tick.C
		wg.Go(func() {
			data := slashBody(resp, int64(i))
			req, _ := http.NewRequest(http.MethodPost, srv.URL+"/slack/commands", bytes.NewReader(data))
			req.Header = signed(time.Now(), data)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			start := time.Now()
			r, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, r.Body)
			r.Body.Close()
			lat[i] = time.Since(start)
			if r.StatusCode != http.StatusOK {
				b.Errorf("status %d", r.StatusCode)
			}
		})
	}
	wg.Wait()
	b.StopTimer()
	e.a.Wait()
	slices.Sort(lat)
	ms := func(q float64) float64 { return float64(lat[int(q*float64(len(lat)-1))]) / float64(time.Millisecond) }
	b.ReportMetric(ms(0.5), "p50-ms")
	b.ReportMetric(ms(0.99), "p99-ms")
}
