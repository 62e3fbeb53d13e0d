package memstore

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/haul-s3/haul/object"
)

// Paged is a Store that also lists page by page (transfer.PageLister), with pages of
// PageSize entries (0: S3's 1,000). A Store alone does not, so that tests of code that
// wraps a Store's List (to count or fail listings) keep listing through List.
type Paged struct {
	*Store
	PageSize int
}

// ListPages lists prefix page by page, as ListObjectsV2 does, from the page whose
// continuation token is token ("": the first), with delimiter when it is not "": keys
// that share a prefix up to the next delimiter are one common prefix. Each page holds up
// to PageSize entries (keys and common prefixes) in byte order, and is of the bucket
// as it is when the page is asked for; page is called with its keys, its common prefixes
// and the next page's token ("" after the last), with no lock held. An error from page
// ends the listing and is returned.
func (p Paged) ListPages(ctx context.Context, bucket, prefix, delimiter, token string, page func(keys []object.Info, prefixes []string, next string) error) error {
	after, _ := strings.CutPrefix(token, "after:")
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		keys, prefixes, last, more, err := p.page(bucket, prefix, delimiter, after, cmp.Or(max(p.PageSize, 0), 1000))
		if err != nil {
			return err
		}
		next := ""
		if more {
			next = "after:" + last
		}
		if err := page(keys, prefixes, next); err != nil {
			return err
		}
		if !more {
			return nil
		}
		after = last
	}
}

// page returns the entries of one page of a listing: those after after (a key, or a
// common prefix all of whose keys come before the page), the last entry, and whether
// there are more.
func (s *Store) page(bucket, prefix, delimiter, after string, size int) (keys []object.Info, prefixes []string, last string, more bool, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b, err := s.bucket("ListObjectsV2", object.Ref{Bucket: bucket, Key: prefix})
	if err != nil {
		return nil, nil, "", false, err
	}
	var names []string
	for k := range b.objects {
		if strings.HasPrefix(k, prefix) && k > after {
			names = append(names, k)
		}
	}
	slices.Sort(names)
	n := 0
	for _, k := range names {
		if cp, ok := rollUp(prefix, delimiter, k); ok {
			if cp == last || cp == after {
				continue // a common prefix given already, on this page or one before
			}
			if n == size {
				return keys, prefixes, last, true, nil
			}
			prefixes = append(prefixes, cp)
			last, n = cp, n+1
			continue
		}
		if n == size {
			return keys, prefixes, last, true, nil
		}
		e := b.objects[k]
		keys = append(keys, object.Info{Key: k, Size: int64(len(e.data)), ETag: e.etag, LastModified: e.modified})
		last, n = k, n+1
	}
	return keys, prefixes, last, false, nil
}

// rollUp returns the common prefix key falls in when prefix is listed with delimiter.
func rollUp(prefix, delimiter, key string) (string, bool) {
	if delimiter == "" {
		return "", false
	}
	i := strings.Index(key[len(prefix):], delimiter)
	if i < 0 {
		return "", false
	}
	return key[:len(prefix)+i+len(delimiter)], true
}
