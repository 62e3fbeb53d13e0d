package s3store

import (
	"context"
	"net/url"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/haul-s3/haul/object"
)

// Provider is what haul knows of one kind of S3 server and acts on: how buckets are
// addressed and which request checksums it accepts. Everything that sends a body (single
// PUT, part, stream) takes its checksum from the one choice made from this.
type Provider struct {
	Name       string
	Addressing string   // "path" or "virtual"
	Checksums  []string // object.Checksum* values it accepts on PutObject and UploadPart
	Default    string   // the checksum haul sends unless told otherwise
	// FullObject says the server keeps a full-object CRC of a multipart upload created
	// with checksum type FULL_OBJECT, checks the one given at completion, and reports it
	// on HEAD. moto accepts the type but reports a value that is not the object's CRC.
	FullObject bool
	// Tested says the entry was checked by haul's end-to-end suite against a real server,
	// rather than taken from the provider's documentation.
	Tested bool
}

var allChecksums = []string{object.ChecksumCRC32C, object.ChecksumCRC32, object.ChecksumCRC64NVME,
	object.ChecksumSHA256, object.ChecksumSHA1, object.ChecksumMD5}

// providers: the servers haul has a profile for. Content-MD5 is the one request checksum
// every S3-compatible server verifies, so it is the default wherever the x-amz-checksum-*
// headers are not known to be checked.
var providers = map[string]Provider{
	"aws":       {Name: "aws", Addressing: "virtual", Checksums: allChecksums, Default: object.ChecksumCRC32C, FullObject: true},
	"minio":     {Name: "minio", Addressing: "path", Checksums: allChecksums, Default: object.ChecksumCRC32C, FullObject: true, Tested: true},
	"versitygw": {Name: "versitygw", Addressing: "path", Checksums: allChecksums, Default: object.ChecksumCRC32C, FullObject: true, Tested: true},
	// RGW checks x-amz-checksum-* from Squid (19.2) on; older releases do not.
	"ceph": {Name: "ceph", Addressing: "path", Checksums: allChecksums, Default: object.ChecksumMD5},
	// The GCS and OSS XML APIs check Content-MD5 only, and want virtual-hosted buckets.
	"gcs": {Name: "gcs", Addressing: "virtual", Checksums: []string{object.ChecksumMD5}, Default: object.ChecksumMD5},
	"oss": {Name: "oss", Addressing: "virtual", Checksums: []string{object.ChecksumMD5}, Default: object.ChecksumMD5},
	// Anything else: path-style, every checksum allowed, Content-MD5 by default.
	"other": {Name: "other", Addressing: "path", Checksums: allChecksums, Default: object.ChecksumMD5},
}

// LookupProvider returns the profile of a provider by name.
func LookupProvider(name string) (Provider, bool) {
	p, ok := providers[name]
	return p, ok
}

// ProviderNames lists the provider names, sorted.
func ProviderNames() []string {
	names := make([]string, 0, len(providers))
	for n := range providers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Accepts reports whether the provider takes checksum algorithm alg ("" is always fine).
func (p Provider) Accepts(alg string) bool {
	if alg == "" {
		return true
	}
	for _, a := range p.Checksums {
		if a == alg {
			return true
		}
	}
	return false
}

// providerByEndpoint recognises a provider from its endpoint's host name, where the name
// says it for certain; "" when it does not.
func providerByEndpoint(endpoint string) string {
	if endpoint == "" {
		return "aws"
	}
	u, err := url.Parse(endpoint)
	if err != nil {
		return ""
	}
	host := strings.ToLower(u.Hostname())
	switch {
	case host == "amazonaws.com" || strings.HasSuffix(host, ".amazonaws.com"):
		return "aws"
	case host == "storage.googleapis.com":
		return "gcs"
	case strings.HasSuffix(host, ".aliyuncs.com"):
		return "oss"
	}
	return ""
}

// providerByServer recognises a provider from the Server header of its answers.
func providerByServer(server string) string {
	s := strings.ToLower(server)
	switch {
	case s == "minio":
		return "minio"
	case s == "versitygw":
		return "versitygw"
	case s == "amazons3":
		return "aws"
	case strings.Contains(s, "ceph"):
		return "ceph"
	case s == "aliyunoss":
		return "oss"
	case s == "uploadserver":
		return "gcs"
	}
	return "other"
}

// DefaultChecksum returns the checksum algorithm uploads to bucket send unless told
// otherwise: the provider's default (see DetectProvider, which may ask the server once).
// It is the engine's ChecksumDefaulter.
func (s *Store) DefaultChecksum(ctx context.Context, bucket string) string {
	name, _ := s.DetectProvider(ctx, bucket)
	p, ok := providers[name]
	if !ok {
		return object.ChecksumMD5
	}
	return p.Default
}

// DetectProvider returns the provider the store was configured for or recognised by its
// endpoint, or else asks the server once (a HeadBucket on bucket, whatever its answer) and
// recognises it by its Server header; a server it does not know is "other".
func (s *Store) DetectProvider(ctx context.Context, bucket string) (name string, how string) {
	s.providerMu.Lock()
	defer s.providerMu.Unlock()
	if s.Provider != "" {
		return s.Provider, s.providerHow
	}
	var server string
	capture := func(stack *middleware.Stack) error {
		return stack.Deserialize.Add(middleware.DeserializeMiddlewareFunc("haulServerHeader",
			func(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (middleware.DeserializeOutput, middleware.Metadata, error) {
				out, md, err := next.HandleDeserialize(ctx, in)
				if resp, ok := out.RawResponse.(*smithyhttp.Response); ok {
					server = resp.Header.Get("Server")
				}
				return out, md, err
			}), middleware.After)
	}
	_ = s.observe(ctx, "HeadBucket", bucket, "", 0, "", func(ctx context.Context) error {
		_, err := s.client.HeadBucket(ctx, &s3.HeadBucketInput{Bucket: &bucket}, func(o *s3.Options) {
			o.APIOptions = append(o.APIOptions, capture)
		})
		return err
	})
	s.Provider, s.providerHow = providerByServer(server), "Server: "+server
	return s.Provider, s.providerHow
}
