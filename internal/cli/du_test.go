package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/haul-s3/haul/object"
)

// TestDuTally adds up listings in key order: each prefix's line after those inside it,
// only down to the depth asked, keys at a shallower level counted in their own prefix,
// and empty path segments ("a//b") taken as S3's delimiter takes them.
func TestDuTally(t *testing.T) {
	for _, tc := range []struct {
		name   string
		prefix string
		depth  int
		keys   []string
		want   []string // "prefix objects bytes", in the order printed, the total last
	}{
		{"total only", "p/", 0, []string{"p/a", "p/b/c"}, []string{"p/ 2 2"}},
		{"one level", "", 1, []string{"a", "b/c", "b/d/e", "c/f"}, []string{"b/ 2 2", "c/ 1 1", " 4 4"}},
		{"two levels", "", 2, []string{"b/c", "b/d/e", "b/d/f/g", "b/e/h"}, []string{"b/d/ 2 2", "b/e/ 1 1", "b/ 4 4", " 4 4"}},
		{"deeper than the keys", "x/", 5, []string{"x/a", "x/b/c"}, []string{"x/b/ 1 1", "x/ 2 2"}},
		{"neighbours by first letters", "", 1, []string{"d1-x", "d1/a", "d1/b", "d10/c"}, []string{"d1/ 2 2", "d10/ 1 1", " 4 4"}},
		{"empty segments", "", 2, []string{"a//b", "a/c"}, []string{"a// 1 1", "a/ 2 2", " 2 2"}},
		{"nothing", "p/", 1, nil, []string{"p/ 0 0"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			o := &output{json: true, stdout: &out, stderr: &out, mu: &sync.Mutex{}}
			tally := &duTally{out: o, bucket: "b", depth: tc.depth, open: []duCount{{prefix: tc.prefix}}}
			for _, k := range tc.keys {
				tally.add(object.Info{Key: k, Size: 1})
			}
			tally.close(1)
			tally.print(tally.open[0], " (total)")
			var got []string
			for _, ev := range strings.Split(strings.TrimSpace(out.String()), "\n") {
				got = append(got, duLine(t, ev))
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// duLine reads a du prefix event as "prefix objects bytes".
func duLine(t *testing.T, line string) string {
	t.Helper()
	var ev event
	if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.Event != "prefix" || ev.Objects == nil || ev.Bytes == nil {
		t.Fatalf("not a du prefix event: %q (%v)", line, err)
	}
	return fmt.Sprintf("%s %d %d", ev.Key, *ev.Objects, *ev.Bytes)
}
