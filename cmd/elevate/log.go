package main

import (
	"io"
	"os"
	"strings"

	"github.com/rs/zerolog"
)

// newLogger logs human-readable lines on a terminal and JSON otherwise.
func newLogger(w io.Writer) zerolog.Logger {
	level, err := zerolog.ParseLevel(strings.ToLower(os.Getenv("ELEVATE_LOG_LEVEL")))
	if err != nil || level == zerolog.NoLevel {
		level = zerolog.InfoLevel
	}
	if f, ok := w.(*os.File); ok && isTerminal(f) {
		w = zerolog.ConsoleWriter{Out: f, TimeFormat: "15:04:05"}
	}
	return zerolog.New(w).Level(level).With().Timestamp().Logger()
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
