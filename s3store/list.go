package s3store

import (
	"context"
	"fmt"
	"regexp"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/haul-s3/haul/object"
)

// List calls fn for every object whose key starts with prefix, in key order, paging through
// ListObjectsV2 for as many pages as there are.
func (s *Store) List(ctx context.Context, bucket, prefix string, fn func(object.Info) error) error {
	return s.ListDir(ctx, bucket, prefix, "", fn, nil)
}

// ListDir is List with a delimiter: keys that share a prefix up to the next delimiter are
// reported once to onPrefix instead of to fn. Each page's common prefixes are reported
// before its keys.
//
// ListDir trusts no page to say where the listing ends: a page that says it was truncated
// but gives no continuation token, a continuation token given twice, and keys out of byte
// order (within a page or after the last key of the one before) each end the listing with
// a *ListingError. The keys of a page out of order are not reported; those of the pages
// before it, and of a page without its token (or with one given before), have been.
func (s *Store) ListDir(ctx context.Context, bucket, prefix, delimiter string, fn func(object.Info) error, onPrefix func(string) error) error {
	return s.pages(ctx, bucket, prefix, delimiter, "", func(out *s3.ListObjectsV2Output, _ string) error {
		return report(out, fn, onPrefix)
	})
}

// ListResume is List from the page whose continuation token is *token ("": the first),
// setting *token to the next page's token once every key of a page has been given to fn.
// After a failure, calling it again with the same token asks for the page that failed
// again, so a listing of thousands of pages through a flaky network goes on where it
// stopped instead of starting over; the keys of that page given to fn before the failure
// come again.
func (s *Store) ListResume(ctx context.Context, bucket, prefix string, token *string, fn func(object.Info) error) error {
	return s.pages(ctx, bucket, prefix, "", *token, func(out *s3.ListObjectsV2Output, next string) error {
		if err := report(out, fn, nil); err != nil {
			return err
		}
		if next != "" {
			*token = next
		}
		return nil
	})
}

// ListPages lists prefix page by page from the page whose continuation token is token ("":
// the first), with delimiter when it is not "", and calls page with each page's keys, its
// common prefixes and the next page's token ("" after the last page). The slices are the
// caller's. Both are in byte order, and together they are one stretch of the listing: a
// common prefix stands where the keys under it would stand, before every key and prefix of
// the pages after it. Pages are checked as ListDir checks them: a page out of order is not
// given, and ends the listing with a *ListingError; a page truncated without a token, or
// with one given before, is given with next "" before the listing ends so. An error from
// page ends the listing and is returned.
//
// Between pages no request is in flight: page runs after its page's request has ended and
// before the next one starts, so that a caller can hold a request slot for each request
// (released when page is called, taken again before it returns).
func (s *Store) ListPages(ctx context.Context, bucket, prefix, delimiter, token string, page func(keys []object.Info, prefixes []string, next string) error) error {
	return s.pages(ctx, bucket, prefix, delimiter, token, func(out *s3.ListObjectsV2Output, next string) error {
		keys := make([]object.Info, len(out.Contents))
		for i, o := range out.Contents {
			keys[i] = info(o)
		}
		var prefixes []string
		if len(out.CommonPrefixes) > 0 {
			prefixes = make([]string, len(out.CommonPrefixes))
			for i, cp := range out.CommonPrefixes {
				prefixes[i] = aws.ToString(cp.Prefix)
			}
		}
		return page(keys, prefixes, next)
	})
}

// report gives a page's common prefixes to onPrefix (when not nil), then its keys to fn.
func report(out *s3.ListObjectsV2Output, fn func(object.Info) error, onPrefix func(string) error) error {
	for _, cp := range out.CommonPrefixes {
		if onPrefix != nil {
			if err := onPrefix(aws.ToString(cp.Prefix)); err != nil {
				return err
			}
		}
	}
	for _, o := range out.Contents {
		if err := fn(info(o)); err != nil {
			return err
		}
	}
	return nil
}

func info(o types.Object) object.Info {
	return object.Info{Key: aws.ToString(o.Key), Size: aws.ToInt64(o.Size), ETag: trimETag(o.ETag), LastModified: aws.ToTime(o.LastModified)}
}

