package redis_test

import (
	"testing"

	"github.com/elevate-pim/elevate/core"
	"github.com/elevate-pim/elevate/store/redis/redistest"
	"github.com/elevate-pim/elevate/store/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) core.Store { return redistest.NewStore(t) })
}
