package cli

import (
	"bytes"
	"io/fs"
	"strings"
	"testing"

	"github.com/haul-s3/haul/localfs"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/transfer"
)

// An entry a walk passed over is a skip: line (or a skipped event), never a failure: the
// run's error stays nil and the summary counts it. The advice names the flag for a link,
// and the stream form for a named pipe being sent.
func TestReporterSkips(t *testing.T) {
	link := transfer.Item{Op: transfer.Upload, Path: "/src/l", Object: object.Ref{Bucket: "b", Key: "p/"}, Size: -1,
		Skip: &localfs.SkipError{Path: "/src/l", Kind: localfs.SkipLink, Target: "a"}}
	pipe := transfer.Item{Op: transfer.Upload, Path: "/src/p", Object: object.Ref{Bucket: "b", Key: "p/"}, Size: -1,
		Skip: &localfs.SkipError{Path: "/src/p", Kind: localfs.SkipSpecial, Mode: fs.ModeNamedPipe}}
	for _, tt := range []struct {
		name           string
		json, quiet    bool
		stdout, stderr []string // substrings, in order, of each stream
	}{
		{"text", false, false,
			[]string{"skip: /src/l: symbolic link to a, not followed (--no-follow-symlinks)\n",
				"skip: /src/p: named pipe (FIFO), not a regular file; not read (to send what a pipe carries: haul cp - s3://bucket/key < PIPE)\n"},
			[]string{"summary: 0 done, 0 failed, 0 not done, 2 skipped, "}},
		{"quiet", false, true, nil, nil},
		{"json", true, false,
			[]string{`{"event":"skipped","op":"upload","src":"/src/l","message":"symbolic link to a, not followed (--no-follow-symlinks)"}`,
				`{"event":"skipped","op":"upload","src":"/src/p",`,
				`{"event":"summary",`, `"done":0,"failed":0,"not_done":0,"skipped":2}`},
			nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			a := &app{stdout: &stdout, stderr: &stderr, json: tt.json, quiet: tt.quiet}
			r := a.newReporter(false, false)
			r.walks = true
			for _, it := range []transfer.Item{link, pipe} {
				r.Observe(transfer.Event{Kind: transfer.Ignored, Item: it, Err: it.Skip})
			}
			if err := r.finish(transfer.Summary{Ignored: 2}, nil); err != nil {
				t.Errorf("finish: %v, want nil: a skip fails nothing", err)
			}
			for _, c := range []struct {
				name string
				got  string
				want []string
			}{{"stdout", stdout.String(), tt.stdout}, {"stderr", stderr.String(), tt.stderr}} {
				rest := c.got
				for _, w := range c.want {
					i := strings.Index(rest, w)
					if i < 0 {
						t.Fatalf("%s lacks %q (in order):\n%s", c.name, w, c.got)
					}
					rest = rest[i+len(w):]
				}
				if len(c.want) == 0 && c.got != "" {
					t.Errorf("%s: %q, want nothing", c.name, c.got)
				}
			}
		})
	}
}