// pages sends ListObjectsV2 from the page whose continuation token is token, checks each
// answer (order, truncation, tokens) and calls page with it and the next page's token ("":
// it was the last), until the last page, a refused page, or an error.
func (s *Store) pages(ctx context.Context, bucket, prefix, delimiter, token string, page func(out *s3.ListObjectsV2Output, next string) error) error {
	in := s3.ListObjectsV2Input{Bucket: &bucket, Prefix: optional(prefix), Delimiter: optional(delimiter)}
	if token != "" {
		in.ContinuationToken = aws.String(token)
	}
	used := map[string]struct{}{} // every token sent in this listing: 10k of them at 10M keys
	var last *string              // the last key reported, from this page or one before
	for n := 1; ; n++ {
		var out *s3.ListObjectsV2Output
		err := s.observe(ctx, "ListObjectsV2", bucket, prefix, 0, "", func(ctx context.Context) error {
			params := in
			var err error
			out, err = s.client.ListObjectsV2(ctx, &params)
			return err
		})
		if err != nil {
			return err
		}
		if key, after, bad := outOfOrder(out.Contents, last); bad && !unordered(bucket) {
			return &ListingError{Bucket: bucket, Prefix: prefix, Page: n, Problem: OutOfOrder, Key: key, After: after}
		}
		next := ""
		var broken error // the listing cannot go on from this page
		if aws.ToBool(out.IsTruncated) {
			next = aws.ToString(out.NextContinuationToken)
			_, seen := used[next]
			switch {
			case next == "":
				broken = &ListingError{Bucket: bucket, Prefix: prefix, Page: n, Problem: TruncatedWithoutToken}
			case seen:
				broken = &ListingError{Bucket: bucket, Prefix: prefix, Page: n, Problem: RepeatedToken}
				next = ""
			default:
				used[next] = struct{}{}
			}
		}
		if err := page(out, next); err != nil {
			return err
		}
		if next == "" {
			return broken
		}
		if len(out.Contents) > 0 {
			last = out.Contents[len(out.Contents)-1].Key
		}
		in.ContinuationToken = &next
	}
}

// outOfOrder finds the first key of contents that does not come strictly after the one
// before it (after last, for the first key; last nil: no key before) and returns it and
// the key it came after.
func outOfOrder(contents []types.Object, last *string) (key, after string, bad bool) {
	for _, o := range contents {
		if last != nil && aws.ToString(o.Key) <= *last {
			return aws.ToString(o.Key), *last, true
		}
		last = o.Key
	}
	return "", "", false
}

// ListingProblem is what was wrong with a listing's pages.
type ListingProblem string

// The problems ListDir finds in a server's pages.
const (
	// TruncatedWithoutToken: a page said the listing goes on (IsTruncated) but gave no
	// NextContinuationToken to ask for the rest with.
	TruncatedWithoutToken ListingProblem = "truncated-without-token"
	// RepeatedToken: a page gave a NextContinuationToken already sent in this listing;
	// following it would go round in a loop.
	RepeatedToken ListingProblem = "repeated-token"
	// OutOfOrder: a key did not come strictly after the key before it in byte order
	// (ListingError.Key after ListingError.After).
	OutOfOrder ListingProblem = "out-of-order"
)

// directoryBucket matches the name of an S3 Express One Zone directory bucket as AWS
// documents it: a base name, two hyphens, the zone ID (use1-az4), two hyphens and x-s3.
var directoryBucket = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*--[a-z0-9-]+--x-s3$`)

// unordered reports whether bucket is a directory bucket, whose listings AWS documents as
// not in lexicographic order: its keys are not checked for order here (a sync's merge
// still refuses them).
func unordered(bucket string) bool { return directoryBucket.MatchString(bucket) }

// ListingError is a listing whose pages show that it is incomplete or cannot be trusted:
// what the server said does not add up to one pass over the keys in byte order. Nothing
// should be deleted on the strength of such a listing. A server's glitch can pass, so the
// error is Retryable: listing again from the start may succeed, and one that keeps failing
// ends as this error once the retries run out.
type ListingError struct {
	Bucket, Prefix string
	Page           int // the page (from 1) whose answer was wrong
	Problem        ListingProblem
	Key, After     string // OutOfOrder: Key came after After
}

func (e *ListingError) Error() string {
	where := "s3://" + e.Bucket + "/" + e.Prefix
	var what string
	switch e.Problem {
	case TruncatedWithoutToken:
		what = "the server said the listing of " + where + " was truncated but gave no continuation token"
	case RepeatedToken:
		what = "the server gave a continuation token for the listing of " + where + " that it had given before"
	case OutOfOrder:
		what = fmt.Sprintf("the server listed %s out of order: %q came after %q", where, e.Key, e.After)
	default:
		what = "the listing of " + where + ": " + string(e.Problem)
	}
	return fmt.Sprintf("%s (page %d); the listing is incomplete", what, e.Page)
}

// Retryable reports true: a server's glitch may pass when the listing starts again.
func (e *ListingError) Retryable() bool { return true }
