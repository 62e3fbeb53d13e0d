package cli

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/haul-s3/haul/s3store"
	"github.com/haul-s3/haul/transfer"
	"github.com/haul-s3/haul/transfer/journal"
)

// The CLI says what to do with its own flags where the library only says what went wrong.
func TestAdviceNamesTheFlagToUse(t *testing.T) {
	for _, c := range []struct {
		err  error
		want string
	}{
		{&s3store.Error{Op: "PutObject", Bucket: "b", Key: "k", Code: "NoSuchBucket"}, "--create-bucket or `haul mb`"},
		{&s3store.Error{Op: "HeadObject", Bucket: "b", Key: "k", Code: "NoSuchKey"}, "`haul ls` lists what is there"},
		{&s3store.Error{Op: "GetObject", Bucket: "b", Key: "k", Code: "PermanentRedirect", Status: 301, Region: "eu-central-1"}, "run again with --region eu-central-1"},
		{&s3store.Error{Op: "HeadObject", Bucket: "b", Key: "k", Status: 400, Region: "eu-central-1"}, "HTTP 400: the bucket is in region eu-central-1; run again with --region eu-central-1"},
		{&s3store.Error{Op: "CreateBucket", Bucket: "b", Code: "IllegalLocationConstraintException"}, "omit --region"},
		{&s3store.Error{Op: "PutObject", Bucket: "b", Key: "k", Code: "NotImplemented", Status: 501, Option: "sse", Value: "AES256", Advice: "x"}, "does not support --sse AES256"},
		{&s3store.Error{Op: "UploadPart", Bucket: "b", Key: "k", Code: "SlowDown", Status: 503}, "lower --concurrency"},
		{&s3store.Error{Op: "PutObject", Bucket: "b", Key: "k", Code: "NotImplemented", Status: 501, Option: "tags", Value: "a=b", Advice: "x"}, "NotImplemented: this server does not keep object tags; run without --tags"},
		{&s3store.Error{Op: "PutObject", Bucket: "b", Key: "k", Code: "InvalidTag", Status: 400}, "check --tags"},
		{fmt.Errorf("copy s3://a/k: its grants: %w", &s3store.Error{Op: "GetObjectAcl", Bucket: "a", Key: "k", Status: 500}), "HTTP 500; the source's ACL could not be read, so the copy was not made: give --acl to set the copy's ACL, or --no-copy-acl"},
		{fmt.Errorf("copy s3://a/k: its 2 tags: %w", &s3store.Error{Op: "GetObjectTagging", Bucket: "a", Key: "k", Status: 500}), "give --tags"},
		{&s3store.Error{Op: "UploadPart", Bucket: "b", Key: "k", Code: "EntityTooSmall"}, "larger --part-size"},
		{fmt.Errorf("refused: %w", &s3store.Error{Op: "PutObject", Bucket: "b", Key: "k", Code: "AccessDenied"}), "refused: PutObject s3://b/k: AccessDenied: "},
		{&transfer.TooManyPartsError{Size: 1 << 40, PartSize: 5 << 20, Parts: 209716}, "--part-size"},
		{&transfer.StallError{}, "--stall-timeout"},
		{&transfer.VerifyError{Algorithm: "md5"}, "--verify=false"},
		{&s3store.CredentialsError{Err: errors.New("none")}, "with --profile"},
		{fmt.Errorf("journal j: %w", journal.ErrLocked), "another --journal"},
		{&journal.DamagedError{Line: 3, Err: errors.New("bad")}, "haul uploads ls"},
	} {
		if got := advise(c.err); !strings.Contains(got, c.want) {
			t.Errorf("advise(%v) = %q, want it to contain %q", c.err, got, c.want)
		}
	}
	if got := advise(&s3store.Error{Op: "GetObject", Bucket: "b", Key: "k", Code: "Weird", Message: "server says"}); got != "GetObject s3://b/k: Weird: server says" {
		t.Errorf("an error without advice: %q", got)
	}
}
