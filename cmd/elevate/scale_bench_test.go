package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/rs/zerolog"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/core/config"
	"github.com/elevate-pim/elevate/store/redis/redistest"
)

// scaleMain starts serve's Main twice on a generated config: the first
// start seeds Redis, the second is a restart that finds it seeded.
func scaleMain(b *testing.B) (*Main, time.Duration, time.Duration) {
	cfg := scaleConfig(b)
	t0 := time.Now()
	if _, err := config.Load(cfg, time.Now()); err != nil {
		b.Fatal(err)
	}
	b.Logf("config load %v", time.Since(t0))
	b.Setenv("ELEVATE_REDIS_URL", redistest.URL(b))
	b.Setenv("ELEVATE_REDIS_PREFIX", redistest.NewPrefix(b))
	b.Setenv("ELEVATE_DISCORD_BOT_TOKEN", "")
	b.Setenv("ELEVATE_SLACK_BOT_TOKEN", "")
	start := func() (*Main, time.Duration) {
		t0 := time.Now()
		m, err := NewMain(context.Background(), cfg, zerolog.Nop(), Options{})
		if err != nil {
			b.Fatal(err)
		}
		return m, time.Since(t0)
	}
	cold, coldTook := start()
	cold.Close()
	m, warmTook := start()
	b.Cleanup(func() { m.Close() })
	b.Logf("start: cold %v, warm %v", coldTook, warmTook)
	return m, coldTook, warmTook
}

// Scale of BenchmarkScale: the "company with 10 000 people".
const (
	scalePrincipals = 10000
	scaleRoles      = 1000
	scalePerPerson  = 10 // eligible assignments each: 100 000 in all
)

// scaleConfig writes a config file with scalePrincipals principals,
// scaleRoles roles (every tenth needs approval by a0..a9) and
// scalePrincipals*scalePerPerson eligible assignments.
func scaleConfig(b *testing.B) string {
	b.Helper()
	var f strings.Builder
	f.WriteString("admin_role: admin\nprincipals:\n")
	for i := range scalePrincipals {
		fmt.Fprintf(&f, "  p%d: {}\n", i)
	}
	for i := range 10 {
		fmt.Fprintf(&f, "  a%d: {}\n", i)
	}
	f.WriteString("roles:\n  admin:\n    activation: {max_duration: 1h}\n    assignment: {allow_permanent: true}\n")
	for i := range scaleRoles {
		fmt.Fprintf(&f, "  r%d:\n    activation: {max_duration: 8h}\n    eligibility: {allow_permanent: true}\n", i)
		if i%10 == 0 {
			fmt.Fprintf(&f, "    approval: {approvers: [a%d]}\n", i/100%10)
		}
	}
	f.WriteString("assignments:\n  - {principal: a0, role: admin, type: active, permanent: true}\n")
	for i := range scalePrincipals {
		for k := range scalePerPerson {
			fmt.Fprintf(&f, "  - {principal: p%d, role: r%d, type: eligible, permanent: true}\n", i, (i*7+k*97)%scaleRoles)
		}
	}
	path := filepath.Join(b.TempDir(), "scale.yaml")
	if err := os.WriteFile(path, []byte(f.String()), 0o600); err != nil {
		b.Fatal(err)
	}
	return path
}

// BenchmarkScale: serve's start-up and the per-person reads with 10 000
// principals, 1 000 roles and 100 000 assignments on Redis. It reports
// the cold start (the first start seeds every assignment), the warm start
// (a restart on the same Redis, which finds them seeded) and p99 of
// status, the role menu, who, check and an eligibility check (a request
// that is refused), each over b.N random principals. Run with
// -benchtime=1000x or so: every iteration does each read once. The
// testing package's first probe run (b.N = 1) returns at once, so that
// the start-ups are measured once, not repeated.
func BenchmarkScale(b *testing.B) {
	if b.N == 1 {
		return
	}
	m, coldTook, warmTook := scaleMain(b)
	ctx := context.Background()
	svc := m.Service
	rng := rand.New(rand.NewPCG(1, 2))
	reads := []struct {
		name string
		read func(p string) error
	}{
		{"status", func(p string) error { _, err := svc.StatusOf(ctx, core.Caller{Principal: p}); return err }},
		{"menu", func(p string) error { _, err := svc.EligibleRoles(ctx, p); return err }},
		{"who", func(string) error {
			_, err := svc.WhoHas(ctx, core.Caller{Principal: "a0"}, fmt.Sprintf("r%d", rng.IntN(scaleRoles)))
			return err
		}},
		{"check", func(p string) error { _, _, err := svc.Holds(ctx, p, "r1"); return err }},
		{"eligibility", func(p string) error {
			// p is not eligible for admin: refused after the eligibility read, writing nothing.
			_, err := svc.RequestActivation(ctx, core.Caller{Principal: p}, core.ActivationInput{Role: "admin"})
			if core.ErrorCode(err) == core.EFORBIDDEN {
				return nil
			}
			return fmt.Errorf("eligibility of %s for admin: %v, want EFORBIDDEN", p, err)
		}},
	}
	lat := make([][]time.Duration, len(reads))
	b.ResetTimer()
	for range b.N {
		p := fmt.Sprintf("p%d", rng.IntN(scalePrincipals))
		for i, r := range reads {
			t0 := time.Now()
			if err := r.read(p); err != nil {
				b.Fatal(err)
			}
			lat[i] = append(lat[i], time.Since(t0))
		}
	}
	b.StopTimer()
	for i, r := range reads {
		b.ReportMetric(percentile(lat[i], 0.99), r.name+"-p99-ms")
	}
	b.ReportMetric(coldTook.Seconds(), "start-cold-s")
	b.ReportMetric(warmTook.Seconds(), "start-warm-s")
}
