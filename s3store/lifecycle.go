package s3store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// LifecycleRule summarises one rule of a bucket's lifecycle configuration for display. It
// is read-only: rules are changed with PutAbortIncompleteRule, which keeps the others as
// the server returned them.
type LifecycleRule struct {
	ID      string
	Enabled bool
	Prefix  string // the filter's prefix, or the rule's own (legacy) prefix; "" is every key
	// OtherFilter is true when the rule also filters by tags or object size.
	OtherFilter bool

	ExpirationDays           int32     // 0: none
	ExpirationDate           time.Time // zero: none
	NoncurrentExpirationDays int32     // 0: none
	AbortIncompleteDays      int32     // 0: none
	Transitions              []Transition
}

// Transition moves objects to StorageClass after Days or on Date.
type Transition struct {
	Days         int32
	Date         time.Time
	StorageClass string
}

// LifecycleRules returns the rules of bucket's lifecycle configuration; a bucket without
// one has none. A server that does not implement lifecycle configuration returns an error
// for which errors.Is(err, errors.ErrUnsupported) holds.
func (s *Store) LifecycleRules(ctx context.Context, bucket string) ([]LifecycleRule, error) {
	out, err := s.getLifecycle(ctx, bucket)
	if err != nil || out == nil {
		return nil, err
	}
	rules := make([]LifecycleRule, len(out.Rules))
	for i, r := range out.Rules {
		rules[i] = summarise(r)
	}
	return rules, nil
}

// PutAbortIncompleteRule installs a rule with this ID, enabled and for every key, that
// aborts incomplete multipart uploads days after they were started. It reads the bucket's
// lifecycle configuration first and writes it back with only the rule of this ID replaced
// (or added), so every other rule stays exactly as it was. It reports whether a rule with
// the ID was replaced. A server that does not implement lifecycle configuration, or that
// refuses the rule, returns an error for which errors.Is(err, errors.ErrUnsupported) holds.
//
// The read and the write are two requests: a change made by someone else in between is
// lost, as with any read-modify-write of S3 bucket configuration.
func (s *Store) PutAbortIncompleteRule(ctx context.Context, bucket, id string, days int32) (replaced bool, err error) {
	old, err := s.getLifecycle(ctx, bucket)
	if err != nil {
		return false, err
	}
	rule := types.LifecycleRule{
		ID:                             aws.String(id),
		Status:                         types.ExpirationStatusEnabled,
		Filter:                         &types.LifecycleRuleFilter{Prefix: aws.String("")},
		AbortIncompleteMultipartUpload: &types.AbortIncompleteMultipartUpload{DaysAfterInitiation: aws.Int32(days)},
	}
	in := &s3.PutBucketLifecycleConfigurationInput{Bucket: &bucket, LifecycleConfiguration: &types.BucketLifecycleConfiguration{}}
	var rules []types.LifecycleRule
	if old != nil {
		in.TransitionDefaultMinimumObjectSize = old.TransitionDefaultMinimumObjectSize
		for _, r := range old.Rules {
			if aws.ToString(r.ID) == id {
				replaced = true
				continue
			}
			if r.Filter == nil && r.Prefix != nil { //nolint:staticcheck // a legacy rule, kept as it is
				// Do not mix legacy rule prefixes with filters in one configuration.
				rule.Filter, rule.Prefix = nil, aws.String("") //nolint:staticcheck // to match the legacy rules
			}
			rules = append(rules, r)
		}
	}
	rules = append(rules, rule)
	in.LifecycleConfiguration.Rules = rules
	err = s.observe(ctx, "PutBucketLifecycleConfiguration", bucket, "", 0, "", func(ctx context.Context) error {
		_, err := s.client.PutBucketLifecycleConfiguration(ctx, in, withContentMD5)
		return err
	})
	return replaced, refused(err)
}

// withContentMD5 adds a Content-MD5 header beside the SDK's x-amz-checksum-crc32: S3 needs
// one of the two on a lifecycle PUT, and servers that predate the x-amz-checksum headers
// (older MinIO releases, for one) insist on Content-MD5. versitygw never gets this far;
// MinIO and moto accept both headers.
func withContentMD5(o *s3.Options) {
	o.APIOptions = append(o.APIOptions, smithyhttp.AddContentChecksumMiddleware)
}

