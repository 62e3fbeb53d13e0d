package s3store

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/smithy-go"

	"github.com/haul-s3/haul/object"
)

// Error is a failed S3 request. It names the operation, the bucket, the key, the upload ID
// and part where there are any, and the S3 error code, and it knows whether sending the
// request again can help (Retryable) and whether the server asked us to slow down
// (Throttled). The engine finds these methods by interface, not by this type.
type Error struct {
	Op       string // S3 operation, e.g. "UploadPart"
	Bucket   string
	Key      string
	UploadID string
	Part     int32
	Code     string // S3 error code, e.g. "NoSuchUpload"; empty for network errors
	Status   int    // HTTP status; 0 when no response arrived
	Message  string // the server's message
	Region   string // the bucket's region, when the server said (x-amz-bucket-region)
	Advice   string // what to do, when the call knows better than the code's usual words
	// Option and Value name the object option the server refused, when it is known to be
	// the cause ("sse", "AES256"): a program can then name its own way of giving it.
	Option, Value string
	Err           error

	retryable, throttled bool
}

// Error renders the failure as one line: what was attempted, on what, and what to do.
func (e *Error) Error() string {
	return object.RequestName(e.Op, object.Ref{Bucket: e.Bucket, Key: e.Key}, e.Part, e.UploadID) + ": " + e.Detail()
}

// Detail is what Error says after naming the request: the code or network failure and
// what to do about it ("connection refused", "NoSuchKey: no object has this key; ...").
func (e *Error) Detail() string {
	var b strings.Builder
	if e.Op == "CreateBucket" && (e.Code == "AuthorizationHeaderMalformed" || e.Code == "IllegalLocationConstraintException" || e.Region != "") {
		b.WriteString(e.Code + ": this server cannot create the bucket in the region asked for")
		if e.Region != "" {
			b.WriteString("; its region is " + e.Region)
		} else {
			b.WriteString(" (many S3-compatible servers have one region)")
		}
		return b.String()
	}
	if e.Advice != "" {
		b.WriteString(e.Code + ": " + e.Advice)
		return b.String()
	}
	if e.Region != "" && (e.Status == 301 || e.Status == 307 || e.Status == 400) {
		// S3 names the bucket's region with these answers to a request sent to the wrong
		// one (a HEAD's 400 has no body, so no code to go by).
		code := e.Code
		if code == "" {
			code = fmt.Sprintf("HTTP %d", e.Status)
		}
		fmt.Fprintf(&b, "%s: the bucket is in region %s", code, e.Region)
		return b.String()
	}
	switch {
	case e.Code != "":
		b.WriteString(e.Code)
		if a := describe[e.Code]; a != "" {
			b.WriteString(": " + a)
		} else if e.Message != "" {
			b.WriteString(": " + e.Message)
		}
	case e.Status != 0 && (e.Status < 200 || e.Status > 299):
		fmt.Fprintf(&b, "HTTP %d", e.Status)
		if a := describeStatus[e.Status]; a != "" {
			b.WriteString(": " + a)
		}
	default:
		b.WriteString(rootCause(e.Err))
	}
	return b.String()
}

// Unwrap returns the SDK or network error.
func (e *Error) Unwrap() error { return e.Err }

// Retryable reports whether the same request may succeed if sent again.
func (e *Error) Retryable() bool { return e.retryable }

// Throttled reports whether the server asked the client to send fewer requests.
func (e *Error) Throttled() bool { return e.throttled }

// NotFound reports whether the bucket, key or upload does not exist.
func (e *Error) NotFound() bool {
	switch e.Code {
	case "NoSuchKey", "NoSuchBucket", "NoSuchUpload", "NotFound":
		return true
	}
	return e.Status == 404
}

// PreconditionFailed reports whether an If-Match condition failed: the object changed.
func (e *Error) PreconditionFailed() bool {
	return e.Code == "PreconditionFailed" || e.Status == 412
}

