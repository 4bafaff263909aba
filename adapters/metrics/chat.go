package metrics

import (
	"net/http"
	"strconv"
	"time"
)

// Chat wraps a chat platform's HTTP endpoints, counting its answers by
// HTTP status and timing them: an acknowledgement must come within
// Slack's and Discord's 3 seconds.
func (m *Metrics) Chat(platform string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		h.ServeHTTP(sw, r)
		m.acks.WithLabelValues(platform, strconv.Itoa(sw.status)).Inc()
		m.ackTime.WithLabelValues(platform).Observe(seconds(time.Since(start)))
	})
}

// statusWriter remembers the status a handler answered with.
type statusWriter struct {
	http.ResponseWriter
	status      int
	wroteHeader bool
}

func (w *statusWriter) WriteHeader(status int) {
	if !w.wroteHeader {
		w.status, w.wroteHeader = status, true
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	w.wroteHeader = true
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
