package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"time"
)

// cmdServe runs the scheduler and the HTTP endpoints until ctx ends.
func cmdServe(ctx context.Context, args []string, stderr io.Writer) error {
	fs := newFlags("serve", stderr)
	cfgPath := fs.String("config", os.Getenv("ELEVATE_CONFIG"), "config file")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	log := newLogger(stderr)
	m, err := NewMain(ctx, *cfgPath, log, Options{})
	if err != nil {
		return err
	}
	defer m.Close()
	addr := os.Getenv("ELEVATE_HTTP_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	return m.Serve(ctx, addr)
}

// Serve runs the scheduler and the HTTP server on addr until ctx ends.
func (m *Main) Serve(ctx context.Context, addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	return m.ServeListener(ctx, ln)
}

// ServeListener is Serve on an open listener; tests pass a loopback one.
func (m *Main) ServeListener(ctx context.Context, ln net.Listener) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	m.Notifier.Start(ctx)
	go m.Service.Run(ctx, func(err error) { m.Log.Error().Err(err).Msg("scheduled job failed") })

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "ok\n")
	})
	chats, err := m.openChat(ctx, mux)
	if err != nil {
		return err
	}
	defer func() {
		for _, c := range chats {
			_ = c.Close()
			c.Wait()
		}
	}()
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	m.Log.Info().Str("addr", ln.Addr().String()).Msg("elevate serving")
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, done := context.WithTimeout(context.Background(), 10*time.Second)
	defer done()
	err = srv.Shutdown(shutdown)
	cancel()
	m.Notifier.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
