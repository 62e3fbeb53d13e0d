package cli

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/spf13/cobra"

	"github.com/haul-s3/haul/internal/bytesize"
	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/s3store"
)

// app holds the command line's streams and global flags.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	args           []string // the command line, recorded in resume journals

	endpoint, region, profile, addressing, provider string
	debug, quiet, json                              bool
	noSign                                          bool // --no-sign-request: anonymous, unsigned requests

	errMu sync.Mutex // serialises debug lines written from many goroutines

	st *s3store.Store // the store connected to, once it is: messages name its endpoint

	countCalls bool           // count the requests sent (sync's summary gives them)
	calls      map[string]int // requests sent, by S3 operation; guarded by errMu
}

// callCounts returns a copy of the requests sent so far, by S3 operation.
func (a *app) callCounts() map[string]int {
	a.errMu.Lock()
	defer a.errMu.Unlock()
	m := make(map[string]int, len(a.calls))
	for k, v := range a.calls {
		m[k] = v
	}
	return m
}

func (a *app) globalFlags(root *cobra.Command) {
	f := root.PersistentFlags()
	f.StringVar(&a.endpoint, "endpoint-url", "", "S3 endpoint URL (default: AWS_ENDPOINT_URL, the profile's endpoint_url, or AWS)")
	f.StringVar(&a.region, "region", "", "region to sign requests for, and of buckets created (default: AWS_REGION, the profile, or us-east-1)")
	f.StringVar(&a.profile, "profile", "", "shared-config profile to use (default: AWS_PROFILE or default)")
	f.StringVar(&a.addressing, "addressing", "", "bucket addressing: path or virtual (default: the provider's; path for unknown endpoints)")
	f.StringVar(&a.provider, "provider", "", "kind of server, for its addressing and checksums: "+strings.Join(s3store.ProviderNames(), ", ")+" (default: recognised from the endpoint or the server's answers)")
	f.BoolVar(&a.noSign, "no-sign-request", false, "send requests unsigned, with no credentials (for public buckets); credentials in the environment or profile are not used")
	f.BoolVar(&a.debug, "debug", false, "log every S3 request (operation, bucket, key, part, status, duration) to stderr")
	f.BoolVarP(&a.quiet, "quiet", "q", false, "print only errors")
	f.BoolVar(&a.json, "json", false, "print one JSON event per line instead of text")
}

// store connects to S3 with the global flags. maxConns sizes the connection pool.
func (a *app) store(ctx context.Context, maxConns int) (*s3store.Store, error) {
	switch a.addressing {
	case "", "path", "virtual":
	default:
		return nil, usagef("--addressing %q: use path or virtual", a.addressing)
	}
	if a.endpoint != "" && !strings.HasPrefix(a.endpoint, "http://") && !strings.HasPrefix(a.endpoint, "https://") {
		return nil, usagef("--endpoint-url %q: give a URL starting with http:// or https://", a.endpoint)
	}
	if _, ok := s3store.LookupProvider(a.provider); a.provider != "" && !ok {
		return nil, usagef("--provider %q: use one of %s", a.provider, strings.Join(s3store.ProviderNames(), ", "))
	}
	cfg := s3store.Config{Endpoint: a.endpoint, Region: a.region, Profile: a.profile, Addressing: a.addressing, Provider: a.provider, MaxConns: maxConns, Anonymous: a.noSign}
	if a.debug || a.countCalls {
		cfg.Log = a.logCall
	}
	s, err := s3store.New(ctx, cfg)
	if err != nil {
		return nil, &usageError{err}
	}
	a.st = s
	return s, nil
}

// connect parses an s3:// argument (a bad one is a usage error) and connects to the store
// with a pool of maxConns connections.
func (a *app) connect(ctx context.Context, arg string, maxConns int) (object.Ref, *s3store.Store, error) {
	u, err := object.ParseURL(arg)
	if err != nil {
		return object.Ref{}, nil, &usageError{err}
	}
	store, err := a.store(ctx, maxConns)
	return u, store, err
}

// bucketArg parses an s3://bucket argument of a command that acts on a whole bucket.
func bucketArg(arg, what string) (string, error) {
	u, err := object.ParseURL(arg)
	if err != nil {
		return "", &usageError{err}
	}
	if u.Key != "" {
		return "", usagef("%s: give only the bucket, s3://%s", what, u.Bucket)
	}
	return u.Bucket, nil
}

// logCall counts every request sent (calls) and, with --debug, logs it.
func (a *app) logCall(c s3store.Call) {
	a.errMu.Lock()
	if a.calls == nil {
		a.calls = map[string]int{}
	}
	a.calls[c.Op]++
	a.errMu.Unlock()
	if !a.debug {
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "debug: %s", c.Op)
	if c.Bucket != "" {
		fmt.Fprintf(&b, " bucket=%s", c.Bucket)
	}
	if c.Key != "" {
		fmt.Fprintf(&b, " key=%q", c.Key)
	}
	if c.Range != "" {
		fmt.Fprintf(&b, " range=%s", strings.TrimPrefix(c.Range, "bytes="))
	}
	if c.Part > 0 {
		fmt.Fprintf(&b, " part=%d", c.Part)
	}
	fmt.Fprintf(&b, " status=%d duration=%s", c.Status, c.Duration.Round(100_000))
	if c.Err != nil {
		fmt.Fprintf(&b, " error=%q", c.Err.Error())
	}
	a.errMu.Lock()
	defer a.errMu.Unlock()
	fmt.Fprintln(a.stderr, b.String())
}

// sizeFlag is a pflag.Value for byte sizes such as 64MiB.
type sizeFlag struct{ v *int64 }

func (s sizeFlag) String() string {
	if s.v == nil || *s.v == 0 {
		return ""
	}
	return bytesize.Format(*s.v)
}

func (s sizeFlag) Set(v string) error {
	n, err := bytesize.Parse(v)
	if err != nil {
		return err
	}
	*s.v = n
	return nil
}

func (s sizeFlag) Type() string { return "size" }
