package e2e

import (
	"bytes"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/haul-s3/haul/internal/s3test"
)

// serverTags reads an object's tags with the SDK, apart from haul.
func serverTags(t *testing.T, srv *s3test.Server, bucket, key string) map[string]string {
	t.Helper()
	out, err := srv.Client(t).GetObjectTagging(t.Context(), &s3.GetObjectTaggingInput{Bucket: &bucket, Key: &key})
	if err != nil {
		t.Fatalf("GetObjectTagging %s: %v", key, err)
	}
	tags := map[string]string{}
	for _, tag := range out.TagSet {
		tags[*tag.Key] = *tag.Value
	}
	return tags
}

// statTags is what haul stat --json says of an object's tags.
func statTags(t *testing.T, srv *s3test.Server, url string) (map[string]string, string) {
	t.Helper()
	r := must(t, srv, "--json", "stat", url)
	var st struct {
		Tags       map[string]string `json:"tags"`
		TagsUnread string            `json:"tags_unread"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("stat --json: %v\n%s", err, r.stdout)
	}
	return st.Tags, st.TagsUnread
}

// Tags given with --tags go with every kind of upload (one PutObject, a multipart upload,
// a stream from stdin, a sync), keys and values with spaces and + / = @ : _ . - arriving as given,
// and non-ASCII letters where the server takes them (not MinIO); stat shows them. A copy on one server keeps the source's tags, in one
// CopyObject (the server copies them) and in a multipart copy (haul reads them, as
// x-amz-tagging-count says there are some, and creates the upload with them), and --tags
// replaces them. versitygw, MinIO and moto all keep object tags.
func TestTagsOnUploadsAndCopies(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		b := srv.NewBucket(t)
		dir := t.TempDir()
		small, big := filepath.Join(dir, "small"), filepath.Join(dir, "big")
		randomFile(t, small, 1000)
		data := randomFile(t, big, 12<<20+7)
		given := map[string]string{"team": "blue sky", "path": "a/b+c=d", "at": "x@y:z_1.0-2", "empty": ""}
		tagFlags := []string{"--tags", "team=blue sky", "--tags", "path=a/b+c=d", "--tags", "at=x@y:z_1.0-2", "--tags", "empty="}
		for _, f := range []string{small, big} {
			must(t, srv, append(append([]string{"cp", f, "s3://" + b + "/src/"}, tagFlags...), copyFlags...)...)
		}
		r := haul(t, srv, bytes.NewReader(data), append([]string{"cp", "-", "s3://" + b + "/src/stream", "--tags", "from=stdin"}, copyFlags...)...)
		if r.code != 0 {
			t.Fatalf("cp - with --tags: exit %d\n%s", r.code, r.stderr)
		}
		must(t, srv, "sync", dir, "s3://"+b+"/synced/", "--tags", "by=sync")
		for key, want := range map[string]map[string]string{"src/small": given, "src/big": given, "src/stream": {"from": "stdin"}, "synced/small": {"by": "sync"}} {
			if got := serverTags(t, srv, b, key); !maps.Equal(got, want) {
				t.Errorf("%s: the server holds tags %v, want %v", key, got, want)
			}
			if got, unread := statTags(t, srv, "s3://"+b+"/"+key); !maps.Equal(got, want) || unread != "" {
				t.Errorf("%s: stat --json says tags %v (unread %q), want %v", key, got, unread, want)
			}
		}
		// S3 allows any Unicode letter in a tag; MinIO only ASCII ones, and haul passes on its
		// refusal with a sentence naming --tags.
		r = haul(t, srv, nil, "cp", small, "s3://"+b+"/src/unicode", "--tags", "name=Ünïcode")
		switch {
		case srv.Kind == "minio":
			if r.code != 1 || !strings.Contains(r.stderr, "InvalidTag") || !strings.Contains(r.stderr, "--tags") {
				t.Errorf("a non-ASCII tag on MinIO: exit %d, want 1 with InvalidTag and a sentence naming --tags:\n%s", r.code, r.stderr)
			}
		case r.code != 0:
			t.Errorf("a non-ASCII tag: exit %d\n%s", r.code, r.stderr)
		default:
			if got := serverTags(t, srv, b, "src/unicode"); got["name"] != "Ünïcode" {
				t.Errorf("a non-ASCII tag: the server holds %v", got)
			}
		}
		text := must(t, srv, "stat", "s3://"+b+"/src/small").stdout
		for _, line := range []string{"Tag team:", "blue sky", "Tag path:", "a/b+c=d"} {
			if !strings.Contains(text, line) {
				t.Errorf("stat printed no %q:\n%s", line, text)
			}
		}

		for _, name := range []string{"small", "big"} {
			must(t, srv, readACL(srv, "cp", "s3://"+b+"/src/"+name, "s3://"+b+"/copy/"+name)...)
			if got := serverTags(t, srv, b, "copy/"+name); !maps.Equal(got, given) {
				t.Errorf("copy of %s: tags %v, want the source's %v", name, got, given)
			}
			must(t, srv, readACL(srv, "cp", "s3://"+b+"/src/"+name, "s3://"+b+"/retagged/"+name, "--tags", "team=red")...)
			if got := serverTags(t, srv, b, "retagged/"+name); !maps.Equal(got, map[string]string{"team": "red"}) {
				t.Errorf("copy of %s with --tags team=red: tags %v", name, got)
			}
		}
	})
}

// A copy between servers carries the source's tags (HEAD says how many; GetObjectTagging
// reads them) into its PutObject or multipart upload, and --tags replaces them.
func TestTagsCopiedBetweenServers(t *testing.T) {
	forEachServerPair(t, func(t *testing.T, from, to *s3test.Server) {
		a, b := from.NewBucket(t), to.NewBucket(t)
		dir := t.TempDir()
		randomFile(t, filepath.Join(dir, "p", "small"), 1000)
		randomFile(t, filepath.Join(dir, "p", "big"), 12<<20+7)
		must(t, from, append([]string{"cp", "-r", filepath.Join(dir, "p"), "s3://" + a + "/p/", "--tags", "team=blue"}, copyFlags...)...)
		config := writeSourceProfile(t, from)
		for _, tc := range []struct {
			prefix string
			flags  []string
			want   map[string]string
		}{
			{"kept/", nil, map[string]string{"team": "blue"}},
			{"replaced/", []string{"--tags", "team=red"}, map[string]string{"team": "red"}},
		} {
			r := haulEnv(t, to, []string{"AWS_CONFIG_FILE=" + config}, append(append([]string{"cp", "-r", "s3://" + a + "/p/", "s3://" + b + "/" + tc.prefix,
				"--source-endpoint-url", from.Endpoint, "--source-profile", "src"}, tc.flags...), copyFlags...)...)
			if r.code != 0 {
				t.Fatalf("cp %v: exit %d\n%s", tc.flags, r.code, r.stderr)
			}
			for _, name := range []string{"small", "big"} {
				if got := serverTags(t, to, b, tc.prefix+name); !maps.Equal(got, tc.want) {
					t.Errorf("%s%s: tags %v, want %v", tc.prefix, name, got, tc.want)
				}
			}
		}
	})
}

// --tags that S3 would refuse are a usage error (exit 2) before any request.
func TestTagsUsage(t *testing.T) {
	srv := s3test.Shared(t, s3test.Kinds()[0])
	f := filepath.Join(t.TempDir(), "f")
	randomFile(t, f, 10)
	many := []string{}
	for i := range 11 {
		many = append(many, "--tags", "k"+strings.Repeat("x", i)+"=v")
	}
	for _, args := range [][]string{
		many,
		{"--tags", "novalue"},
		{"--tags", strings.Repeat("k", 129) + "=v"},
		{"--tags", "k=" + strings.Repeat("v", 257)},
		{"--tags", "aws:name=v"},
		{"--tags", "a=1", "--tags", "a=2"},
		{"--tags", "k=semi;colon"},
	} {
		r := haul(t, srv, nil, append([]string{"cp", f, "s3://no-such-bucket-for-usage/k"}, args...)...)
		if r.code != 2 || !strings.Contains(r.stderr, "--tags") {
			t.Errorf("cp %.60q: exit %d, want 2 naming --tags:\n%s", args, r.code, r.stderr)
		}
	}
}

// writeSourceProfile writes a shared config file with a profile "src" holding from's
// credentials and region, and returns its path (for AWS_CONFIG_FILE).
func writeSourceProfile(t *testing.T, from *s3test.Server) string {
	t.Helper()
	config := filepath.Join(t.TempDir(), "config")
	err := os.WriteFile(config, []byte("[profile src]\naws_access_key_id = "+from.AccessKey+"\naws_secret_access_key = "+from.SecretKey+
		"\nregion = "+from.Region+"\n"), 0o600)
	if err != nil {
		t.Fatal(err)
	}
	return config
}
