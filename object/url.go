package object

// The rules for object names: s3:// URLs as users give them, bucket names and keys.
// Validation is strict on purpose: a URL that S3 would reject, or that would be read in a
// surprising way (a key with "." or ".." segments, invalid UTF-8), is refused here with a
// sentence that says what is wrong, before any request is sent.

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"unicode/utf8"
)

// Scheme is the prefix every S3 URL starts with.
const Scheme = "s3://"

// MaxKeyLen is the longest key S3 accepts, in bytes.
const MaxKeyLen = 1024

// IsDir reports whether the reference names a prefix rather than one object: an empty key
// or a key ending in "/".
func (r Ref) IsDir() bool { return r.Key == "" || strings.HasSuffix(r.Key, "/") }

// IsURL reports whether s looks like an S3 URL (starts with s3://, in any case).
func IsURL(s string) bool {
	return len(s) >= len(Scheme) && strings.EqualFold(s[:len(Scheme)], Scheme)
}

// ParseURL parses and validates an s3://bucket[/key] URL, as a user gives one. Key may come
// back empty (the whole bucket) or ending in "/" (a prefix).
func ParseURL(s string) (Ref, error) {
	if !IsURL(s) {
		return Ref{}, fmt.Errorf("%s is not an S3 URL: write it as s3://bucket/key", Shorten(s))
	}
	rest := s[len(Scheme):]
	bucket, key, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return Ref{}, fmt.Errorf("%s has no bucket name: write it as s3://bucket/key", Shorten(s))
	}
	if err := CheckBucket(bucket); err != nil {
		return Ref{}, fmt.Errorf("%s: %w", Shorten(s), err)
	}
	if err := CheckKey(key); err != nil {
		return Ref{}, fmt.Errorf("%s: %w", Shorten(s), err)
	}
	return Ref{Bucket: bucket, Key: key}, nil
}

// Shorten quotes s for an error message, eliding the middle of a long one.
func Shorten(s string) string {
	const keep = 40
	if len(s) <= 2*keep+3 {
		return fmt.Sprintf("%q", s)
	}
	return fmt.Sprintf("%q", s[:keep]+"..."+s[len(s)-keep:])
}

// CheckBucket reports whether name follows S3's bucket naming rules: 3 to 63 characters of
// lowercase letters, digits, dots and hyphens, starting and ending with a letter or digit,
// no two adjacent dots, and not an IP address.
func CheckBucket(name string) error {
	if len(name) < 3 || len(name) > 63 {
		return fmt.Errorf("bucket name %q must be 3 to 63 characters long", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		ok := c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '.' || c == '-'
		if !ok {
			return fmt.Errorf("bucket name %q may hold only lowercase letters, digits, '.' and '-'", name)
		}
	}
	if !isAlnum(name[0]) || !isAlnum(name[len(name)-1]) {
		return fmt.Errorf("bucket name %q must start and end with a letter or digit", name)
	}
	if strings.Contains(name, "..") {
		return fmt.Errorf("bucket name %q must not contain two dots in a row", name)
	}
	if net.ParseIP(name) != nil {
		return fmt.Errorf("bucket name %q must not be an IP address", name)
	}
	return nil
}

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// CheckKey reports whether key is one haul will write to or read from: at most 1,024 bytes of
// valid UTF-8, without NUL, and without "." or ".." path segments.
func CheckKey(key string) error {
	if len(key) > MaxKeyLen {
		return fmt.Errorf("key is %d bytes long; S3 allows at most %d", len(key), MaxKeyLen)
	}
	if !utf8.ValidString(key) {
		return errors.New("key is not valid UTF-8")
	}
	if strings.ContainsRune(key, 0) {
		return errors.New("key contains a NUL character")
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "." || seg == ".." {
			return fmt.Errorf("key %s has a %q segment; write the key without it", Shorten(key), seg)
		}
	}
	return nil
}
