// A stand-in for CRI-O's goroutine dump (CRI-O is not packaged in Debian): named crio, it
// does what crio does on SIGUSR1 (cmd/crio/main.go): write every goroutine's stack, as
// pprof's goroutine profile at debug=2, to /tmp/crio-goroutine-stacks-<RFC3339 without ':'>.log.
// Its goroutines wait on a mutex the way a stuck CRI server would.
package main

import (
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"sync"
	"syscall"
	"time"
)

var mu sync.Mutex

func listContainers(done chan struct{}) {
	mu.Lock() // waits on the holder below
	mu.Unlock()
	close(done)
}

func holder() {
	mu.Lock()
	select {}
}

func main() {
	go holder()
	time.Sleep(50 * time.Millisecond)
	for i := 0; i < 3; i++ {
		go listContainers(make(chan struct{}))
	}
	c := make(chan os.Signal, 1)
	signal.Notify(c, syscall.SIGUSR1)
	fmt.Println("ready")
	for range c {
		path := fmt.Sprintf("/tmp/crio-goroutine-stacks-%s.log",
			strings.ReplaceAll(time.Now().Format(time.RFC3339), ":", ""))
		f, err := os.Create(path)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			continue
		}
		pprof.Lookup("goroutine").WriteTo(f, 2)
		f.Close()
	}
}
