// Package s3store is haul's only user of the AWS SDK. It builds an S3 client from the
// standard AWS configuration (environment, profiles, AWS_CA_BUNDLE, AWS_ENDPOINT_URL) and
// maps each S3 call the engine needs to a small method, and each failure to an *Error that
// says what went wrong and whether trying again can help.
//
// A Store is safe for concurrent use. It never retries on its own: the SDK's retryer is
// turned off so that the engine, which knows what a request's bytes are and how many
// requests are in flight, decides about every retry.
package s3store

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/logging"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// Config says how to reach the store. The zero value uses the standard AWS configuration.
type Config struct {
	Endpoint   string // custom endpoint URL; empty: AWS_ENDPOINT_URL, the profile, or AWS
	Region     string // empty: from the environment or profile, else "us-east-1"
	Profile    string // shared-config profile; empty: AWS_PROFILE or "default"
	Addressing string // "path", "virtual", or "" (the provider's; path for unknown custom endpoints)
	// Provider names the kind of server (see LookupProvider); "" recognises it from the
	// endpoint's host name where that is certain, else DetectProvider asks the server.
	Provider string
	// MaxConns bounds the idle connections kept open for reuse. 0 keeps as many as are in
	// use at once (up to 1,024), so the pool follows whatever concurrency the engine runs
	// with and no request has to open a fresh connection because the pool was too small.
	MaxConns int
	// AccessKeyID and SecretAccessKey (with SessionToken for temporary keys), when set,
	// sign every request instead of the standard chain (environment, profile, SSO, instance
	// role).
	AccessKeyID, SecretAccessKey, SessionToken string
	// Credentials, when set, provides the credentials instead (any provider of the AWS SDK,
	// such as one that assumes a role); it takes precedence over the keys above.
	Credentials aws.CredentialsProvider
	// Anonymous sends every request unsigned, with no credentials at all (for public
	// buckets): credentials in the environment or a profile
	// are not used (its region and endpoint still are). Giving keys or Credentials as well
	// is an error.
	Anonymous bool
	// Log, when set, is called once for every S3 request after it ends. It may be called
	// from many goroutines at once.
	Log func(Call)
}

// Call describes one S3 request for debug logging. It never holds credentials.
type Call struct {
	Op       string
	Bucket   string
	Key      string
	Part     int32
	Range    string // a ranged GetObject's range, "bytes=A-B" (A-: to the end); empty for none
	Status   int    // HTTP status, 0 when no response arrived
	Duration time.Duration
	Err      error
}

// Store performs S3 requests. Create it with New.
type Store struct {
	client *s3.Client
	log    func(Call)
	Region string // the region requests are signed for
	Custom bool   // a custom (non-AWS) endpoint is in use
	// Provider is the kind of server, once known ("" until DetectProvider asks).
	Provider    string
	providerHow string     // how it became known, for the request log
	providerMu  sync.Mutex // guards Provider and providerHow while DetectProvider asks
	// Endpoint is the endpoint URL requests go to ("" for AWS's own endpoints), and
	// EndpointFrom where it was set: "config" (Config.Endpoint), "AWS_ENDPOINT_URL_S3",
	// "AWS_ENDPOINT_URL", "profile" or "" for AWS. Messages name both.
	Endpoint, EndpointFrom string
	// CredentialsFrom names where the credentials came from, as the SDK says
	// ("EnvConfigCredentials", "SharedConfigCredentials: ~/.aws/credentials", ...;
	// "AnonymousCredentials" with Config.Anonymous).
	CredentialsFrom string
}

