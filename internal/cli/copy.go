package cli

import (
	"context"
	"path"
	"strings"

	"github.com/spf13/pflag"

	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/s3store"
	"github.com/haul-s3/haul/transfer"
)

// copyFlags are the flags of a copy from S3 to S3 (cp and mv): where the source is, and
// whether the copy keeps the source's metadata.
type copyFlags struct {
	srcEndpoint, srcProfile, srcRegion string
	directive                          string // --metadata-directive: "", COPY or REPLACE
	noCopyACL                          bool   // --no-copy-acl: copies do not read their source's grants
}

func (c *copyFlags) register(fl *pflag.FlagSet) {
	fl.StringVar(&c.srcEndpoint, "source-endpoint-url", "", "S3 to S3: endpoint URL of the source (default: the destination's, --endpoint-url); another endpoint or profile than the destination's streams the bytes through haul instead of copying on the server")
	fl.StringVar(&c.srcProfile, "source-profile", "", "S3 to S3: shared-config profile of the source (default: the destination's, --profile)")
	fl.StringVar(&c.srcRegion, "source-region", "", "S3 to S3: region of the source (default: the destination's, --region)")
	fl.StringVar(&c.directive, "metadata-directive", "", "S3 to S3: COPY keeps the source's metadata, content type and cache control; REPLACE gives the copy only those given with --metadata, --content-type and --cache-control (default: REPLACE when one of those is given, else COPY)")
	fl.BoolVar(&c.noCopyACL, "no-copy-acl", false, "S3 to S3: do not read each source object's ACL (one GetObjectAcl per object, sent beside its HEAD) to give its grants to the copy; the copy gets --acl, else the destination bucket's default (--acl alone also skips the read)")
}

// given reports whether any flag of a copy from S3 to S3 was given.
func (c *copyFlags) given() bool {
	return c.srcEndpoint != "" || c.srcProfile != "" || c.srcRegion != "" || c.directive != "" || c.noCopyACL
}

// replaceMetadata checks --metadata-directive against the metadata flags and reports
// whether the copy replaces the source's metadata.
func (f *cpFlags) replaceMetadata() (bool, error) {
	changed := func(name string) bool { return f.flags != nil && f.flags.Changed(name) }
	metaGiven := changed("metadata") || changed("content-type") || changed("cache-control")
	switch strings.ToUpper(f.copy.directive) {
	case "":
		return metaGiven, nil
	case "REPLACE":
		return true, nil
	case "COPY":
		if metaGiven {
			return false, usagef("--metadata, --content-type and --cache-control replace the source's metadata: give them with --metadata-directive REPLACE, or without --metadata-directive")
		}
		return false, nil
	}
	return false, usagef("--metadata-directive %q: use COPY or REPLACE", f.copy.directive)
}

// planCopy checks a copy from S3 to S3 and returns the job and the destination bucket.
func (a *app) planCopy(f *cpFlags, opts *transfer.Options, src, dst string) (plan, string, error) {
	su, err := object.ParseURL(src)
	if err != nil {
		return nil, "", &usageError{err}
	}
	du, err := object.ParseURL(dst)
	if err != nil {
		return nil, "", &usageError{err}
	}
	if opts.ReplaceMetadata, err = f.replaceMetadata(); err != nil {
		return nil, "", err
	}
	opts.IgnoreGrants = f.copy.noCopyACL
	if e := f.copy.srcEndpoint; e != "" && !strings.HasPrefix(e, "http://") && !strings.HasPrefix(e, "https://") {
		return nil, "", usagef("--source-endpoint-url %q: give a URL starting with http:// or https://", e)
	}
	if f.recursive {
		sref := object.Ref{Bucket: su.Bucket, Key: asPrefix(su.Key)}
		dref := object.Ref{Bucket: du.Bucket, Key: asPrefix(du.Key)}
		if inside(sref, dref) && f.copy.srcEndpoint == "" && f.copy.srcProfile == "" {
			return nil, "", usagef("%s is under %s: a copy into the prefix it copies would copy its own copies", dst, src)
		}
		if f.names != nil {
			return func(e *transfer.Engine) transfer.Producer { return e.ListedCopies(f.names, sref, dref, f.filter) }, du.Bucket, nil
		}
		return func(e *transfer.Engine) transfer.Producer { return e.CopyPrefixItems(sref, dref, f.filter) }, du.Bucket, nil
	}
	if su.IsDir() {
		return nil, "", usagef("%s names a prefix, not an object: use -r to copy everything under it", src)
	}
	key := du.Key
	if du.IsDir() {
		key += path.Base(su.Key)
	}
	if err := object.CheckKey(key); err != nil {
		return nil, "", &usageError{err}
	}
	sref, dref := object.Ref{Bucket: su.Bucket, Key: su.Key}, object.Ref{Bucket: du.Bucket, Key: key}
	return func(e *transfer.Engine) transfer.Producer { return e.ObjectCopyItem(sref, dref) }, du.Bucket, nil
}

// asPrefix returns key as a prefix: empty, or ending in "/".
func asPrefix(key string) string {
	if key != "" && !strings.HasSuffix(key, "/") {
		return key + "/"
	}
	return key
}

// inside reports whether prefix dst lies under prefix src (the same prefix is not: a copy
// onto itself is how metadata is replaced in place).
func inside(src, dst object.Ref) bool {
	return src.Bucket == dst.Bucket && dst.Key != src.Key && strings.HasPrefix(dst.Key, src.Key)
}

// sourceStore connects to the source of a copy from S3 to S3 when the source flags name
// another endpoint, profile or region than the destination's, with the destination's
// settings for those not given. It returns nil when the source is reached as the
// destination is (same endpoint and profile: a region alone does not change who can
// read what), and the server copies.
func (a *app) sourceStore(ctx context.Context, f *cpFlags, dst *s3store.Store) (transfer.Store, error) {
	c := f.copy
	if c.srcEndpoint == "" && c.srcProfile == "" && c.srcRegion == "" {
		return nil, nil
	}
	cfg := s3store.Config{Endpoint: or(c.srcEndpoint, a.endpoint), Region: or(c.srcRegion, a.region), Profile: or(c.srcProfile, a.profile),
		Addressing: a.addressing, MaxConns: f.concurrency, Anonymous: a.noSign}
	if c.srcEndpoint == "" {
		cfg.Provider = a.provider // the same server
	}
	if a.debug || a.countCalls {
		cfg.Log = a.logCall
	}
	s, err := s3store.New(ctx, cfg)
	if err != nil {
		return nil, &usageError{err}
	}
	if s.Endpoint == dst.Endpoint && cfg.Profile == a.profile {
		return nil, nil
	}
	return s, nil
}

func or(s, otherwise string) string {
	if s != "" {
		return s
	}
	return otherwise
}
