// Command haul moves files and directories to and from S3-compatible object storage.
// See the README for usage; the work is done by internal/cli over the transfer engine.
//
// For measuring haul itself, two environment variables name files that haul writes
// runtime/pprof profiles to (read them with `go tool pprof`):
//
//	HAUL_CPUPROFILE  a CPU profile of the whole command
//	HAUL_MEMPROFILE  a heap profile taken when the live heap was largest: what was in use
//	                 then (inuse_space), and every allocation made until then (alloc_space)
//
// A profile that cannot be written is said on stderr; the command's exit code is its own.
package main

import (
	"fmt"
	"os"
	"runtime/metrics"
	"runtime/pprof"
	"time"

	"github.com/haul-s3/haul/internal/cli"
)

func main() {
	stop := startProfiles(os.Getenv("HAUL_CPUPROFILE"), os.Getenv("HAUL_MEMPROFILE"))
	code := cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// startProfiles starts a CPU profile into cpuPath and a watch of the heap for memPath
// (either empty: none) and returns the function that stops them and writes the files.
func startProfiles(cpuPath, memPath string) (stop func()) {
	var cpu *os.File
	if cpuPath != "" {
		f, err := os.Create(cpuPath)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "haul: HAUL_CPUPROFILE: %v\n", err)
			if f != nil {
				f.Close()
			}
		} else {
			cpu = f
		}
	}
	var heap *heapWatch
	if memPath != "" {
		heap = watchHeap(memPath)
	}
	return func() {
		if cpu != nil {
			pprof.StopCPUProfile()
			if err := cpu.Close(); err != nil {
				fmt.Fprintf(os.Stderr, "haul: HAUL_CPUPROFILE: %v\n", err)
			}
		}
		if heap != nil {
			if err := heap.stop(); err != nil {
				fmt.Fprintf(os.Stderr, "haul: HAUL_MEMPROFILE: %v\n", err)
			}
		}
	}
}

// heapWatch writes a heap profile to path whenever the live heap, as the last garbage
// collection measured it (which is what a heap profile's in-use figures are), is larger
// than it was at the last profile written: looked at every 50 ms, and once more at stop.
type heapWatch struct {
	path string
	done chan struct{}
	end  chan error
	peak uint64
}

func watchHeap(path string) *heapWatch {
	h := &heapWatch{path: path, done: make(chan struct{}), end: make(chan error, 1)}
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		var err error
		for {
			select {
			case <-t.C:
				if err == nil {
					err = h.check()
				}
			case <-h.done:
				if err == nil {
					err = h.check()
				}
				h.end <- err
				return
			}
		}
	}()
	return h
}

func (h *heapWatch) stop() error {
	close(h.done)
	return <-h.end
}

func (h *heapWatch) check() error {
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s)
	live := s[0].Value.Uint64()
	if live <= h.peak && h.peak != 0 {
		return nil
	}
	h.peak = max(live, 1)
	f, err := os.Create(h.path)
	if err != nil {
		return err
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
