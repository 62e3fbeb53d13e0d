package cli

import (
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/haul-s3/haul/object"
)

// S3's limits on an object's tags: how many, and how long a key and a value may be in
// Unicode characters.
const (
	maxTags        = 10
	maxTagKeyLen   = 128
	maxTagValueLen = 256
)

// parseTags parses --tags key=value pairs (the value may be empty; it may hold "=") and
// checks them against S3's rules, so that a tag S3 would refuse is a usage error before any
// request: at most 10 tags, keys unique, not empty, up to 128 characters and not starting
// with "aws:" (reserved), values up to 256, both of letters, digits, spaces and
// + - = . _ : / @. No pairs give nil: the source's tags are kept on a copy.
func parseTags(pairs []string) (map[string]string, error) {
	if len(pairs) == 0 {
		return nil, nil
	}
	if len(pairs) > maxTags {
		return nil, usagef("--tags given %d times: an object has at most %d tags", len(pairs), maxTags)
	}
	tags := make(map[string]string, len(pairs))
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		switch {
		case !ok || k == "":
			return nil, usagef("--tags %q: write it as key=value", p)
		case utf8.RuneCountInString(k) > maxTagKeyLen:
			return nil, usagef("--tags %q: a key has at most %d characters", p, maxTagKeyLen)
		case utf8.RuneCountInString(v) > maxTagValueLen:
			return nil, usagef("--tags %q: a value has at most %d characters", p, maxTagValueLen)
		case strings.HasPrefix(strings.ToLower(k), "aws:"):
			return nil, usagef("--tags %q: keys starting with aws: are reserved", p)
		case !tagText(k) || !tagText(v):
			return nil, usagef("--tags %q: a key or value may hold only letters, digits, spaces and + - = . _ : / @", p)
		}
		if _, dup := tags[k]; dup {
			return nil, usagef("--tags %q: the key %q is given twice", p, k)
		}
		tags[k] = v
	}
	return tags, nil
}

// tagText reports whether s holds only the characters S3 allows in a tag.
func tagText(s string) bool {
	for _, c := range s {
		if !unicode.IsLetter(c) && !unicode.IsDigit(c) && c != ' ' && !strings.ContainsRune("+-=._:/@", c) {
			return false
		}
	}
	return true
}

// tagsUnread says why an object's tags could not be read, for stat's "Tags:" line: a server
// that keeps none in a sentence, any other failure as it is.
func tagsUnread(err error) string {
	if errors.Is(err, object.ErrUnreadable) {
		return "this server does not keep object tags, or these credentials may not read them (" + strings.TrimPrefix(err.Error(), object.ErrUnreadable.Error()+": ") + ")"
	}
	return advise(err)
}
