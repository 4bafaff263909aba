// Command bench is `make bench`: it runs elevate's benchmarks and load
// scripts and, in the same run on the same machine, the floors they are
// compared with, then prints one markdown table with each number, its
// floor, the ratio and whether it meets its target. It exits 1 when a
// target is missed and 2 when a measurement could not be taken.
//
// The benchmarks themselves live beside the code they measure (go test
// -bench in adapters/slack, adapters/discord, store/redis, cmd/elevate);
// this command only runs them, reads their reported metrics and adds
// redis-benchmark. It needs ELEVATE_TEST_REDIS_URL (scripts/bench.sh
// starts a throwaway redis-server) and redis-benchmark on PATH.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

func main() {
	windows := flag.Int("windows", 10000, "windows ending in the same second for the expiry load test")
	events := flag.Int("audit-events", 100000, "audit events for the verify benchmark")
	logPath := flag.String("log", os.TempDir()+"/elevate-bench.log", "where the benchmarks' own output goes")
	flag.Parse()
	f, err := os.Create(*logPath)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	defer f.Close()
	fmt.Fprintf(os.Stderr, "bench: the benchmarks' output goes to %s\n", *logPath)
	code := run(os.Stdout, f, *windows, *events)
	f.Close()
	os.Exit(code)
}

// progress is where each step is announced as it starts and ends.
var progress io.Writer = os.Stderr

// metrics are the numbers one go test run reported: benchmark → unit → value.
type metrics map[string]map[string]float64

// goBench runs the benchmarks of pkg matching names, for benchtime each,
// and returns what they reported. Extra args go to the test binary.
func goBench(log io.Writer, pkg, names, benchtime string, args ...string) (metrics, error) {
	cmdArgs := append([]string{"test", "-run", "^$", "-bench", "^(" + names + ")$", "-benchtime", benchtime, "-timeout", "20m", pkg}, args...)
	out, err := command(log, "go", cmdArgs...)
	if err != nil {
		return nil, err
	}
	m := metrics{}
	for line := range strings.Lines(out) {
		f := strings.Fields(line)
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			name = name[:i]
		}
		m[name] = map[string]float64{}
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				m[name][f[i+1]] = v
			}
		}
	}
	return m, nil
}

// command runs name with args, echoing its output to log, and returns the output.
func command(log io.Writer, name string, args ...string) (string, error) {
	fmt.Fprintf(io.MultiWriter(log, progress), "$ %s %s\n", name, strings.Join(args, " "))
	var out bytes.Buffer
	c := exec.Command(name, args...)
	c.Stdout = io.MultiWriter(&out, log)
	c.Stderr = log
	start := time.Now()
	err := c.Run()
	fmt.Fprintf(io.MultiWriter(log, progress), "  (%s)\n", time.Since(start).Round(time.Second))
	if err != nil {
		return out.String(), fmt.Errorf("%s: %w", name, err)
	}
	return out.String(), nil
}

// row is one line of the table.
type row struct {
	what, value, floor, ratio, target string
	met                               bool
	known                             bool // measured: false prints "not measured"
}

// atLeast is a row whose target is a share of its floor: v (ok when
// measured) against floor (floorOK), both in unit.
func atLeast(what string, v float64, ok bool, floor float64, floorOK bool, unit string, ratioMin float64) row {
	r := row{what: what, target: fmt.Sprintf("≥ %.0f %% of floor", ratioMin*100), known: ok && floorOK && floor > 0}
	if r.known {
		ratio := v / floor
		r.value, r.floor, r.ratio, r.met = fmt.Sprintf("%.0f %s", v, unit), fmt.Sprintf("%.0f %s", floor, unit), fmt.Sprintf("%.2f", ratio), ratio >= ratioMin
	}
	return r
}

// atMost is a row whose target is at most limit, in unit; floor is
// what its floor column shows.
func atMost(what string, v float64, ok bool, unit string, limit float64, floor string) row {
	r := row{what: what, floor: floor, ratio: "—", target: fmt.Sprintf("≤ %g %s", limit, unit), known: ok}
	if ok {
		r.value, r.met = fmt.Sprintf("%.3g %s", v, unit), v <= limit
	}
	return r
}

