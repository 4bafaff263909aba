package redistest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// errNotInstalled is start's error when redis-server is not on the PATH.
var errNotInstalled = errors.New(notInstalled)

// readyTimeout bounds how long a new server may take to answer PING.
const readyTimeout = 10 * time.Second

// server is a redis-server process that this package started.
type server struct {
	url  string
	addr string // host:port
	cmd  *exec.Cmd
	dir  string
	out  *logBuffer
	done chan struct{} // closed when the process has exited
	once sync.Once
}

// start starts a redis-server on a free loopback port, with no persistence,
// and waits until it answers. A port taken between choosing and binding it
// is retried with another.
func start() (*server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errNotInstalled
	}
	var last error
	for range 3 {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		srv, err := startOn(bin, port)
		if err == nil {
			return srv, nil
		}
		last = err
	}
	return nil, last
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startOn(bin string, port int) (*server, error) {
	dir, err := os.MkdirTemp("", "redistest-")
	if err != nil {
		return nil, err
	}
	return launch(bin, port, dir,
		"--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", dir)
}

// launch runs bin with args as a server that will listen on the loopback
// port, owning dir (removed when it stops), and waits until it answers.
func launch(bin string, port int, dir string, args ...string) (*server, error) {
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	srv := &server{
		url:  "redis://" + addr + "/0",
		addr: addr,
		dir:  dir,
		out:  &logBuffer{},
		done: make(chan struct{}),
	}
	srv.cmd = exec.Command(bin, args...)
	srv.cmd.Stdout, srv.cmd.Stderr = srv.out, srv.out
	dieWithParent(srv.cmd)
	if err := srv.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("run %s: %w", bin, err)
	}
	go func() {
		srv.cmd.Wait()
		close(srv.done)
	}()
	if err := srv.waitReady(addr); err != nil {
		srv.stop()
		return nil, fmt.Errorf("redis-server on %s: %w\n%s", addr, err, srv.out)
	}
	return srv, nil
}

// waitReady waits until the server answers PING, or exits, or readyTimeout passes.
func (s *server) waitReady(addr string) error {
	c := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(readyTimeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		select {
		case <-s.done:
			return fmt.Errorf("exited before answering: %w", err)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("no answer to PING within %v: %w", readyTimeout, err)
		}
	}
}

// stop kills the server and removes its directory.
func (s *server) stop() {
	s.once.Do(func() {
		s.cmd.Process.Kill()
		<-s.done
		os.RemoveAll(s.dir)
	})
}

// logBuffer collects the server's output for error messages; exec writes
// to it from its own goroutine.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *logBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
