package main

import (
	"strings"
	"testing"
)

// checkLoadLog is what TestLoadCheck (adapters/api) logged on 2026-12-06.
const checkLoadLog = `=== RUN   TestLoadCheck
    check_load_test.go:171: closed loop,  4 connections:  one-GET handler (floor)  31026 req/s p99 580µs     /check  22281 req/s p99 880µs     /check holds nothing  24590 req/s p99 750µs
    check_load_test.go:181: peak throughput: floor 31488 req/s, check 23664 req/s (0.75 of floor), check holds nothing 24930 req/s (0.79 of floor)
    check_load_test.go:184: at saturation (4 connections, 2 per core): check p99 0.880ms (94% of its peak throughput), check holds nothing p99 0.752ms (99%), floor p99 0.581ms (99%)
    check_load_test.go:188: at 50 connections: check p99 10.154ms, check holds nothing p99 7.887ms, floor p99 6.482ms
    check_load_test.go:189: at 1000 req/s: check p99 1.333ms, check holds nothing p99 1.068ms, floor p99 1.551ms
--- PASS: TestLoadCheck (25.28s)
`

// TestCheckRows: the check rows show /check's numbers from the load test's
// log beside the floor's, and judge only throughput and p99 at saturation.
func TestCheckRows(t *testing.T) {
	check, err := parseCheckLoad(checkLoadLog)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"| check: GET /api/v1/check, peak throughput (closed loop, 1 to 50 connections) | 23664 req/s | 31488 req/s | 0.75 | ≥ 50 % of floor | yes |",
		"| check p99 at saturation (closed loop, 2 connections per core = 4; check at 94 % of its peak throughput, floor at 99 %) | 0.88 ms | 0.581 ms | — | ≤ 2 ms | yes |",
		"| check p99 at 50 connections (closed loop: queueing) | 10.2 ms | 6.48 ms | — | — | yes |",
		"| check p99 at 1 000 req/s (open loop) | 1.33 ms | 1.55 ms | — | — | yes |",
	}
	var got []string
	for _, r := range checkRows(check) {
		got = append(got, strings.TrimSpace(formatRow(r)))
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if _, err := parseCheckLoad(strings.ReplaceAll(checkLoadLog, "at saturation", "at rest")); err == nil {
		t.Error("a log without the saturation line parsed")
	}
}