// New loads the AWS configuration and returns a Store.
func New(ctx context.Context, c Config) (*Store, error) {
	maxConns := c.MaxConns
	if maxConns <= 0 {
		maxConns = 1024
	}
	httpClient := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		tr.MaxIdleConns = maxConns
		tr.MaxIdleConnsPerHost = maxConns
		tr.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
		tr.ResponseHeaderTimeout = 0 // stalls are the engine's business
		tr.WriteBufferSize = 256 << 10
		tr.ReadBufferSize = 256 << 10
	})
	opts := []func(*config.LoadOptions) error{
		config.WithHTTPClient(httpClient),
		config.WithLogger(logging.Nop{}), // haul reports failures itself, in one line each
		config.WithRetryer(func() aws.Retryer { return aws.NopRetryer{} }),
		config.WithRequestChecksumCalculation(aws.RequestChecksumCalculationWhenRequired),
		config.WithResponseChecksumValidation(aws.ResponseChecksumValidationWhenRequired),
	}
	if c.Profile != "" {
		opts = append(opts, config.WithSharedConfigProfile(c.Profile))
	}
	if c.Region != "" {
		opts = append(opts, config.WithRegion(c.Region))
	}
	switch {
	case c.Anonymous:
		if c.Credentials != nil || c.AccessKeyID != "" || c.SecretAccessKey != "" || c.SessionToken != "" {
			return nil, errors.New("credentials: Anonymous sends no credentials; give no keys or Credentials with it")
		}
		opts = append(opts, config.WithCredentialsProvider(aws.AnonymousCredentials{}))
	case c.Credentials != nil:
		opts = append(opts, config.WithCredentialsProvider(c.Credentials))
	case c.AccessKeyID != "" || c.SecretAccessKey != "":
		if c.AccessKeyID == "" || c.SecretAccessKey == "" {
			return nil, errors.New("credentials: give both AccessKeyID and SecretAccessKey")
		}
		opts = append(opts, config.WithCredentialsProvider(credentials.NewStaticCredentialsProvider(c.AccessKeyID, c.SecretAccessKey, c.SessionToken)))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("load AWS configuration: %w", err)
	}
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	// Find the credentials now, so that having none is one clear configuration error
	// rather than the same failure of every request in the run.
	credsFrom := "AnonymousCredentials" // the SDK's name; its Retrieve always fails
	if !c.Anonymous {
		creds, err := cfg.Credentials.Retrieve(ctx)
		if err != nil {
			return nil, &CredentialsError{Err: err}
		}
		credsFrom = creds.Source
	}
	endpoint, endpointFrom := endpointOf(c.Endpoint, cfg.BaseEndpoint)
	if endpoint != "" {
		cfg.BaseEndpoint = aws.String(endpoint)
	}
	custom := cfg.BaseEndpoint != nil && *cfg.BaseEndpoint != ""
	provider, how := c.Provider, "Config.Provider"
	if provider == "" {
		provider, how = providerByEndpoint(aws.ToString(cfg.BaseEndpoint)), "the endpoint's host name"
	}
	if _, ok := providers[provider]; !ok && provider != "" {
		return nil, fmt.Errorf("provider %q: use one of %s", provider, strings.Join(ProviderNames(), ", "))
	}
	var pathStyle bool
	switch c.Addressing {
	case "path":
		pathStyle = true
	case "virtual":
	case "":
		pathStyle = custom
		if p, ok := providers[provider]; ok {
			pathStyle = p.Addressing == "path"
		}
	default:
		return nil, fmt.Errorf("addressing %q: use path or virtual", c.Addressing)
	}
	client := s3.NewFromConfig(cfg, func(o *s3.Options) {
		// Set here, not only in cfg: the S3 client lets AWS_ENDPOINT_URL_S3 override
		// cfg.BaseEndpoint, even one given explicitly (--endpoint-url).
		o.BaseEndpoint = cfg.BaseEndpoint
		o.UsePathStyle = pathStyle
		o.HTTPClient = fileSender{o.HTTPClient}
		if c.Log != nil {
			o.APIOptions = append(o.APIOptions, recordStatus)
		}
	})
	st := &Store{client: client, log: c.Log, Region: cfg.Region, Custom: custom, Provider: provider,
		Endpoint: endpoint, EndpointFrom: endpointFrom, CredentialsFrom: credsFrom}
	if provider != "" {
		st.providerHow = how
	}
	return st, nil
}

// CredentialsError is a configuration in which no credentials were found or could be
// loaded: every request would fail, so New fails instead.
type CredentialsError struct{ Err error }

func (e *CredentialsError) Error() string {
	return "no usable AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or name a profile (" + rootCause(e.Err) + ")"
}

// Unwrap returns the SDK's error.
func (e *CredentialsError) Unwrap() error { return e.Err }

// endpointOf returns the endpoint URL requests go to and where it was set: given, else the
// S3-specific environment variable, else the general one, else the profile's endpoint_url
// (which the SDK loaded into base when no variable was set). The SDK gives an S3-specific
// variable precedence over a general one; so does this.
func endpointOf(given string, base *string) (url, from string) {
	ignoreEnv := strings.EqualFold(os.Getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"), "true")
	switch {
	case given != "":
		return given, "config"
	case ignoreEnv:
		return "", ""
	case os.Getenv("AWS_ENDPOINT_URL_S3") != "":
		return os.Getenv("AWS_ENDPOINT_URL_S3"), "AWS_ENDPOINT_URL_S3"
	case os.Getenv("AWS_ENDPOINT_URL") != "":
		return os.Getenv("AWS_ENDPOINT_URL"), "AWS_ENDPOINT_URL"
	case aws.ToString(base) != "":
		return aws.ToString(base), "profile"
	}
	return "", ""
}

// observe runs one request, logs it when logging is on, and maps its error.
func (s *Store) observe(ctx context.Context, op, bucket, key string, part int32, uploadID string, do func(context.Context) error) error {
	return s.observeCall(ctx, Call{Op: op, Bucket: bucket, Key: key, Part: part}, uploadID, do)
}

// observeCall is observe of the request c describes (its Op, Bucket, Key, Part, Range).
func (s *Store) observeCall(ctx context.Context, c Call, uploadID string, do func(context.Context) error) error {
	var err error
	if s.log == nil {
		err = do(ctx)
	} else {
		status := new(int)
		start := time.Now()
		err = do(context.WithValue(ctx, statusKey{}, status))
		c.Status, c.Duration, c.Err = *status, time.Since(start), err
		s.log(c)
	}
	if err == nil {
		return nil
	}
	err = wrap(err, c.Op, c.Bucket, c.Key, uploadID, c.Part)
	var e *Error
	if errors.As(err, &e) && strings.EqualFold(e.Region, s.Region) {
		e.Region = "" // the region we signed for: not the cause (MinIO names it on every error)
	}
	return err
}

type statusKey struct{}

// recordStatus stores the HTTP status of each response where observe asked for it.
func recordStatus(stack *middleware.Stack) error {
	return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("haulRecordStatus",
		func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
			out, md, err := next.HandleDeserialize(ctx, in)
			if resp, ok := out.RawResponse.(*smithyhttp.Response); ok {
				if p, ok := ctx.Value(statusKey{}).(*int); ok {
					*p = resp.StatusCode
				}
			}
			return out, md, err
		}), middleware.After)
}
