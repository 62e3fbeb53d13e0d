package cli

import (
	"strings"

	"github.com/spf13/pflag"

	"github.com/haul-s3/haul/object"
)

// registerObject defines the flags of the object options (cp, sync and uploads start):
// ACL, metadata, tags, encryption, storage class, content type, cache control, and the
// checksum algorithm under the name checksumFlag.
func (f *cpFlags) registerObject(fl *pflag.FlagSet, checksumFlag string) {
	f.checksumFlag = checksumFlag
	fl.StringVar(&f.acl, "acl", "", "canned ACL: "+strings.Join(cannedACLs, ", "))
	fl.StringArrayVar(&f.metadata, "metadata", nil, "user metadata key=value (repeatable)")
	fl.StringArrayVar(&f.tags, "tags", nil, "object tag key=value (repeatable, at most 10; key up to 128 characters, value up to 256); on a copy from S3 to S3 they replace the source's tags, which are copied otherwise")
	fl.StringVar(&f.sse, "sse", "", "server-side encryption: AES256, aws:kms or aws:kms:dsse")
	fl.StringVar(&f.kmsKey, "sse-kms-key-id", "", "KMS key ID for --sse aws:kms")
	fl.StringVar(&f.storageClass, "storage-class", "", "storage class, e.g. STANDARD_IA (as the server names them)")
	fl.StringVar(&f.contentType, "content-type", "", "content type (default: detected from the file extension)")
	fl.StringVar(&f.cacheControl, "cache-control", "", "Cache-Control header to store with the objects")
	fl.StringVar(&f.checksum, checksumFlag, "", "checksum sent with every PUT and part for the server to verify: crc32c, crc32, crc64nvme, sha256, sha1, md5 or none (default: depends on the provider: crc32c for aws, minio and versitygw; md5 for ceph, gcs, oss and servers haul does not recognise; see --provider)")
}

// objectOptions checks the flags of the object options and returns them.
func (f *cpFlags) objectOptions() (object.Options, error) {
	if f.acl != "" && !contains(cannedACLs, f.acl) {
		return object.Options{}, usagef("--acl %q is not a canned ACL; use one of %s", f.acl, strings.Join(cannedACLs, ", "))
	}
	switch f.sse {
	case "", "AES256", "aws:kms", "aws:kms:dsse":
	default:
		return object.Options{}, usagef("--sse %q: use AES256, aws:kms or aws:kms:dsse", f.sse)
	}
	if f.kmsKey != "" && !strings.HasPrefix(f.sse, "aws:kms") {
		return object.Options{}, usagef("--sse-kms-key-id needs --sse aws:kms")
	}
	meta, err := parseMetadata(f.metadata)
	if err != nil {
		return object.Options{}, err
	}
	tags, err := parseTags(f.tags)
	if err != nil {
		return object.Options{}, err
	}
	sum, ok := checksumNames[f.checksum]
	if !ok && f.checksum != "" {
		return object.Options{}, usagef("--%s %q: use crc32c, crc32, crc64nvme, sha256, sha1, md5 or none", f.checksumFlag, f.checksum)
	}
	return object.Options{ACL: f.acl, Metadata: meta, SSE: f.sse, SSEKMSKeyID: f.kmsKey,
		StorageClass: f.storageClass, ContentType: f.contentType, CacheControl: f.cacheControl, Checksum: sum, Tags: tags}, nil
}
