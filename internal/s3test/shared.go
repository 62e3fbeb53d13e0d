package s3test

import (
	"errors"
	"sync"
	"testing"
	"time"
)

// registry holds the servers started by Shared, one entry per kind. Each
// entry records the first start's result, so a kind that failed to start
// fails every test that asks for it without retrying.
var registry = struct {
	sync.Mutex
	entries map[string]*sharedEntry
}{entries: make(map[string]*sharedEntry)}

type sharedEntry struct {
	mu      sync.Mutex
	started bool
	srv     *Server
	err     error
}

// Shared returns a server of that kind, started once per test binary and
// stopped by RunMain. It is safe for parallel tests. A missing binary or a
// server that does not start (or has died since) fails the test; moto
// missing from PATH skips it. Without RunMain the server is only killed when
// the test binary exits (on Linux), and its temporary directory remains.
func Shared(t testing.TB, kind string) *Server {
	t.Helper()
	e := sharedEntryFor(kind)
	e.mu.Lock()
	defer e.mu.Unlock()
	if !e.started {
		e.started = true
		begin := time.Now()
		e.srv, e.err = launch(kind)
		reportLaunch(kind, true, e.srv, e.err, time.Since(begin))
		if e.err == nil {
			t.Logf("s3test: started shared %s at %s in %v",
				kind, e.srv.Endpoint, time.Since(begin).Round(time.Millisecond))
		}
	}
	if e.err != nil {
		fail(t, e.err)
	}
	if e.srv.proc.hasExited() {
		reportDied(kind, e.srv.proc.exitErr())
		t.Fatalf("s3test: shared %s server has died (%v)\n--- tail of server log ---\n%s",
			kind, e.srv.proc.exitErr(), e.srv.proc.logTail())
	}
	return e.srv
}

func sharedEntryFor(kind string) *sharedEntry {
	registry.Lock()
	defer registry.Unlock()
	e := registry.entries[kind]
	if e == nil {
		e = &sharedEntry{}
		registry.entries[kind] = e
	}
	return e
}

// Start starts a private server of that kind for one test; it is stopped
// when the test finishes. Failures are reported as for Shared.
func Start(t testing.TB, kind string) *Server {
	t.Helper()
	begin := time.Now()
	srv, err := launch(kind)
	reportLaunch(kind, false, srv, err, time.Since(begin))
	if err != nil {
		fail(t, err)
	}
	t.Cleanup(srv.proc.stop)
	return srv
}

// RunMain runs the tests, then stops the shared servers and removes their
// temporary directories. With ReportEnv set it also adds to the server report
// the kinds no test asked for. Use it from TestMain:
//
//	func TestMain(m *testing.M) { os.Exit(s3test.RunMain(m)) }
func RunMain(m *testing.M) int {
	code := m.Run()
	stopShared()
	reportUnused()
	return code
}

// stopShared stops every shared server and empties the registry.
func stopShared() {
	registry.Lock()
	defer registry.Unlock()
	for kind, e := range registry.entries {
		e.mu.Lock()
		if e.srv != nil {
			if e.srv.proc.hasExited() {
				reportDied(kind, e.srv.proc.exitErr())
			}
			e.srv.proc.stop()
		}
		e.mu.Unlock()
		delete(registry.entries, kind)
	}
}

// fail ends the test: skipped for a skipError, failed otherwise.
func fail(t testing.TB, err error) {
	t.Helper()
	var skip *skipError
	if errors.As(err, &skip) {
		t.Skipf("%v", err)
		return
	}
	t.Fatalf("%v", err)
}
