package redistest

import (
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// Own is a redis-server of one test's own, which the test may stop and
// start again on the same port, to see what losing Redis does.
type Own struct {
	t    testing.TB
	bin  string
	port int
	srv  *server
}

// StartOwn starts a redis-server for t alone on a free loopback port; it
// is stopped when t ends. Without redis-server it skips t (fails it in CI).
func StartOwn(t testing.TB) *Own {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		fail(t, errNotInstalled)
	}
	port, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	o := &Own{t: t, bin: bin, port: port}
	o.Start()
	t.Cleanup(o.Stop)
	return o
}

// URL is the server's redis:// URL; it stays the same across restarts.
func (o *Own) URL() string { return "redis://127.0.0.1:" + strconv.Itoa(o.port) + "/0" }

// Stop kills the server (its data is lost: it keeps none on disk).
func (o *Own) Stop() {
	if o.srv != nil {
		o.srv.stop()
		o.srv = nil
	}
}

// Start starts the server again on its port and waits until it answers.
func (o *Own) Start() {
	o.t.Helper()
	if o.srv != nil {
		return
	}
	srv, err := startOn(o.bin, o.port)
	if err != nil {
		o.t.Fatalf("start redis-server on port %d: %v", o.port, strings.TrimSpace(err.Error()))
	}
	o.srv = srv
}
