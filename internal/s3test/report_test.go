package s3test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestReport checks the lines written to the server report, one per kind and outcome.
// It uses made-up kinds so that it does not hide the real servers' lines.
func TestReport(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report")
	t.Setenv(ReportEnv, path)
	srv := &Server{Endpoint: "http://127.0.0.1:1234"}

	reportLaunch("report-a", true, srv, nil, 1500*time.Millisecond)
	reportLaunch("report-a", true, srv, nil, time.Second) // the same outcome: no new line
	reportLaunch("report-b", false, nil, errors.New("s3test: starting report-b failed: boom\n--- tail ---\nlog"), 0)
	reportLaunch("report-c", true, nil, fmt.Errorf("wrapped: %w", &skipError{"not on PATH"}), 0)
	reportDied("report-a", errors.New("signal: killed"))

	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"internal/s3test: report-a: started at http://127.0.0.1:1234 in 1.5s (shared)",
		"internal/s3test: report-b: could not start: s3test: starting report-b failed: boom " +
			"(the tests that need it fail)",
		"internal/s3test: report-c: skipped: wrapped: not on PATH",
		"internal/s3test: report-a: died during the tests (signal: killed); the tests after it failed",
	}
	if got := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("report:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// fakeTB records how fail ended a test instead of ending the real one.
type fakeTB struct {
	testing.TB
	skipped, failed string
}

func (f *fakeTB) Helper()                        {}
func (f *fakeTB) Skipf(format string, a ...any)  { f.skipped = fmt.Sprintf(format, a...) }
func (f *fakeTB) Fatalf(format string, a ...any) { f.failed = fmt.Sprintf(format, a...) }

// TestMissingServerFails checks the policy for servers that are not there: a versitygw or
// MinIO binary missing from .tools/bin fails the test that needs it, with the command that
// installs it; moto_server missing from PATH skips, unless HAUL_TEST_SERVERS names moto:
// then it fails, so that a run asked to test moto cannot pass without it.
func TestMissingServerFails(t *testing.T) {
	t.Setenv("HAUL_TOOLS_BIN", t.TempDir())
	t.Setenv("PATH", t.TempDir())
	for _, tc := range []struct {
		kind, servers string // servers: HAUL_TEST_SERVERS
		wantSkip      bool
		want          string
	}{
		{"versitygw", "", false, "run `make tools`"},
		{"minio", "", false, "run `make tools`"},
		{"moto", "", true, "moto_server is not on PATH"},
		{"moto", "versitygw,minio", true, "moto_server is not on PATH"},
		{"moto", "motoish", true, "moto_server is not on PATH"},
		{"moto", "moto", false, "moto_server is not on PATH (pip install 'moto[server]'), and HAUL_TEST_SERVERS names moto"},
		{"moto", " versitygw , moto ", false, "HAUL_TEST_SERVERS names moto: failing rather than skipping"},
		{"nosuch", "", false, "unknown server kind"},
	} {
		t.Run(tc.kind+"/"+tc.servers, func(t *testing.T) {
			t.Setenv("HAUL_TEST_SERVERS", tc.servers)
			_, err := launch(tc.kind)
			if err == nil {
				t.Fatalf("launch(%s) with no binary succeeded", tc.kind)
			}
			tb := &fakeTB{}
			fail(tb, err)
			got := tb.failed
			if tc.wantSkip {
				got = tb.skipped
			}
			if (tb.skipped != "") != tc.wantSkip || (tb.failed != "") == tc.wantSkip {
				t.Fatalf("fail(%v): skipped %q, failed %q; want skip=%v", err, tb.skipped, tb.failed, tc.wantSkip)
			}
			if !strings.Contains(got, tc.want) {
				t.Fatalf("message %q does not contain %q", got, tc.want)
			}
		})
	}
}

// TestServerThatDoesNotStartFails checks that a server binary that exits at once fails
// the launch with its log, rather than waiting out the timeout or passing.
func TestServerThatDoesNotStartFails(t *testing.T) {
	dir := t.TempDir()
	script := "#!/bin/sh\necho 'fake versitygw: cannot open data dir' >&2\nexit 3\n"
	if err := os.WriteFile(filepath.Join(dir, "versitygw"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("HAUL_TOOLS_BIN", dir)
	begin := time.Now()
	_, err := launch("versitygw")
	if err == nil {
		t.Fatal("launch of a server that exits at once succeeded")
	}
	for _, want := range []string{"exited before it was ready", "exit status 3", "fake versitygw: cannot open data dir"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if took := time.Since(begin); took > startTimeout/2 {
		t.Errorf("launch took %v to notice the exit", took)
	}
}

func TestKindsNeverEmpty(t *testing.T) {
	for _, env := range []string{"", " ", ",", " , ,"} {
		t.Setenv("HAUL_TEST_SERVERS", env)
		if got := Kinds(); len(got) != 3 {
			t.Errorf("HAUL_TEST_SERVERS=%q: Kinds() = %v, want the three default kinds", env, got)
		}
	}
	t.Setenv("HAUL_TEST_SERVERS", " minio ,moto")
	if got := strings.Join(Kinds(), ","); got != "minio,moto" {
		t.Errorf("Kinds() = %s, want minio,moto", got)
	}
}
