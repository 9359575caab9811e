// Command go_push sends its own CPU profile to a Hearth server (or anything that speaks
// Pyroscope's /ingest) using only Go's standard library: runtime/pprof records a profile
// for -period, then one POST /ingest?format=pprof stores it. The busy loop below is what
// the profile shows.
//
//	go run ./examples/go_push -server http://localhost:4040 -app checkout
package main

import (
	"bytes"
	"crypto/sha256"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"runtime/pprof"
	"sort"
	"time"
)

func main() {
	server := flag.String("server", "http://localhost:4040", "Hearth server URL")
	app := flag.String("app", "go-push", "service_name of the profiles")
	period := flag.Duration("period", 10*time.Second, "length of each CPU profile")
	rounds := flag.Int("rounds", 0, "stop after this many profiles (0: run for ever)")
	flag.Parse()

	go work()
	for i := 0; *rounds == 0 || i < *rounds; i++ {
		var buf bytes.Buffer
		start := time.Now()
		if err := pprof.StartCPUProfile(&buf); err != nil {
			log.Fatal(err)
		}
		time.Sleep(*period)
		pprof.StopCPUProfile()
		q := url.Values{
			"name":    {*app + "{env=dev}"},
			"format":  {"pprof"},
			"spyName": {"gospy"},
			"from":    {fmt.Sprint(start.Unix())},
			"until":   {fmt.Sprint(time.Now().Unix())},
		}
		resp, err := http.Post(*server+"/ingest?"+q.Encode(), "application/octet-stream", &buf)
		if err != nil {
			log.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			log.Fatalf("push: %s: %s", resp.Status, body)
		}
		log.Printf("pushed a %v CPU profile", *period)
	}
}

// work alternates between hashing and sorting, so both show up in the flame graph.
func work() {
	data := make([]byte, 1<<16)
	nums := make([]int, 1<<14)
	for i := 0; ; i++ {
		hashBlocks(data)
		sortNumbers(nums, i)
	}
}

func hashBlocks(data []byte) {
	for j := 0; j < 64; j++ {
		sum := sha256.Sum256(data)
		data[j] = sum[0]
	}
}

func sortNumbers(nums []int, seed int) {
	for j := range nums {
		nums[j] = (j*7919 + seed*104729) % 65521
	}
	sort.Ints(nums)
}
