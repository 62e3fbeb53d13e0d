package s3store

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/haul-s3/haul/object"
)

// headerRecorder is a stand-in S3 server that answers every request with an empty success
// and keeps the headers and query of each.
type headerRecorder struct {
	mu   sync.Mutex
	reqs []*http.Request
}

func (h *headerRecorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h.mu.Lock()
	h.reqs = append(h.reqs, r.Clone(context.Background()))
	h.mu.Unlock()
	_, _ = io.Copy(io.Discard, r.Body)
	switch {
	case r.Method == http.MethodGet && r.URL.Query().Get("list-type") == "2":
		w.Header().Set("Content-Type", "application/xml")
		_, _ = io.WriteString(w, `<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>`)
	case r.Method == http.MethodGet:
		w.Header().Set("Content-Length", "5")
		_, _ = io.WriteString(w, "hello")
	default:
		w.Header().Set("ETag", `"5d41402abc4b2a76b9719d911017c592"`)
	}
}

// sendSome sends a PUT, a GET, a listing and a HEAD through s.
func sendSome(t *testing.T, s *Store) {
	t.Helper()
	ctx := context.Background()
	ref := object.Ref{Bucket: "public", Key: "k"}
	if _, err := s.PutObject(ctx, ref, strings.NewReader("hello"), 5, &object.Options{}, object.Checksum{}); err != nil {
		t.Fatal(err)
	}
	body, err := s.GetObject(ctx, ref, 0, -1, "")
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, body)
	_ = body.Close()
	if err := s.List(ctx, "public", "", func(object.Info) error { return nil }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.BucketExists(ctx, "public"); err != nil {
		t.Fatal(err)
	}
}

// An anonymous store signs nothing, even with keys and a session token in the environment
// (which a signed store, the control, does send).
func TestAnonymousStoreSendsNoCredentials(t *testing.T) {
	for _, anonymous := range []bool{false, true} {
		rec := &headerRecorder{}
		srv := httptest.NewServer(rec)
		t.Setenv("AWS_SESSION_TOKEN", "env-token")
		s := testStore(t, Config{Endpoint: srv.URL, Anonymous: anonymous})
		sendSome(t, s)
		srv.Close()
		if len(rec.reqs) < 4 {
			t.Fatalf("anonymous %v: the server saw %d requests, want 4", anonymous, len(rec.reqs))
		}
		for _, r := range rec.reqs {
			signed := map[string]string{
				"Authorization":        r.Header.Get("Authorization"),
				"X-Amz-Security-Token": r.Header.Get("X-Amz-Security-Token"),
				"X-Amz-Signature":      r.URL.Query().Get("X-Amz-Signature"),
				"X-Amz-Credential":     r.URL.Query().Get("X-Amz-Credential"),
			}
			if !anonymous {
				if signed["Authorization"] == "" || signed["X-Amz-Security-Token"] != "env-token" {
					t.Errorf("signed store: %s %s was not signed with the environment's credentials", r.Method, r.URL)
				}
				continue
			}
			for h, v := range signed {
				if v != "" {
					t.Errorf("anonymous store: %s %s sent %s: %q", r.Method, r.URL, h, v)
				}
			}
		}
		if want := map[bool]string{true: "AnonymousCredentials", false: "EnvConfigCredentials"}[anonymous]; s.CredentialsFrom != want {
			t.Errorf("anonymous %v: CredentialsFrom %q, want %q", anonymous, s.CredentialsFrom, want)
		}
	}
}

// Anonymous with credentials given as well is a mistake of the caller, not a choice.
func TestAnonymousWithCredentialsIsRefused(t *testing.T) {
	for name, c := range map[string]Config{
		"keys":     {AccessKeyID: "a", SecretAccessKey: "s"},
		"token":    {SessionToken: "t"},
		"provider": {Credentials: aws.AnonymousCredentials{}},
	} {
		c.Anonymous, c.Endpoint, c.Region = true, "http://127.0.0.1:1", "us-east-1"
		if _, err := New(context.Background(), c); err == nil || !strings.Contains(err.Error(), "Anonymous") {
			t.Errorf("%s: %v, want an error naming Anonymous", name, err)
		}
	}
}
