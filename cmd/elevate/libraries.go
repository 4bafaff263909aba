package main

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/bwmarrin/discordgo"
	goredis "github.com/redis/go-redis/v9"
	"github.com/rs/zerolog"

	"github.com/elevate-pim/elevate/adapters/discord"
)

// go-redis and discordgo log through package-level hooks, one per process.
// routeLibraryLogs points both at zerolog, so that every line elevate
// writes is in one format with the same fields and levels.
var (
	libraryLog   atomic.Pointer[zerolog.Logger]
	routeLibrary sync.Once
)

// routeLibraryLogs sends go-redis's and discordgo's own log lines to log
// (the newest Main's logger, in tests that build several).
func routeLibraryLogs(log zerolog.Logger) {
	libraryLog.Store(&log)
	routeLibrary.Do(func() {
		goredis.SetLogger(redisLog{})
		discordgo.Logger = discord.ZerologLogger(libraryLog.Load)
	})
}

// redisLog is go-redis's logger. go-redis gives no level: a line about a
// failure (a dial that failed, a bad connection) is an error, the rest info.
type redisLog struct{}

func (redisLog) Printf(_ context.Context, format string, v ...any) {
	msg := strings.TrimPrefix(strings.TrimSpace(fmt.Sprintf(format, v...)), "redis: ")
	l := libraryLog.Load()
	ev := l.Info()
	if lower := strings.ToLower(msg); strings.Contains(lower, "fail") || strings.Contains(lower, "error") || strings.Contains(lower, "panic") {
		ev = l.Error()
	}
	ev.Str("component", "go-redis").Msg(msg)
}
