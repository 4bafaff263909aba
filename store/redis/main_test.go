package redis_test

import (
	"testing"

	"github.com/elevate-pim/elevate/store/redis/redistest"
)

func TestMain(m *testing.M) { redistest.Main(m) }
