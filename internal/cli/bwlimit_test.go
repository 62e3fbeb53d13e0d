package cli

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/haul-s3/haul/bwlimit"
	"github.com/haul-s3/haul/transfer"
)

// A --bwlimit that does not parse is a usage error (exit 2) on every command that has it,
// with a sentence naming the forms it takes.
func TestBwlimitBadExitsUsage(t *testing.T) {
	src := filepath.Join(t.TempDir(), "missing-file")
	for _, cmd := range [][]string{
		{"cp", src, "s3://bucket/key"},
		{"mv", src, "s3://bucket/key"},
		{"sync", t.TempDir(), "s3://bucket/prefix/"},
		{"cat", "s3://bucket/key"},
	} {
		for _, v := range []string{"fast", "08:00", "10MiB/s:", "25:00,1MiB/s", "08:00,1MiB/s 08:00,off", ""} {
			var stdout, stderr bytes.Buffer
			args := append([]string{cmd[0], "--bwlimit", v}, cmd[1:]...)
			code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
			if code != ExitUsage {
				t.Errorf("haul %q exit code = %d, want %d (stderr %q)", args, code, ExitUsage, stderr.String())
			}
			if !strings.Contains(stderr.String(), "--bwlimit") || !strings.Contains(stderr.String(), bwlimit.Forms) {
				t.Errorf("haul %q stderr = %q, want it to name --bwlimit and the forms", args, stderr.String())
			}
		}
	}
}

// --bwlimit reaches the engine: a single rate as one limiter for both directions, UP:DOWN
// as two, off (or no flag) as none.
func TestBwlimitOptions(t *testing.T) {
	for _, tt := range []struct {
		flag     string
		up, down bool
	}{
		{"", false, false},
		{"off", false, false},
		{"08:00,off 19:00,0", false, false},
		{"10MiB/s", true, true},
		{"10MiB/s:off", true, true},
		{"08:00,10MiB/s 19:00,off", true, true},
	} {
		var f cpFlags
		if tt.flag != "" {
			if err := (bwlimitFlag{&f.bwlimit}).Set(tt.flag); err != nil {
				t.Fatal(err)
			}
		}
		f.concurrency = 1
		o, err := f.options()
		if err != nil {
			t.Fatal(err)
		}
		if (o.Bandwidth.Up != nil) != tt.up || (o.Bandwidth.Down != nil) != tt.down {
			t.Errorf("--bwlimit %q: up %v, down %v; want paced up %v, down %v", tt.flag, o.Bandwidth.Up, o.Bandwidth.Down, tt.up, tt.down)
		}
	}
}

// Only a timetable's changes are noted, through a lock (they come from a transfer's
// goroutine); a single rate leaves the observer as it is.
func TestBwlimitNotesTimetableOnly(t *testing.T) {
	obs := transfer.ObserverFunc(func(transfer.Event) {})
	for flag, wrapped := range map[string]bool{"": false, "off": false, "10MiB/s": false, "1MiB/s:off": false, "08:00,10MiB/s 19:00,off": true} {
		var f cpFlags
		if flag != "" {
			if err := (bwlimitFlag{&f.bwlimit}).Set(flag); err != nil {
				t.Fatal(err)
			}
		}
		f.concurrency = 1
		if _, err := f.options(); err != nil {
			t.Fatal(err)
		}
		_, isSerial := f.noteBandwidthChanges(obs).(*serialObserver)
		if isSerial != wrapped {
			t.Errorf("--bwlimit %q: observer wrapped %v, want %v", flag, isSerial, wrapped)
		}
	}
}
