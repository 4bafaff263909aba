// Package redistest gives tests a real Redis: the server named by
// ELEVATE_TEST_REDIS_URL when it is set (make test starts one), or else a
// throwaway redis-server on a free loopback port, started on first use and
// killed when the tests end. Each store it hands out lives under its own
// random key prefix, so that tests sharing one server never see each
// other's keys.
//
// A test package uses it from TestMain:
//
//	func TestMain(m *testing.M) { redistest.Main(m) }
//
// and then calls NewStore, or NewClient and NewPrefix, in its tests.
package redistest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/store/redis"
	goredis "github.com/redis/go-redis/v9"
)

// EnvURL names the environment variable holding the URL of a Redis server
// to test against instead of starting one.
const EnvURL = "ELEVATE_TEST_REDIS_URL"

// notInstalled is the message when there is neither a server URL nor a
// redis-server binary.
const notInstalled = "redis-server not found: apt-get install redis-server"

var (
	mu          sync.Mutex
	mainRunning bool    // Main is running the tests: the server lives until they end
	shared      *server // the running server, if any
	sharedErr   error   // under Main, why the server could not start
	users       int     // without Main, the tests using the server: the last one stops it
	checkedEnv  bool    // whether the server at EnvURL answered
)

// Main runs the package's tests, then stops the server they shared, if one
// was started, and exits with the tests' status. Call it from TestMain.
func Main(m *testing.M) {
	mu.Lock()
	mainRunning = true
	mu.Unlock()
	code := m.Run()
	mu.Lock()
	if shared != nil {
		shared.stop()
		shared = nil
	}
	mu.Unlock()
	os.Exit(code)
}

// URL returns the URL of a Redis server for t: EnvURL's when it is set, or
// a throwaway server's. Without redis-server installed it skips t, or fails
// it when the environment variable CI is set, where a skip would hide that
// nothing was tested. Under Main, one server serves every test; otherwise
// it serves the tests running at once (a test and its subtests), and the
// last of them to end stops it.
func URL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv(EnvURL); u != "" {
		checkEnvServer(t, u)
		return u
	}
	mu.Lock()
	if shared == nil && sharedErr == nil {
		shared, sharedErr = start()
	}
	srv, err := shared, sharedErr
	if !mainRunning {
		sharedErr = nil // each test tries again
		if err == nil {
			users++
			t.Cleanup(release)
		}
	}
	mu.Unlock()
	if err != nil {
		fail(t, err)
	}
	return srv.url
}

// release ends one test's use of the server, stopping it after the last,
// when Main is not there to stop it.
func release() {
	mu.Lock()
	defer mu.Unlock()
	users--
	if users == 0 && !mainRunning && shared != nil {
		shared.stop()
		shared = nil
	}
}

// checkEnvServer fails t, once per process, with a clear message when the
// server at u does not answer, rather than leaving each test to fail on its
// first command.
func checkEnvServer(t testing.TB, u string) {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if checkedEnv {
		return
	}
	opt, err := goredis.ParseURL(u)
	if err != nil {
		t.Fatalf("%s is not a Redis URL: %v", EnvURL, err)
	}
	c := goredis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.Ping(ctx).Err(); err != nil {
		t.Fatalf("%s: Redis at %s does not answer: %v", EnvURL, opt.Addr, err)
	}
	checkedEnv = true
}

// fail skips or fails t for err, a failure to start a server.
func fail(t testing.TB, err error) {
	t.Helper()
	if errors.Is(err, errNotInstalled) {
		if os.Getenv("CI") != "" {
			t.Fatal(notInstalled)
		}
		t.Skip(notInstalled)
	}
	t.Fatalf("start redis-server: %v", err)
}

// NewClient returns a client of the test server, closed when t ends.
func NewClient(t testing.TB) *goredis.Client {
	t.Helper()
	opt, err := goredis.ParseURL(URL(t))
	if err != nil {
		t.Fatalf("parse Redis URL: %v", err)
	}
	c := goredis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return c
}

// NewPrefix returns a fresh random key prefix, whose keys are deleted when
// t ends, so that a long-lived shared server does not fill up.
func NewPrefix(t testing.TB) string {
	t.Helper()
	prefix := RandomPrefix()
	u := URL(t)
	t.Cleanup(func() {
		if err := deletePrefix(u, prefix); err != nil {
			t.Errorf("delete the keys of prefix %s: %v", prefix, err)
		}
	})
	return prefix
}

// RandomPrefix returns a fresh random key prefix, for stores on a server
// of a test's own whose keys need no cleanup.
func RandomPrefix() string {
	var b [8]byte
	rand.Read(b[:])
	return "test-" + hex.EncodeToString(b[:])
}

// deletePrefix deletes every key under prefix on the server at u.
func deletePrefix(u, prefix string) error {
	opt, err := goredis.ParseURL(u)
	if err != nil {
		return err
	}
	c := goredis.NewClient(opt)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	iter := c.Scan(ctx, 0, "{"+prefix+"}:*", 1000).Iterator()
	var batch []string
	for iter.Next(ctx) {
		batch = append(batch, iter.Val())
		if len(batch) == 1000 {
			if err := c.Unlink(ctx, batch...).Err(); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := iter.Err(); err != nil {
		return err
	}
	if len(batch) > 0 {
		return c.Unlink(ctx, batch...).Err()
	}
	return nil
}

// NewStore returns a store on the test server under a fresh prefix, with
// its own client, closed and emptied when t ends.
func NewStore(t testing.TB) *redis.Store {
	t.Helper()
	return redis.New(NewClient(t), redis.WithPrefix(NewPrefix(t)))
}

// Server is a redis-server of one test's own, which the test may stop and
// start again on the same port, to see how elevate behaves while Redis is
// down and once it is back.
type Server struct {
	t   testing.TB
	srv *server
}

// StartServer starts a throwaway redis-server for t alone (never the one
// at EnvURL), killed when t ends if it is still running. Without
// redis-server installed it skips t, or fails it under CI.
func StartServer(t testing.TB) *Server {
	t.Helper()
	srv, err := start()
	if err != nil {
		fail(t, err)
	}
	s := &Server{t: t, srv: srv}
	t.Cleanup(func() { s.srv.stop() })
	return s
}

// URL returns the server's redis:// URL; it stays the same across restarts.
func (s *Server) URL() string { return s.srv.url }

// Stop kills the server: from then on, connections to it are refused. It
// keeps no data on disk, so a restarted server starts empty.
func (s *Server) Stop() { s.srv.stop() }

// Start starts a stopped server again on its port and waits until it answers.
func (s *Server) Start() {
	s.t.Helper()
	u, err := url.Parse(s.srv.url)
	if err != nil {
		s.t.Fatal(err)
	}
	port, _ := strconv.Atoi(u.Port())
	srv, err := startOn(s.srv.cmd.Path, port)
	if err != nil {
		s.t.Fatalf("restart redis-server on port %d: %v", port, err)
	}
	s.srv = srv
}