func run(stdout, log io.Writer, windows, events int) int {
	var rows []row
	failed := false
	get := func(m metrics, bench, unit string) (float64, bool) {
		v, ok := m[bench][unit]
		return v, ok
	}
	note := func(err error) {
		if err != nil {
			fmt.Fprintf(io.MultiWriter(log, progress), "bench: %v\n", err)
			failed = true
		}
	}
	perSec := func(nsPerOp float64) float64 { return 1e9 / nsPerOp }
	// Floors first, then elevate beside them.
	slack, err := goBench(log, "./adapters/slack/", "BenchmarkSignatureOnly|BenchmarkSlashCommandAck", "3s")
	note(err)
	slackLat, err := goBench(log, "./adapters/slack/", "BenchmarkSlashCommandAckLatency", "2000x")
	note(err)
	discord, err := goBench(log, "./adapters/discord/", "BenchmarkVerifyOnly|BenchmarkSignedCommandAck", "3s")
	note(err)
	discordLat, err := goBench(log, "./adapters/discord/", "BenchmarkSignedCommandAckLatency", "2000x")
	note(err)
	bytesB, err := goBench(log, "./store/redis/", "BenchmarkWindowBytes", "1x")
	note(err)
	grant, err := goBench(log, "./cmd/elevate/", "BenchmarkActivateToGrant", "2000x")
	note(err)
	check, err := checkLoad(log)
	note(err)
	scale, err := goBench(log, "./cmd/elevate/", "BenchmarkScale", "500x")
	note(err)
	audit, err := goBench(log, "./cmd/elevate/", "BenchmarkAuditVerify", "1x", "-args", fmt.Sprintf("-audit.events=%d", events))
	note(err)
	rb50, rb1, err := redisBenchmark(log)
	note(err)
	expiry := map[int]map[string]float64{}
	for _, replicas := range []int{1, 3} {
		expiry[replicas], err = expiryLoad(log, windows, replicas)
		note(err)
	}

	v, ok := get(slack, "BenchmarkSlashCommandAck", "req/s")
	f, fok := get(slack, "BenchmarkSignatureOnly", "req/s")
	rows = append(rows, atLeast("Slack: slash command ack + its work, throughput", v, ok, f, fok, "req/s", 0.5))
	v, ok = get(slackLat, "BenchmarkSlashCommandAckLatency", "p99-ms")
	rows = append(rows, atMost("Slack: ack p99 at 200 req/s", v, ok, "ms", 2, "—"))
	v, ok = get(discord, "BenchmarkSignedCommandAck", "ns/op")
	f, fok = get(discord, "BenchmarkVerifyOnly", "ns/op")
	rows = append(rows, atLeast("Discord: /elevate status ack, throughput", perSec(v), ok, perSec(f), fok, "req/s", 0.5))
	v, ok = get(discordLat, "BenchmarkSignedCommandAckLatency", "p99-ms")
	rows = append(rows, atMost("Discord: ack p99 at 200 req/s", v, ok, "ms", 2, "—"))
	v, ok = get(grant, "BenchmarkActivateToGrant", "p99-ms")
	rows = append(rows, atMost("activate (no approval) → target grant, p99", v, ok, "ms", 5, fmt.Sprintf("GET RTT %.3f ms", rb1)))
	rows = append(rows, checkRows(check)...)
	rows = append(rows, row{what: "floor: redis-benchmark -t get -c 50", value: fmt.Sprintf("%.0f req/s", rb50), floor: "—", ratio: "—", target: "—", met: true, known: rb50 > 0})
	for _, replicas := range []int{1, 3} {
		for _, q := range []string{"p50", "p99", "max"} {
			r := atMost(fmt.Sprintf("%d windows ending in one second → revoke, %s (%d replica%s)", windows, q, replicas, map[bool]string{true: "s"}[replicas > 1]),
				expiry[replicas][q], expiry[replicas] != nil, "s", 1, "—")
			if q != "p99" {
				r.target, r.met = "—", true
			}
			rows = append(rows, r)
		}
	}
	v, ok = get(bytesB, "BenchmarkWindowBytes", "B/window")
	rows = append(rows, atMost("Redis memory per live window (key + role index)", v, ok, "B", 512, "—"))
	for _, read := range []string{"status", "menu", "who", "check", "eligibility"} {
		v, ok = get(scale, "BenchmarkScale", read+"-p99-ms")
		rows = append(rows, atMost(read+" p99 at 100 000 assignments", v, ok, "ms", 5, "—"))
	}
	v, ok = get(scale, "BenchmarkScale", "start-warm-s")
	rows = append(rows, atMost("serve start-up at 100 000 assignments (restart)", v, ok, "s", 5, "—"))
	v, ok = get(scale, "BenchmarkScale", "start-cold-s")
	rows = append(rows, atMost("serve start-up at 100 000 assignments (first, seeds all)", v, ok, "s", 5, "—"))
	v, ok = get(audit, "BenchmarkAuditVerify", "events/s")
	r := row{what: fmt.Sprintf("audit verify, %d events", events), floor: "—", ratio: "—", target: "≥ 100000 events/s", known: ok}
	if ok {
		r.value, r.met = fmt.Sprintf("%.0f events/s", v), v >= 100000
	}
	rows = append(rows, r)
	v, ok = get(audit, "BenchmarkAuditVerify", "rss-growth-MB")
	rows = append(rows, atMost("audit verify, RSS growth", v, ok, "MB", 64, "—"))

	fmt.Fprintf(stdout, "\n| measurement | elevate | floor | ratio | target | met |\n|---|---|---|---|---|---|\n")
	missed := 0
	for _, r := range rows {
		if !r.known || !r.met {
			missed++
		}
		fmt.Fprintln(stdout, formatRow(r))
	}
	fmt.Fprintf(stdout, "\n%d of %d targets missed; measured %s on %s.\n", missed, len(rows), time.Now().UTC().Format(time.RFC3339), hostname())
	switch {
	case failed:
		return 2
	case missed > 0:
		return 1
	}
	return 0
}

