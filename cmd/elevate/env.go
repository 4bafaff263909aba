package main

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/rs/zerolog"

	"github.com/elevate-pim/elevate/store/redis"
)

// envChecks validate every ELEVATE_* setting that elevate reads, by
// name: a bad value stops start-up with one line naming the variable
// (exit 2) instead of a failure, or a panic, deep inside.
var envChecks = map[string]func(string) error{
	"ELEVATE_LOG_LEVEL": func(v string) error {
		_, err := zerolog.ParseLevel(strings.ToLower(v))
		if err != nil {
			return errors.New("want debug, info, warn or error")
		}
		return nil
	},
	"ELEVATE_JOB_LEASE":         positiveDuration,
	"ELEVATE_SHUTDOWN_GRACE":    positiveDuration,
	"ELEVATE_DISCORD_LEASE_TTL": positiveDuration,
	"ELEVATE_SIEM_LEASE_TTL":    positiveDuration,
	"ELEVATE_REDIS_URL": func(v string) error {
		if u, err := url.Parse(v); err != nil || u.Scheme == "" {
			return errors.New("want a redis://, rediss:// or redis-sentinel URL")
		}
		return nil
	},
	"ELEVATE_REDIS_MODE": func(v string) error {
		if v != redis.ModeCluster {
			return fmt.Errorf("want %q, or leave it unset (one server or Sentinel, by the URL)", redis.ModeCluster)
		}
		return nil
	},
	"ELEVATE_REDIS_PREFIX": redis.CheckPrefix,
	"ELEVATE_ENCRYPTION_KEY": func(v string) error {
		if key, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v)); err != nil || len(key) != 32 {
			return errors.New("want the base64 encoding of 32 random bytes (`openssl rand -base64 32`)")
		}
		return nil
	},
	"ELEVATE_HTTP_ADDR":    listenAddr,
	"ELEVATE_METRICS_ADDR": listenAddr,
	"ELEVATE_DISCORD_MODE": func(v string) error {
		if v != "gateway" && v != "http" {
			return errors.New("want gateway or http")
		}
		return nil
	},
	"ELEVATE_DISCORD_PUBLIC_KEY": func(v string) error {
		if b, err := hex.DecodeString(v); err != nil || len(b) != 32 {
			return errors.New("want the application's public key: 64 hex digits")
		}
		return nil
	},
	"ELEVATE_SLACK_API_URL":   httpURL,
	"ELEVATE_DISCORD_API_URL": httpURL,
}

// checkEnv validates the ELEVATE_* variables that are set, and returns the
// first problem as a usage error naming the variable.
func checkEnv() error {
	for _, kv := range os.Environ() {
		name, v, _ := strings.Cut(kv, "=")
		check, ok := envChecks[name]
		if !ok || v == "" {
			continue
		}
		if err := check(v); err != nil {
			return envError(fmt.Sprintf("%s=%q: %v", name, truncateValue(name, v), err))
		}
	}
	return nil
}

// envError is a bad environment variable: one line, exit 2.
type envError string

func (e envError) Error() string { return string(e) }

// truncateValue is v as an error message may show it: never a key.
func truncateValue(name, v string) string {
	if strings.Contains(name, "KEY") || strings.Contains(name, "TOKEN") || strings.Contains(name, "SECRET") {
		return "…"
	}
	if len(v) > 60 {
		return v[:60] + "…"
	}
	return v
}

func positiveDuration(v string) error {
	if d, err := time.ParseDuration(v); err != nil || d <= 0 {
		return errors.New("want a positive duration like 30s")
	}
	return nil
}

func listenAddr(v string) error {
	if _, _, err := net.SplitHostPort(v); err != nil {
		return errors.New("want host:port or :port")
	}
	return nil
}

func httpURL(v string) error {
	if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return errors.New("want an http(s) URL")
	}
	return nil
}
