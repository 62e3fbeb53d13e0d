package s3store

import (
	"context"
	"net/url"
	"sort"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/haul-s3/haul/object"
)

// ObjectTags returns the tags of an object (GetObjectTagging): an empty map for an object
// without tags. A server that keeps no tags (NotImplemented) or a caller that may not read
// them (AccessDenied) gives an error that wraps object.ErrUnreadable (see ObjectGrants).
func (s *Store) ObjectTags(ctx context.Context, ref object.Ref) (map[string]string, error) {
	tags := map[string]string{}
	err := s.observe(ctx, "GetObjectTagging", ref.Bucket, ref.Key, 0, "", func(ctx context.Context) error {
		out, err := s.client.GetObjectTagging(ctx, &s3.GetObjectTaggingInput{Bucket: &ref.Bucket, Key: &ref.Key})
		if err == nil {
			clear(tags)
			for _, t := range out.TagSet {
				if t.Key != nil {
					tags[*t.Key] = aws.ToString(t.Value)
				}
			}
		}
		return err
	})
	if u := unreadable(err); u != nil {
		return nil, u
	}
	return tags, err
}

// encodeTags is the value of the x-amz-tagging header for tags: key=value pairs joined by "&",
// each key and value percent-encoded as a URL query (a space as %20, not "+", which some
// servers would keep as a plus), in the order of the keys.
func encodeTags(tags map[string]string) string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(queryEscape(k))
		b.WriteByte('=')
		b.WriteString(queryEscape(tags[k]))
	}
	return b.String()
}

func queryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}

// tagging is the x-amz-tagging value of an upload with the options o, nil for no tags.
func tagging(o *object.Options) *string {
	if o == nil || len(o.Tags) == 0 {
		return nil
	}
	return optional(encodeTags(o.Tags))
}