// formatRow is r as a line of the markdown table.
func formatRow(r row) string {
	met := "yes"
	switch {
	case !r.known:
		r.value, met = "not measured", "NO"
	case !r.met:
		met = "NO"
	}
	return fmt.Sprintf("| %s | %s | %s | %s | %s | %s |", r.what, r.value, r.floor, r.ratio, r.target, met)
}

func hostname() string {
	h, _ := os.Hostname()
	return h
}

// redisBenchmark runs redis-benchmark GET on the test server: with 50
// connections (throughput, req/s) and with one (round trip, ms).
func redisBenchmark(log io.Writer) (perSec50, rttMS float64, err error) {
	host, port, err := redisHostPort()
	if err != nil {
		return 0, 0, err
	}
	out, err := command(log, "redis-benchmark", "-h", host, "-p", port, "-t", "get", "-n", "200000", "-c", "50", "-q")
	if err != nil {
		return 0, 0, err
	}
	perSec50 = parseFirst(out, `GET: ([0-9.]+) requests per second`)
	out, err = command(log, "redis-benchmark", "-h", host, "-p", port, "-t", "get", "-n", "20000", "-c", "1", "-q")
	if err != nil {
		return 0, 0, err
	}
	if v := parseFirst(out, `GET: ([0-9.]+) requests per second`); v > 0 {
		rttMS = 1000 / v
	}
	return perSec50, rttMS, nil
}

// redisHostPort reads the test server from ELEVATE_TEST_REDIS_URL.
func redisHostPort() (string, string, error) {
	u := os.Getenv("ELEVATE_TEST_REDIS_URL")
	m := regexp.MustCompile(`^redis://([^:/]+):([0-9]+)`).FindStringSubmatch(u)
	if m == nil {
		return "", "", fmt.Errorf("ELEVATE_TEST_REDIS_URL=%q: want redis://HOST:PORT/DB (scripts/bench.sh sets it)", u)
	}
	return m[1], m[2], nil
}

func parseFirst(out, pattern string) float64 {
	var last float64
	re := regexp.MustCompile(pattern)
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		// redis-benchmark -q rewrites its progress line with \r; the last value is the result.
		for _, part := range strings.Split(sc.Text(), "\r") {
			if m := re.FindStringSubmatch(part); m != nil {
				last, _ = strconv.ParseFloat(m[1], 64)
			}
		}
	}
	return last
}

