package cli

import (
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/haul-s3/haul/object"
)

// --tags is checked against S3's rules before any request: a tag S3 would refuse is a
// usage error naming the flag.
func TestParseTags(t *testing.T) {
	long := func(n int) string { return strings.Repeat("é", n) } // characters, not bytes
	eleven := make([]string, 11)
	for i := range eleven {
		eleven[i] = fmt.Sprintf("k%d=v", i)
	}
	for _, tc := range []struct {
		name    string
		pairs   []string
		want    map[string]string
		wantErr string
	}{
		{"none", nil, nil, ""},
		{"one", []string{"team=blue"}, map[string]string{"team": "blue"}, ""},
		{"empty value and '=' in a value", []string{"a=", "b=c=d"}, map[string]string{"a": "", "b": "c=d"}, ""},
		{"allowed characters", []string{"k k+-=._:/@=Ünï 9+-=._:/@"}, map[string]string{"k k+-": "._:/@=Ünï 9+-=._:/@"}, ""},
		{"ten", eleven[:10], map[string]string{"k0": "v", "k1": "v", "k2": "v", "k3": "v", "k4": "v", "k5": "v", "k6": "v", "k7": "v", "k8": "v", "k9": "v"}, ""},
		{"eleven", eleven, nil, "at most 10 tags"},
		{"no '='", []string{"team"}, nil, "key=value"},
		{"empty key", []string{"=v"}, nil, "key=value"},
		{"key of 128", []string{long(128) + "=v"}, map[string]string{long(128): "v"}, ""},
		{"key of 129", []string{long(129) + "=v"}, nil, "at most 128"},
		{"value of 256", []string{"k=" + long(256)}, map[string]string{"k": long(256)}, ""},
		{"value of 257", []string{"k=" + long(257)}, nil, "at most 256"},
		{"reserved prefix", []string{"AWS:x=v"}, nil, "reserved"},
		{"a key twice", []string{"a=1", "a=2"}, nil, "given twice"},
		{"a character S3 refuses", []string{"a=b;c"}, nil, "only letters"},
		{"a control character", []string{"a=b\tc"}, nil, "only letters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := parseTags(tc.pairs)
			if tc.wantErr != "" {
				var ue *usageError
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "--tags") {
					t.Fatalf("error %v, want a usage error naming --tags and %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !maps.Equal(got, tc.want) || (got == nil) != (tc.want == nil) {
				t.Fatalf("%v, %v; want %v", got, err, tc.want)
			}
		})
	}
}

// stat prints the tags after the metadata, and a line saying why they could not be read
// when they could not.
func TestStatTextTags(t *testing.T) {
	j := &statJSON{URL: "s3://b/k", Tags: map[string]string{"team": "blue", "env": "prod"}}
	text := statText(j)
	if !strings.Contains(text, "Tag env:  prod\nTag team: blue") {
		t.Errorf("stat text:\n%s", text)
	}
	j = &statJSON{URL: "s3://b/k", TagsUnread: tagsUnread(fmt.Errorf("%w: GetObjectTagging answered NotImplemented", object.ErrUnreadable))}
	if text := statText(j); !strings.Contains(text, "Tags: not read: this server does not keep object tags, or these credentials may not read them (GetObjectTagging answered NotImplemented)") {
		t.Errorf("stat text:\n%s", text)
	}
}
