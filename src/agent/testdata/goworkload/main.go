// A Go workload for the agent's end-to-end test: main.main → main.worker → main.hotLoop.
package main

import (
	"os"
	"strconv"
	"time"
)

var sink uint64

//go:noinline
func hotLoop(x uint64) uint64 {
	for i := 0; i < 200000; i++ {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
	}
	return x
}

//go:noinline
func worker(d time.Duration) {
	end := time.Now().Add(d)
	x := uint64(88172645463325252)
	for time.Now().Before(end) {
		x = hotLoop(x)
	}
	sink = x
}

func main() {
	secs, err := strconv.ParseFloat(os.Args[1], 64)
	if err != nil {
		os.Exit(1)
	}
	worker(time.Duration(secs * float64(time.Second)))
}
