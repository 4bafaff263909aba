package redis_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/elevate-pim/elevate/store/redis"
	"github.com/elevate-pim/elevate/store/redis/redistest"
)

// TestLuaSHA256 checks the script's SHA-256 against crypto/sha256 on every
// length around the padding boundaries, and on bytes of every value.
func TestLuaSHA256(t *testing.T) {
	script := goredis.NewScript(redis.SHA256Source + "\nreturn sha256(ARGV[1])")
	c := redistest.NewClient(t)
	var all strings.Builder
	for b := range 256 {
		all.WriteByte(byte(b))
	}
	inputs := []string{all.String()}
	for n := range 200 {
		inputs = append(inputs, strings.Repeat("é", n/2)+strings.Repeat("x", n%2))
	}
	for _, in := range inputs {
		got, err := script.Run(context.Background(), c, nil, in).Text()
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(in))
		if want := hex.EncodeToString(sum[:]); got != want {
			t.Fatalf("sha256 of %d bytes: lua %s, go %s", len(in), got, want)
		}
	}
}
