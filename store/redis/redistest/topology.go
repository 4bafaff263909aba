package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// SentinelMaster is the master name the sentinels of StartSentinel monitor.
const SentinelMaster = "elevate-test"

// Sentinel is a throwaway Sentinel deployment: a master, one replica and
// three sentinels on free loopback ports.
type Sentinel struct {
	// URL is a go-redis failover URL naming all three sentinels.
	URL       string
	master    *server
	replica   *server
	sentinels []*server
}

// StartSentinel starts a Sentinel deployment for t, stopped when t ends,
// and waits until the sentinels see the replica in sync, so that a
// failover can promote it. It skips t (fails it under CI) when
// redis-server is not installed.
func StartSentinel(t testing.TB) *Sentinel {
	t.Helper()
	bin := serverBin(t)
	d := &Sentinel{}
	d.master = mustLaunch(t, bin, "master")
	d.replica = mustLaunch(t, bin, "replica", "--replicaof", "127.0.0.1", port(d.master))
	var addrs []string
	for i := range 3 {
		s := mustLaunchSentinel(t, bin, i, d.master)
		d.sentinels = append(d.sentinels, s)
		addrs = append(addrs, s.addr)
	}
	d.URL = "redis://" + addrs[0] + "/0?master_name=" + SentinelMaster + "&addr=" + addrs[1] + "&addr=" + addrs[2]
	d.waitReplicaKnown(t)
	return d
}

// Master returns the address the sentinels now name as master.
func (d *Sentinel) Master(t testing.TB) string {
	t.Helper()
	c := goredis.NewSentinelClient(&goredis.Options{Addr: d.sentinels[0].addr})
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hp, err := c.GetMasterAddrByName(ctx, SentinelMaster).Result()
	if err != nil {
		t.Fatalf("sentinel get-master-addr-by-name: %v", err)
	}
	return net.JoinHostPort(hp[0], hp[1])
}

// Failover asks a sentinel to fail over (SENTINEL FAILOVER) and waits until
// the sentinels name the replica as master, it accepts writes, and the old
// master replicates from it.
func (d *Sentinel) Failover(t testing.TB) {
	t.Helper()
	old := d.Master(t)
	c := goredis.NewSentinelClient(&goredis.Options{Addr: d.sentinels[0].addr})
	defer c.Close()
	waitFor(t, 20*time.Second, "SENTINEL FAILOVER accepted", func(ctx context.Context) error {
		return c.Failover(ctx, SentinelMaster).Err()
	})
	waitFor(t, 20*time.Second, "a new master", func(ctx context.Context) error {
		if now := d.Master(t); now == old {
			return fmt.Errorf("master is still %s", now)
		}
		return nil
	})
	newMaster := goredis.NewClient(&goredis.Options{Addr: d.Master(t)})
	defer newMaster.Close()
	waitFor(t, 20*time.Second, "the new master to take writes", func(ctx context.Context) error {
		return newMaster.Set(ctx, "redistest:failover", "1", 0).Err()
	})
	// Until the old master follows the new one, a client still connected to
	// it reads (and writes) what the new master never had and never will:
	// the deployment is settled only once it replicates from the new master.
	_, newPort, _ := net.SplitHostPort(d.Master(t))
	oldMaster := goredis.NewClient(&goredis.Options{Addr: old})
	defer oldMaster.Close()
	waitFor(t, 20*time.Second, "the old master to follow the new one", func(ctx context.Context) error {
		info, err := oldMaster.Info(ctx, "replication").Result()
		if err != nil {
			return err
		}
		if !strings.Contains(info, "role:slave") || !strings.Contains(info, "master_port:"+newPort+"\r") || !strings.Contains(info, "master_link_status:up") {
			return fmt.Errorf("replication: %s", info)
		}
		return nil
	})
}

// waitReplicaKnown waits until the master reports its replica online and the
// sentinels have discovered it.
func (d *Sentinel) waitReplicaKnown(t testing.TB) {
	t.Helper()
	m := goredis.NewClient(&goredis.Options{Addr: d.master.addr})
	defer m.Close()
	waitFor(t, 20*time.Second, "the replica in sync", func(ctx context.Context) error {
		info, err := m.Info(ctx, "replication").Result()
		if err != nil {
			return err
		}
		if !strings.Contains(info, "connected_slaves:1") || !strings.Contains(info, "state=online") {
			return fmt.Errorf("replication: %s", info)
		}
		return nil
	})
	for _, s := range d.sentinels {
		c := goredis.NewSentinelClient(&goredis.Options{Addr: s.addr})
		waitFor(t, 20*time.Second, "sentinels to see the replica", func(ctx context.Context) error {
			rs, err := c.Replicas(ctx, SentinelMaster).Result()
			if err != nil {
				return err
			}
			for _, r := range rs {
				if r["port"] == port(d.replica) && !strings.Contains(r["flags"], "disconnected") && r["master-link-status"] == "ok" {
					return nil
				}
			}
			return fmt.Errorf("replicas: %v", rs)
		})
		c.Close()
	}
}

