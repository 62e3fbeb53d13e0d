package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/s3store"
	"github.com/haul-s3/haul/transfer"
	"github.com/haul-s3/haul/transfer/journal"
)

// The library says what went wrong in words for any program; the command line says what to
// do with its own flags and commands. advise puts the second in place of the first.

// adviceByCode is what haul's command line says of an S3 error code, flags and commands
// included, in place of the library's words.
var adviceByCode = map[string]string{
	"NoSuchBucket":                 "the bucket does not exist; check its name and the endpoint, or create it with --create-bucket or `haul mb`",
	"NoSuchKey":                    "no object has this key; check the key (`haul ls` lists what is there)",
	"AccessDenied":                 "the credentials in use may not do this; check the IAM policy, bucket policy and ACL, and which profile is in use (--profile)",
	"InvalidAccessKeyId":           "the access key ID is not known to this server; check AWS_ACCESS_KEY_ID, --profile and --endpoint-url",
	"XAdminUserNotFound":           "the access key ID is not known to this server; check AWS_ACCESS_KEY_ID, --profile and --endpoint-url",
	"SignatureDoesNotMatch":        "the secret key does not match the access key, or a proxy changed the request; check AWS_SECRET_ACCESS_KEY and --profile",
	"EntityTooSmall":               "a part other than the last is smaller than the server's minimum (5 MiB on S3); use a larger --part-size",
	"EntityTooLarge":               "the object or part is larger than the server accepts; use a smaller --part-size or --multipart-threshold",
	"InvalidArgument":              "the server rejected an argument of the request; check the options given (--sse, --storage-class, --acl)",
	"InvalidTag":                   "the server refused a tag; check --tags (MinIO takes only ASCII letters and digits, spaces and + - = . _ : / @)",
	"InvalidStorageClass":          "the server does not know this storage class; check --storage-class",
	"AuthorizationHeaderMalformed": "the request was signed for the wrong region; pass the bucket's region with --region",
	"PermanentRedirect":            "the bucket is in another region or must be reached at another endpoint; pass its region with --region",
	"SlowDown":                     "the server is throttling requests; lower --concurrency",
	"KMS.NotFoundException":        "the KMS key was not found; check --sse-kms-key-id",
}

var adviceByStatus = map[int]string{
	301: "the bucket is in another region or must be reached at another endpoint; pass its region with --region",
	403: "access denied; check the credentials, --profile and the bucket policy",
	503: "the server is unavailable or throttling; try again later or lower --concurrency",
}

// storeAdvice is what the command line says after naming a failed S3 request, or "" to keep
// the library's words.
func storeAdvice(e *s3store.Error) string {
	regional := e.Status == 301 || e.Status == 307 || e.Status == 400
	switch {
	case e.Op == "CreateBucket" && (e.Code == "AuthorizationHeaderMalformed" || e.Code == "IllegalLocationConstraintException" || e.Region != ""):
		if e.Region != "" {
			return e.Code + ": this server cannot create the bucket in the region asked for; its region is " + e.Region + ": omit --region or give --region " + e.Region
		}
		return e.Code + ": this server cannot create the bucket in the region asked for (many S3-compatible servers have one region); omit --region or give the server's own"
	case e.Op == "UploadPartCopy" && e.Code == "InvalidArgument":
		return e.Code + ": the server refused a part copied on the server; MinIO refuses them into an upload with a checksum algorithm: copy without --checksum (the bytes do not leave the server); else check --sse and --storage-class"
	case e.Op == "ListParts" && e.Code == "NoSuchUpload":
		return e.Code + ": this key has no incomplete multipart upload with this ID (it was completed or aborted, or is another key's); haul uploads ls lists them"
	case e.Option == "tags":
		return e.Code + ": this server does not keep object tags; run without --tags"
	case e.Op == "GetObjectAcl":
		return e.Detail() + "; the source's ACL could not be read, so the copy was not made: give --acl to set the copy's ACL, or --no-copy-acl to copy without reading it"
	case e.Op == "GetObjectTagging":
		return e.Detail() + "; the source's tags could not be read, so the copy was not made: give --tags to set the copy's tags"
	case e.Option == "sse":
		return e.Code + ": the server does not support --sse " + e.Value + " (MinIO, for one, needs a KMS configured for any --sse); run without --sse, or set encryption up on the server"
	case e.Advice != "":
		return ""
	case e.Region != "" && regional:
		code := e.Code
		if code == "" {
			code = fmt.Sprintf("HTTP %d", e.Status)
		}
		return fmt.Sprintf("%s: the bucket is in region %s; run again with --region %s", code, e.Region, e.Region)
	case e.Code != "" && adviceByCode[e.Code] != "":
		return e.Code + ": " + adviceByCode[e.Code]
	case e.Code == "" && adviceByStatus[e.Status] != "":
		return fmt.Sprintf("HTTP %d: %s", e.Status, adviceByStatus[e.Status])
	}
	return ""
}

// advise returns err's message with the command line's advice: the flag or command to use
// in place of the library's words for a failed S3 request, and a hint after errors of the
// kinds that have one.
func advise(err error) string {
	if err == nil {
		return ""
	}
	msg := err.Error()
	var e *s3store.Error
	if errors.As(err, &e) {
		if a := storeAdvice(e); a != "" {
			msg = strings.Replace(msg, e.Detail(), a, 1)
		}
	}
	var src *transfer.SourceError
	if errors.As(err, &src) && src.Path == "-" {
		msg = strings.Replace(msg, "-: ", "standard input: ", 1)
	}
	var (
		tooMany *transfer.TooManyPartsError
		stall   *transfer.StallError
		slow    *transfer.ThrottledError
		verify  *transfer.VerifyError
		creds   *s3store.CredentialsError
		damaged *journal.DamagedError
		layout  *transfer.LayoutError
	)
	switch {
	case errors.Is(err, object.ErrUnreadable) && strings.Contains(msg, "GetObjectTagging"):
		msg += "; give --tags to set the copy's tags"
	case errors.As(err, &tooMany):
		msg += " (give a larger --part-size)"
	case errors.As(err, &stall):
		msg += " (--stall-timeout)"
	case errors.As(err, &slow):
		msg += " (try again later, or give it longer with --throttle-timeout)"
	case errors.As(err, &verify) && verify.Algorithm == "md5":
		msg += " (if this server's ETags are not MD5s, use --verify=false)"
	case errors.As(err, &creds):
		msg = strings.Replace(msg, "or name a profile", "or name a profile with --profile", 1)
	case errors.Is(err, journal.ErrLocked):
		msg += "; wait for it to finish, or give another --journal"
	case errors.As(err, &damaged):
		msg += " (incomplete uploads can be listed with haul uploads ls)"
	case errors.As(err, &layout):
		msg += "; give every cp --upload-id run and uploads complete the same FILE and --part-size (or none), or give the upload up with haul uploads abort and start again"
	}
	return msg
}
