package config_test

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/elevate-pim/elevate/core/config"
)

func FuzzDebug(f *testing.F) {
	f.Add([]byte(base))
	gd, _ := os.ReadFile("testdata/good.yaml")
	f.Add(gd)
	f.Add([]byte("a: &a {<<: *a}"))
	f.Add([]byte("x: &x [*x]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		done := make(chan bool)
		go func() {
			select {
			case <-done:
			case <-time.After(3 * time.Second):
				os.WriteFile(fmt.Sprintf("/tmp/hang-%d.yaml", time.Now().UnixNano()), data, 0o644)
				panic("hang")
			}
		}()
		config.Parse("f.yaml", data)
		close(done)
	})
}