// StartCluster starts a Redis Cluster of three masters (no replicas) for t,
// stopped when t ends, and returns a go-redis cluster URL naming all three
// (use it with mode "cluster"). It needs redis-cli besides redis-server.
func StartCluster(t testing.TB) string {
	t.Helper()
	bin := serverBin(t)
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		fail(t, errNotInstalled)
	}
	var nodes []string
	for i := range 3 {
		n := mustLaunch(t, bin, fmt.Sprintf("cluster%d", i), "--cluster-enabled", "yes",
			"--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000")
		nodes = append(nodes, n.addr)
	}
	out, err := exec.Command(cli, append(append([]string{"--cluster", "create"}, nodes...), "--cluster-replicas", "0", "--cluster-yes")...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	for _, addr := range nodes {
		c := goredis.NewClient(&goredis.Options{Addr: addr})
		waitFor(t, 20*time.Second, "cluster_state:ok on "+addr, func(ctx context.Context) error {
			info, err := c.ClusterInfo(ctx).Result()
			if err != nil {
				return err
			}
			if !strings.Contains(info, "cluster_state:ok") {
				return fmt.Errorf("%s", info)
			}
			return nil
		})
		c.Close()
	}
	return "redis://" + nodes[0] + "?addr=" + nodes[1] + "&addr=" + nodes[2]
}

// serverBin returns the redis-server binary, or skips (fails under CI) t.
func serverBin(t testing.TB) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		fail(t, errNotInstalled)
	}
	return bin
}

// mustLaunch starts a data node with extra arguments on a free port whose
// cluster bus port (port+10000) is free too, stopped when t ends.
func mustLaunch(t testing.TB, bin, name string, extra ...string) *server {
	t.Helper()
	var last error
	for range 5 {
		p, err := freePort()
		if err != nil || p > 55000 || !portFree(p+10000) {
			last = err
			continue
		}
		dir := filepath.Join(t.TempDir(), name)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		args := append([]string{"--port", strconv.Itoa(p), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--dir", dir}, extra...)
		srv, err := launch(bin, p, dir, args...)
		if err == nil {
			t.Cleanup(srv.stop)
			return srv
		}
		last = err
	}
	t.Fatalf("start redis-server %s: %v", name, last)
	return nil
}

// mustLaunchSentinel starts sentinel i monitoring master, stopped when t ends.
func mustLaunchSentinel(t testing.TB, bin string, i int, master *server) *server {
	t.Helper()
	var last error
	for range 5 {
		p, err := freePort()
		if err != nil {
			last = err
			continue
		}
		dir := filepath.Join(t.TempDir(), fmt.Sprintf("sentinel%d", i))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		conf := filepath.Join(dir, "sentinel.conf")
		text := fmt.Sprintf("port %d\nbind 127.0.0.1\ndir %s\n"+
			"sentinel monitor %s 127.0.0.1 %s 2\n"+
			"sentinel down-after-milliseconds %s 1000\n"+
			"sentinel failover-timeout %s 10000\n"+
			"sentinel parallel-syncs %s 1\n", p, dir, SentinelMaster, port(master), SentinelMaster, SentinelMaster, SentinelMaster)
		if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		srv, err := launch(bin, p, dir, conf, "--sentinel")
		if err == nil {
			t.Cleanup(srv.stop)
			return srv
		}
		last = err
	}
	t.Fatalf("start sentinel %d: %v", i, last)
	return nil
}

// port returns the port of a server's address.
func port(s *server) string {
	_, p, _ := net.SplitHostPort(s.addr)
	return p
}

// portFree reports whether nothing listens on the loopback port.
func portFree(p int) bool {
	l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
	if err != nil {
		return false
	}
	l.Close()
	return true
}

// waitFor retries check until it returns nil, failing t with the last error
// when timeout passes.
func waitFor(t testing.TB, timeout time.Duration, what string, check func(ctx context.Context) error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err := check(ctx)
		cancel()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