// checkRows are the rows of the check load test's numbers (see checkLoad;
// nil when it failed). Its floor is a one-GET handler loaded beside it:
// its peak throughput, and its p99 under the same load.
func checkRows(check map[string]float64) []row {
	ok := check != nil
	rows := []row{
		atLeast("check: GET /api/v1/check, peak throughput (closed loop, 1 to 50 connections)", check["check-rps"], ok, check["floor-rps"], ok, "req/s", 0.5),
		atMost(fmt.Sprintf("check p99 at saturation (closed loop, 2 connections per core = %.0f; check at %.0f %% of its peak throughput, floor at %.0f %%)",
			check["sat-conns"], check["sat-check-share"], check["sat-floor-share"]), check["sat-check-p99"], ok, "ms", 2, fmt.Sprintf("%.3g ms", check["sat-floor-p99"])),
	}
	for _, load := range []struct{ what, key string }{
		{"check p99 at 50 connections (closed loop: queueing)", "c50"},
		{"check p99 at 1 000 req/s (open loop)", "paced"},
	} {
		r := atMost(load.what, check[load.key+"-check-p99"], ok, "ms", 2, fmt.Sprintf("%.3g ms", check[load.key+"-floor-p99"]))
		r.target, r.met = "—", true // what the machine allows at this load: the floor's p99 beside it
		rows = append(rows, r)
	}
	return rows
}

// checkLoad runs the /check load test (scripts/check-load.sh, 1 s per
// load) and returns what it logged for /check and its floor, the one-GET
// handler: peak throughputs (req/s); p99s (ms) at saturation (with its
// connections and the share of its peak each reached there), at 50
// connections and at 1 000 req/s.
func checkLoad(log io.Writer) (map[string]float64, error) {
	out, err := command(log, "go", "test", "-run", "^TestLoadCheck$", "-count=1", "-timeout", "10m", "-v", "./adapters/api/", "-args", "-load.check=1s")
	if err != nil {
		return nil, err
	}
	return parseCheckLoad(out)
}

// parseCheckLoad reads the numbers of checkLoad from the load test's log.
func parseCheckLoad(out string) (map[string]float64, error) {
	res := map[string]float64{}
	for _, l := range []struct {
		pattern string
		keys    []string
	}{
		{`peak throughput: floor ([0-9.]+) req/s, check ([0-9.]+) req/s`, []string{"floor-rps", "check-rps"}},
		{`at saturation \(([0-9]+) connections.*: check p99 ([0-9.]+)ms \(([0-9]+)% .* floor p99 ([0-9.]+)ms \(([0-9]+)%\)`,
			[]string{"sat-conns", "sat-check-p99", "sat-check-share", "sat-floor-p99", "sat-floor-share"}},
		{`at 50 connections: check p99 ([0-9.]+)ms, .* floor p99 ([0-9.]+)ms`, []string{"c50-check-p99", "c50-floor-p99"}},
		{`at 1000 req/s: check p99 ([0-9.]+)ms, .* floor p99 ([0-9.]+)ms`, []string{"paced-check-p99", "paced-floor-p99"}},
	} {
		m := regexp.MustCompile(l.pattern).FindStringSubmatch(out)
		if m == nil {
			return nil, fmt.Errorf("the check load test logged no %q", l.pattern)
		}
		for i, k := range l.keys {
			res[k], _ = strconv.ParseFloat(m[i+1], 64)
		}
	}
	return res, nil
}

// expiryLoad runs the mass-expiry load test (scripts/load-expiry.sh) and
// returns how late the revokes came, in seconds: p50, p99 and max.
func expiryLoad(log io.Writer, windows, replicas int) (map[string]float64, error) {
	out, err := command(log, "go", "test", "-run", "^TestLoadMassExpiry$", "-count=1", "-timeout", "20m", "-v", "./cmd/elevate/", "-args",
		fmt.Sprintf("-load.windows=%d", windows), fmt.Sprintf("-load.replicas=%d", replicas))
	if err != nil {
		return nil, err
	}
	m := regexp.MustCompile(`revoke called p50 (\S+), p99 (\S+), max (\S+) after`).FindStringSubmatch(out)
	if m == nil {
		return nil, fmt.Errorf("no revoke latencies in the load test's output")
	}
	res := map[string]float64{}
	for i, q := range []string{"p50", "p99", "max"} {
		d, err := time.ParseDuration(m[i+1])
		if err != nil {
			return nil, fmt.Errorf("revoke %s %q: %w", q, m[i+1], err)
		}
		res[q] = d.Seconds()
	}
	return res, nil
}
