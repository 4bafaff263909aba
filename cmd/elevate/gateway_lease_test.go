package main

import (
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/adapters/discord/discordtest"
)

// TestOneGatewaySessionAcrossReplicas: two `elevate serve` processes in
// Discord gateway mode on one Redis; exactly one holds the gateway session
// (the fake Discord never sees two at once); SIGKILL the holder and the
// other connects within the lease's TTL.
func TestOneGatewaySessionAcrossReplicas(t *testing.T) {
	const ttl = 2 * time.Second
	fake := discordtest.New(t)
	rcv := newReceiver(t)
	cfg := redisConfig(t, rcv.URL, 0)
	env := []string{
		"ELEVATE_DISCORD_BOT_TOKEN=bot-token", "ELEVATE_DISCORD_APP_ID=app",
		"ELEVATE_DISCORD_MODE=gateway", "ELEVATE_DISCORD_API_URL=" + fake.URL(),
		"ELEVATE_DISCORD_LEASE_TTL=" + ttl.String(), "ELEVATE_SLACK_BOT_TOKEN=",
	}
	holderAddr, standbyAddr := freeAddr(t), freeAddr(t)
	holder := startServe(t, cfg, append(env, "ELEVATE_HTTP_ADDR="+holderAddr)...)
	fake.Identified(t, 20*time.Second)
	startServe(t, cfg, append(env, "ELEVATE_HTTP_ADDR="+standbyAddr)...)
	// Several lease periods: the second replica renews nothing and stays off.
	time.Sleep(3 * ttl)
	if live, most, total := fake.Sessions(); live != 1 || most != 1 || total != 1 {
		t.Fatalf("with two replicas: %d sessions live, %d at most, %d ever; want 1, 1, 1", live, most, total)
	}
	// Both are ready: the holder is connected, the other stands by.
	for _, addr := range []string{holderAddr, standbyAddr} {
		if body := waitStatus(t, "http://"+addr+"/readyz", 200, 10*time.Second); !strings.Contains(body, "discord: ok") {
			t.Fatalf("%s/readyz: %q", addr, body)
		}
	}

	_ = holder.Process.Signal(syscall.SIGKILL)
	_ = holder.Wait()
	killed := time.Now()
	fake.Identified(t, 20*time.Second)
	// The lease lapses at most ttl after the holder's last renewal; the
	// survivor asks every ttl/3 and then connects (a dial and a handshake).
	if took := time.Since(killed); took > ttl+ttl/3+time.Second {
		t.Fatalf("the survivor connected %v after the holder died; want within the %v lease", took, ttl)
	}
	time.Sleep(ttl)
	if live, most, total := fake.Sessions(); live != 1 || most != 1 || total != 2 {
		t.Fatalf("after the takeover: %d sessions live, %d at most, %d ever; want 1, 1, 2", live, most, total)
	}
}