// StopsRun reports whether every other request to this server or bucket will fail the same
// way, so that a run of many items should stop instead of failing each one: the server
// refused the credentials, the bucket does not exist, or the server could not be reached
// at all (Unreachable).
func (e *Error) StopsRun() bool {
	switch e.Code {
	case "InvalidAccessKeyId", "XAdminUserNotFound", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken", "InvalidTokenId", "TokenRefreshRequired", "NoSuchBucket":
		return true
	}
	return e.Unreachable()
}

// Unreachable reports whether no connection to the server could be made: the address
// refused it, its name did not resolve, or the dial timed out. No request reached the
// server.
func (e *Error) Unreachable() bool {
	if e.Status != 0 {
		return false
	}
	var dns *net.DNSError
	if errors.As(e.Err, &dns) {
		return true
	}
	var oe *net.OpError
	return errors.As(e.Err, &oe) && oe.Op == "dial"
}

// Denied reports whether the server refused the request for want of permission
// (AccessDenied, HTTP 403). Whether that holds for the whole bucket or only this key the
// error cannot say.
func (e *Error) Denied() bool {
	return e.Code == "AccessDenied" || (e.Status == 403 && !e.StopsRun())
}

var (
	retryables = retry.IsErrorRetryables(append([]retry.IsErrorRetryable{
		retry.RetryableErrorCode{Codes: map[string]struct{}{
			"InternalError": {}, "ServiceUnavailable": {}, "RequestTimeout": {},
			"BadDigest": {}, "XAmzContentSHA256Mismatch": {}, "XAmzContentChecksumMismatch": {}, "IncompleteBody": {},
		}},
	}, retry.DefaultRetryables...))
	throttles = retry.IsErrorThrottles(append([]retry.IsErrorThrottle{
		retry.ThrottleErrorCode{Codes: map[string]struct{}{"TooManyRequests": {}}},
	}, retry.DefaultThrottles...))
)

// wrap turns an SDK error into an *Error, classifying it once here so that no caller has to
// match strings.
func wrap(err error, op, bucket, key, uploadID string, part int32) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	e := &Error{Op: op, Bucket: bucket, Key: key, UploadID: uploadID, Part: part, Err: err, Status: httpStatus(err), Region: bucketRegion(err)}
	var api smithy.APIError
	if errors.As(err, &api) {
		e.Code, e.Message = api.ErrorCode(), api.ErrorMessage()
		if e.Code == "" || e.Code == "UnknownError" || strings.HasPrefix(e.Code, "StatusCode") {
			e.Code = ""
		}
	}
	if op == "HeadObject" && e.Status == 404 && (e.Code == "" || e.Code == "NotFound") {
		e.Code = "NoSuchKey" // a HEAD response has no body to name the code
	}
	if op == "HeadBucket" && e.Status == 404 && (e.Code == "" || e.Code == "NotFound") {
		e.Code = "NoSuchBucket"
	}
	if (e.Code == "" || e.Code == "Forbidden") && e.Status == 403 && (op == "HeadObject" || op == "HeadBucket") {
		// the SDK names a HEAD's bodiless 403 after its status text: "Forbidden: Forbidden"
		e.Code = "AccessDenied"
	}
	e.throttled = throttles.IsErrorThrottle(err) == aws.TrueTernary || e.Status == 429 || e.Status == 503
	e.retryable = e.throttled || retryables.IsErrorRetryable(err) == aws.TrueTernary ||
		e.Status >= 500 || errors.Is(err, io.ErrUnexpectedEOF) || isNetError(err)
	if e.Status == 501 || e.Code == "NotImplemented" {
		e.retryable = false // asking again will not make the server implement it
	}
	return e
}

// bucketRegion returns the region S3 names in the x-amz-bucket-region header of an error
// response (it sends one with 301 and wrong-region 400 answers), or "".
func bucketRegion(err error) string {
	var re *awshttp.ResponseError
	if errors.As(err, &re) && re.Response != nil && re.Response.Response != nil {
		return re.Response.Header.Get("X-Amz-Bucket-Region")
	}
	return ""
}

