package storetest

import (
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core"
)

// testOnce checks that Once reports a key new the first time within its ttl
// and again after the ttl has run out.
func testOnce(t *testing.T, s core.Store) {
	const ttl = 200 * time.Millisecond
	if !mustOnce(t, s, "slack:evt-1", ttl) {
		t.Fatal("first sight of a key reported as seen")
	}
	if mustOnce(t, s, "slack:evt-1", ttl) {
		t.Fatal("second sight of a key within its ttl reported as new")
	}
	if !mustOnce(t, s, "slack:evt-2", ttl) {
		t.Fatal("another key reported as seen")
	}
	time.Sleep(ttl + slack)
	if !mustOnce(t, s, "slack:evt-1", ttl) {
		t.Fatal("a key whose ttl ran out reported as seen")
	}
	if mustOnce(t, s, "slack:evt-1", ttl) {
		t.Fatal("a key seen again reported as new")
	}
}
