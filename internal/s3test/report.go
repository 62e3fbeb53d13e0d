package s3test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// ReportEnv names the environment variable that holds the path of the server report.
// When it is set, every test binary that uses this package appends one line to that
// file for each outcome of starting a server kind:
//
//	e2e: versitygw: started at http://127.0.0.1:40123 in 412ms (shared)
//	e2e: minio: could not start: s3test: minio binary is missing at ...
//	e2e: moto: skipped: s3test: moto_server is not on PATH ...
//	internal/s3test: minio: not used by the tests that ran
//
// Lines are written when the outcome is known (so a binary that later panics or times out
// has still reported its starts), each with a single append, so that packages tested in
// parallel can share the file. `make test` prints the file after `go test`, which shows
// nothing of the packages that pass.
const ReportEnv = "HAUL_TEST_SERVER_REPORT"

// report remembers which lines this test binary has written, so that each outcome of a
// kind is reported once however many tests ask for the kind.
var report = struct {
	sync.Mutex
	seen map[string]bool // kind + "\x00" + outcome class
	used map[string]bool // kinds some test asked for
}{seen: make(map[string]bool), used: make(map[string]bool)}

// reportLaunch records the outcome of starting a server of kind: shared says whether it
// was the shared server (Shared) or a private one (Start).
func reportLaunch(kind string, shared bool, srv *Server, err error, took time.Duration) {
	var skip *skipError
	switch {
	case err == nil && shared:
		reportOnce(kind, "shared", fmt.Sprintf("started at %s in %v (shared)",
			srv.Endpoint, took.Round(time.Millisecond)))
	case err == nil:
		reportOnce(kind, "private", fmt.Sprintf("started a private server at %s in %v (Start)",
			srv.Endpoint, took.Round(time.Millisecond)))
	case errors.As(err, &skip):
		reportOnce(kind, "skipped", "skipped: "+firstLine(err.Error()))
	default:
		reportOnce(kind, "failed", "could not start: "+firstLine(err.Error())+
			" (the tests that need it fail)")
	}
}

// reportDied records that the shared server of kind exited while tests still used it.
func reportDied(kind string, err error) {
	reportOnce(kind, "died", fmt.Sprintf("died during the tests (%v); the tests after it failed", err))
}

// reportUnused records, at the end of the binary, each kind of Kinds that no test asked for.
func reportUnused() {
	report.Lock()
	var unused []string
	for _, kind := range Kinds() {
		if !report.used[kind] {
			unused = append(unused, kind)
		}
	}
	report.Unlock()
	for _, kind := range unused {
		reportOnce(kind, "unused", "not used by the tests that ran")
	}
}

// reportOnce appends "package: kind: text" to the report file the first time kind has an
// outcome of that class. Without ReportEnv it does nothing; a report that cannot be
// written is said on stderr, since a test binary has no better place.
func reportOnce(kind, class, text string) {
	report.Lock()
	defer report.Unlock()
	if class != "unused" {
		report.used[kind] = true
	}
	key := kind + "\x00" + class
	if report.seen[key] {
		return
	}
	report.seen[key] = true
	path := os.Getenv(ReportEnv)
	if path == "" {
		return
	}
	line := fmt.Sprintf("%s: %s: %s\n", packageName(), kind, text)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err == nil {
		_, err = f.WriteString(line) // one write: appends from parallel binaries do not mix
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "s3test: writing the server report %s: %v\n", path, err)
	}
}

// packageName names the package under test by its directory relative to the module root
// (go test runs a test binary in its package's directory), or the binary's name.
func packageName() string {
	wd, err := os.Getwd()
	if err == nil {
		if root, ok := moduleRoot(wd); ok {
			if rel, err := filepath.Rel(root, wd); err == nil {
				return filepath.ToSlash(rel)
			}
		}
	}
	return strings.TrimSuffix(filepath.Base(os.Args[0]), ".test")
}

// moduleRoot returns the nearest directory at or above dir that holds go.mod.
func moduleRoot(dir string) (string, bool) {
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, true
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", false
		}
		dir = parent
	}
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
