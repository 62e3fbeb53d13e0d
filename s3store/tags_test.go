package s3store

import (
	"errors"
	"testing"

	"github.com/haul-s3/haul/object"
)

// Tags go in x-amz-tagging as a URL query in key order, a space as %20 (not "+", which
// some servers keep as a plus), "+", "=", "&" and "/" escaped, other letters as UTF-8.
func TestEncodeTags(t *testing.T) {
	for _, tc := range []struct {
		tags map[string]string
		want string
	}{
		{map[string]string{"team": "blue"}, "team=blue"},
		{map[string]string{"b": "2", "a": "1"}, "a=1&b=2"},
		{map[string]string{"k k": "a b+c=d&e/f"}, "k%20k=a%20b%2Bc%3Dd%26e%2Ff"},
		{map[string]string{"name": "Ü", "empty": ""}, "empty=&name=%C3%9C"},
	} {
		if got := encodeTags(tc.tags); got != tc.want {
			t.Errorf("%v: %q, want %q", tc.tags, got, tc.want)
		}
	}
	if tagging(&object.Options{}) != nil || tagging(nil) != nil {
		t.Error("no tags must send no x-amz-tagging")
	}
}

// A NotImplemented answer to a request that sent tags names them (Option "tags"), unless
// the SSE asked for was named first.
func TestTagsHint(t *testing.T) {
	err := sseHint(&Error{Op: "PutObject", Code: "NotImplemented", Status: 501}, &object.Options{Tags: map[string]string{"a": "b"}})
	var e *Error
	if !errors.As(err, &e) || e.Option != "tags" || e.Value != "a=b" {
		t.Errorf("%v: option %q %q, want tags a=b", err, e.Option, e.Value)
	}
	err = sseHint(&Error{Op: "PutObject", Code: "NotImplemented", Status: 501}, &object.Options{SSE: "AES256", Tags: map[string]string{"a": "b"}})
	if !errors.As(err, &e) || e.Option != "sse" {
		t.Errorf("%v: option %q, want sse", err, e.Option)
	}
	err = sseHint(&Error{Op: "PutObject", Code: "NotImplemented", Status: 501}, &object.Options{})
	if !errors.As(err, &e) || e.Option != "" {
		t.Errorf("%v: option %q without tags or SSE", err, e.Option)
	}
}