// getLifecycle returns the bucket's lifecycle configuration, or nil if it has none.
func (s *Store) getLifecycle(ctx context.Context, bucket string) (*s3.GetBucketLifecycleConfigurationOutput, error) {
	var out *s3.GetBucketLifecycleConfigurationOutput
	err := s.observe(ctx, "GetBucketLifecycleConfiguration", bucket, "", 0, "", func(ctx context.Context) error {
		var err error
		out, err = s.client.GetBucketLifecycleConfiguration(ctx, &s3.GetBucketLifecycleConfigurationInput{Bucket: &bucket})
		return err
	})
	var e *Error
	if errors.As(err, &e) && e.Code == "NoSuchLifecycleConfiguration" {
		return nil, nil
	}
	return out, unsupported(err)
}

func summarise(r types.LifecycleRule) LifecycleRule {
	l := LifecycleRule{ID: aws.ToString(r.ID), Enabled: r.Status == types.ExpirationStatusEnabled,
		Prefix: aws.ToString(r.Prefix)} //nolint:staticcheck // legacy rules have only this prefix
	if f := r.Filter; f != nil {
		l.Prefix = aws.ToString(f.Prefix)
		l.OtherFilter = f.Tag != nil || f.ObjectSizeGreaterThan != nil || f.ObjectSizeLessThan != nil
		if a := f.And; a != nil {
			l.Prefix = aws.ToString(a.Prefix)
			l.OtherFilter = len(a.Tags) > 0 || a.ObjectSizeGreaterThan != nil || a.ObjectSizeLessThan != nil
		}
	}
	if e := r.Expiration; e != nil {
		l.ExpirationDays, l.ExpirationDate = aws.ToInt32(e.Days), aws.ToTime(e.Date)
	}
	if n := r.NoncurrentVersionExpiration; n != nil {
		l.NoncurrentExpirationDays = aws.ToInt32(n.NoncurrentDays)
	}
	if a := r.AbortIncompleteMultipartUpload; a != nil {
		l.AbortIncompleteDays = aws.ToInt32(a.DaysAfterInitiation)
	}
	for _, t := range r.Transitions {
		l.Transitions = append(l.Transitions, Transition{Days: aws.ToInt32(t.Days), Date: aws.ToTime(t.Date), StorageClass: string(t.StorageClass)})
	}
	return l
}

// unsupportedError is an *Error from a server that does not implement what was asked.
type unsupportedError struct {
	err     *Error
	feature string // what the server does not do
	said    string // what the server said
}

func (u *unsupportedError) Error() string {
	return fmt.Sprintf("s3://%s: the server does not %s (%s: %s)", u.err.Bucket, u.feature, u.err.Op, u.said)
}

func (u *unsupportedError) Unwrap() []error { return []error{errors.ErrUnsupported, u.err} }

// unsupported marks err when it says that the server does not implement the request.
func unsupported(err error) error {
	var e *Error
	if errors.As(err, &e) && (e.Code == "NotImplemented" || e.Status == 501) {
		return &unsupportedError{e, "support lifecycle rules", detail(e)}
	}
	return err
}

// refused marks err when the server rejected, as malformed, a configuration made of the
// rules it returned itself and haul's rule: most likely it does not know haul's rule. MinIO
// skips AbortIncompleteMultipartUpload as an unknown element, finds a rule without an action,
// and answers 400 InvalidArgument. The server's message is kept, for the other cases.
func refused(err error) error {
	var e *Error
	if errors.As(err, &e) && e.Status == 400 &&
		(e.Code == "InvalidArgument" || e.Code == "MalformedXML") {
		said := detail(e)
		if e.Message != "" {
			said += ": " + e.Message
		}
		return &unsupportedError{e, "accept a lifecycle rule that aborts incomplete multipart uploads", said}
	}
	return unsupported(err)
}

// detail names what the server said: its error code, or the HTTP status.
func detail(e *Error) string {
	switch {
	case e.Code != "":
		return e.Code
	case e.Status != 0:
		return fmt.Sprintf("HTTP %d", e.Status)
	}
	return rootCause(e.Err)
}
