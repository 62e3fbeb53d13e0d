package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/haul-s3/haul/s3store"
	"github.com/haul-s3/haul/transfer"
)

// stopError is a copy that a failure every item would meet stopped early (an unreachable
// endpoint, a missing bucket, refused credentials, access denied); done counts the items
// finished before it. It has not been printed yet: run prints it with explain.
type stopError struct {
	err  error // the failure, an *s3store.Error in practice
	done int
}

func (e *stopError) Error() string { return e.err.Error() }
func (e *stopError) Unwrap() error { return e.err }

// explain says what a failure that stops a run was about: what was tried (the bucket, the
// endpoint and where its URL came from, where the credentials came from) and what to do.
// Failures of other kinds are returned as they are.
func (a *app) explain(err error) string {
	var e *s3store.Error
	if !errors.As(err, &e) {
		return advise(err)
	}
	detail := storeAdvice(e)
	if detail == "" {
		detail = e.Detail()
	}
	at := a.endpointDesc()
	switch {
	case e.Unreachable():
		return fmt.Sprintf("cannot reach the S3 endpoint %s: %s. Check the URL and port and that the server is running, or give the right one with --endpoint-url",
			at, e.Detail())
	case e.Code == "NoSuchBucket":
		return fmt.Sprintf("bucket %q does not exist at %s. Check its name (haul ls lists the buckets), or create it with haul mb s3://%s (or cp --create-bucket)",
			e.Bucket, at, e.Bucket)
	case e.StopsRun():
		return fmt.Sprintf("the S3 endpoint %s refused the credentials %s: %s", at, a.credentialsDesc(), detail)
	case e.Denied():
		return fmt.Sprintf("access denied to bucket %q at %s with the credentials %s (%s): %s",
			e.Bucket, at, a.credentialsDesc(), e.Op, detail)
	}
	return advise(err)
}

// endpointDesc names the endpoint in use and where its URL came from.
func (a *app) endpointDesc() string {
	if a.st == nil {
		return "the endpoint"
	}
	from := map[string]string{"config": "--endpoint-url", "profile": "endpoint_url in the profile"}[a.st.EndpointFrom]
	if from == "" {
		from = a.st.EndpointFrom
	}
	if a.st.Endpoint == "" {
		return fmt.Sprintf("AWS S3 in region %s (no --endpoint-url, AWS_ENDPOINT_URL or profile endpoint_url is set)", a.st.Region)
	}
	return fmt.Sprintf("%s (from %s)", a.st.Endpoint, from)
}

// credentialsDesc says where the credentials in use came from, in the SDK's words.
func (a *app) credentialsDesc() string {
	if a.st == nil || a.st.CredentialsFrom == "" {
		return "from the standard AWS chain"
	}
	src := a.st.CredentialsFrom
	switch {
	case src == "AnonymousCredentials":
		return "of no one (--no-sign-request: the bucket must allow anonymous access)"
	case strings.HasPrefix(src, "EnvConfigCredentials"):
		src = "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"
	case strings.HasPrefix(src, "SharedConfigCredentials"):
		src = "the shared credentials file" + strings.TrimPrefix(src, "SharedConfigCredentials")
	}
	return "from " + src
}

// stoppedBy returns the failure that stopped a copy, if one did.
func stoppedBy(err error) (error, bool) {
	var se *transfer.StoppedError
	if errors.As(err, &se) {
		return se.Err, true
	}
	return nil, false
}