func httpStatus(err error) int {
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// rootCause keeps the innermost message of a network error, which is the one a person can act
// on ("connection refused"), without the SDK's layers of "operation error ... https response".
func rootCause(err error) string {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err.Error()
		}
		err = next
	}
}

// describe says what an S3 error code means, in words for any program (no command's flags:
// a command line adds its own advice).
var describe = map[string]string{
	"NoSuchBucket":                 "the bucket does not exist; check its name and the endpoint",
	"NoSuchKey":                    "no object has this key; check the key",
	"NoSuchUpload":                 "the multipart upload no longer exists (aborted, completed, or removed by a lifecycle rule); run the copy again",
	"AccessDenied":                 "the credentials in use may not do this; check the IAM policy, bucket policy and ACL, and which credentials are in use",
	"InvalidAccessKeyId":           "the access key ID is not known to this server; check the access key and the endpoint",
	"XAdminUserNotFound":           "the access key ID is not known to this server; check the access key and the endpoint",
	"SignatureDoesNotMatch":        "the secret key does not match the access key, or a proxy changed the request; check the secret key",
	"ExpiredToken":                 "the session token has expired; refresh the credentials (for example `aws sso login`) and run again",
	"InvalidToken":                 "the server does not accept the session token; check AWS_SESSION_TOKEN, or unset it for long-term keys",
	"InvalidTokenId":               "the server does not accept the session token; check AWS_SESSION_TOKEN, or unset it for long-term keys",
	"EntityTooSmall":               "a part other than the last is smaller than the server's minimum (5 MiB on S3); use a larger part size",
	"EntityTooLarge":               "the object or part is larger than the server accepts; use a smaller part size or multipart threshold",
	"InvalidPart":                  "a part listed at completion was not found or its ETag did not match; run the copy again",
	"InvalidPartOrder":             "the parts were not listed in ascending order at completion; this is a bug in haul, please report it",
	"BucketAlreadyExists":          "the bucket name is taken by another account; choose another name",
	"BucketAlreadyOwnedByYou":      "you already own this bucket",
	"InvalidBucketName":            "the server rejects this bucket name",
	"InvalidArgument":              "the server rejected an argument of the request; check the object options given (encryption, storage class, ACL)",
	"InvalidStorageClass":          "the server does not know this storage class",
	"AuthorizationHeaderMalformed": "the request was signed for the wrong region; sign for the bucket's region",
	"PermanentRedirect":            "the bucket is in another region or must be reached at another endpoint",
	"SlowDown":                     "the server is throttling requests",
	"RequestTimeTooSkewed":         "this machine's clock differs too much from the server's; fix the clock",
	"PreconditionFailed":           "the object changed while it was being read; run the copy again",
	"NotImplemented":               "the server does not implement this feature",
	"BadDigest":                    "the data the server received does not match its checksum (corrupted in transit)",
	"InvalidRequest":               "the server rejected the request; check the options given",
	"MissingContentLength":         "the server needs the length of the body in advance",
	"KMS.NotFoundException":        "the KMS key was not found",
}

var describeStatus = map[int]string{
	301: "the bucket is in another region or must be reached at another endpoint",
	400: "the server rejected the request",
	403: "access denied; check the credentials and the bucket policy",
	404: "not found; check the bucket and key",
	412: "the object changed while it was being read; run the copy again",
	501: "the server does not implement this feature",
	503: "the server is unavailable or throttling; try again later or send fewer requests at once",
}

// isNetError reports whether err came from the connection rather than from the server:
// resets, refusals, timeouts and truncated bodies, all worth another try.
func isNetError(err error) bool {
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	var oe *net.OpError
	return errors.As(err, &oe) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.ECONNREFUSED) ||
		errors.Is(err, syscall.EPIPE) || errors.Is(err, io.EOF)
}
