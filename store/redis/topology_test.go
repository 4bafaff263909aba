package redis_test

import (
	"strings"

	goredis "github.com/redis/go-redis/v9"
	"testing"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/redis"
	"github.com/elevate-pim/elevate/store/redis/redistest"
	"github.com/elevate-pim/elevate/store/storetest"
)

// TestConformanceOnCluster runs the store suite on a three-master Redis
// Cluster: every key a script touches shares the prefix's hash tag, so
// every script and transaction stays in one slot.
func TestConformanceOnCluster(t *testing.T) {
	url := redistest.StartCluster(t)
	storetest.Run(t, func(t *testing.T) core.Store {
		s, err := redis.Open(url, redis.ModeCluster, redis.WithPrefix(redistest.RandomPrefix()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestConformanceOnSentinel runs the store suite through Sentinel, where
// every Apply also waits for the replica.
func TestConformanceOnSentinel(t *testing.T) {
	d := redistest.StartSentinel(t)
	storetest.Run(t, func(t *testing.T) core.Store {
		s, err := redis.Open(d.URL, "", redis.WithPrefix(redistest.RandomPrefix()))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestConnectForms: go-redis's URL forms choose the client; TLS comes from
// rediss://; a bad mode or URL is refused without showing the password.
func TestConnectForms(t *testing.T) {
	single, err := redis.Connect("rediss://u:hunter2@db.internal:6380/2", "")
	if err != nil {
		t.Fatal(err)
	}
	defer single.Close()
	if c, ok := single.(*goredis.Client); !ok || c.Options().TLSConfig == nil || c.Options().Addr != "db.internal:6380" || c.Options().DB != 2 {
		t.Fatalf("rediss:// gave %T %+v, want a TLS client of db.internal:6380 db 2", single, single)
	}
	failover, err := redis.Connect("redis://s1:26379/0?master_name=main&addr=s2:26379&addr=s3:26379", "")
	if err != nil {
		t.Fatal(err)
	}
	defer failover.Close()
	if c, ok := failover.(*goredis.Client); !ok || c.Options().Addr != "FailoverClient" {
		t.Fatalf("master_name gave %T, want a failover client", failover)
	}
	cluster, err := redis.Connect("redis://n1:7000?addr=n2:7000&addr=n3:7000", redis.ModeCluster)
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	if c, ok := cluster.(*goredis.ClusterClient); !ok || len(c.Options().Addrs) != 3 {
		t.Fatalf("cluster mode gave %T, want a cluster client of three nodes", cluster)
	}
	for _, tc := range []struct{ url, mode, want string }{
		{"redis://u:hunter2@h:1/0", "galaxy", "unknown mode"},
		{"redis://u:hunter2@h:1/0?master_name=m&bogus=1", "", "bogus"},
		{"redis://u:hunter2@h:1?bogus=1", redis.ModeCluster, "bogus"},
		{"memcached://u:hunter2@h:1/0", "", "scheme"},
	} {
		_, err := redis.Connect(tc.url, tc.mode)
		if err == nil || !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "hunter2") {
			t.Errorf("Connect(%q, %q) = %v, want an error about %s without the password", tc.url, tc.mode, err, tc.want)
		}
	}
}
