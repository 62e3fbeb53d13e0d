package s3store

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/haul-s3/haul/object"
)

// This file holds the calls of the commands that look at an object or a bucket rather than
// move bytes: stat, presign and rb.

// Stat is everything a HEAD of an object says about it, as the server said it. A field the
// server left out is empty.
type Stat struct {
	object.Info // Key, Size, ETag, LastModified, ContentType, Metadata and the whole-object Checksum

	StorageClass    string // "" when the server sent none (S3 leaves it out for STANDARD)
	CacheControl    string
	ContentEncoding string
	VersionID       string
	// Checksums holds every checksum the server returned (with checksum mode on), by
	// algorithm ("CRC32C", "SHA256", ...), base64 as sent. A multipart object's may be a
	// checksum of its parts' checksums: ChecksumType says which ("FULL_OBJECT" or
	// "COMPOSITE", when the server says).
	Checksums    map[string]string
	ChecksumType string
	SSE          string // server-side encryption: "AES256", "aws:kms", ...
	SSEKMSKeyID  string
	SSECustomer  string // the algorithm of SSE with a customer key (SSE-C)
}

// Stat asks for the object's properties with one HeadObject (checksum mode on). A missing
// object is a NoSuchKey *Error and, as with HeadObject, a missing bucket a NoSuchBucket one.
func (s *Store) Stat(ctx context.Context, ref object.Ref) (Stat, error) {
	out, err := s.head(ctx, ref)
	if err != nil {
		return Stat{}, err
	}
	return statOf(ref.Key, out), nil
}

func statOf(key string, out *s3.HeadObjectOutput) Stat {
	st := Stat{
		Info:         infoOf(key, out),
		StorageClass: string(out.StorageClass), CacheControl: aws.ToString(out.CacheControl),
		ContentEncoding: aws.ToString(out.ContentEncoding), VersionID: aws.ToString(out.VersionId),
		ChecksumType: string(out.ChecksumType), SSE: string(out.ServerSideEncryption),
		SSEKMSKeyID: aws.ToString(out.SSEKMSKeyId), SSECustomer: aws.ToString(out.SSECustomerAlgorithm),
	}
	for alg, v := range map[string]*string{
		object.ChecksumCRC32C: out.ChecksumCRC32C, object.ChecksumCRC32: out.ChecksumCRC32,
		object.ChecksumCRC64NVME: out.ChecksumCRC64NVME, object.ChecksumSHA256: out.ChecksumSHA256,
		object.ChecksumSHA1: out.ChecksumSHA1, object.ChecksumMD5: out.ChecksumMD5,
		"SHA512": out.ChecksumSHA512, "XXHASH64": out.ChecksumXXHASH64, "XXHASH3": out.ChecksumXXHASH3,
		"XXHASH128": out.ChecksumXXHASH128,
	} {
		if aws.ToString(v) != "" {
			if st.Checksums == nil {
				st.Checksums = map[string]string{}
			}
			st.Checksums[alg] = *v
		}
	}
	return st
}

// Presigned is a presigned request: anyone who has it may send it, unsigned, until it
// expires.
type Presigned struct {
	Method string
	URL    string
	// Header holds the headers the request must be sent with, as signed (Host aside).
	Header http.Header
}

// PresignGet returns a GET of the object, signed to be valid for expires from now. It sends
// no request; nothing checks that the object exists. A store with no credentials
// (Config.Anonymous) cannot sign: it returns an error.
func (s *Store) PresignGet(ctx context.Context, ref object.Ref, expires time.Duration) (Presigned, error) {
	return s.presign(ref, "GetObject", func(c *s3.PresignClient) (string, string, http.Header, error) {
		r, err := c.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: &ref.Bucket, Key: &ref.Key}, s3.WithPresignExpires(expires))
		if err != nil {
			return "", "", nil, err
		}
		return r.Method, r.URL, r.SignedHeader, nil
	})
}

// PresignPut returns a PUT of the object (its body is the request's), signed to be valid for
// expires from now; see PresignGet.
func (s *Store) PresignPut(ctx context.Context, ref object.Ref, expires time.Duration) (Presigned, error) {
	return s.presign(ref, "PutObject", func(c *s3.PresignClient) (string, string, http.Header, error) {
		r, err := c.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: &ref.Bucket, Key: &ref.Key}, s3.WithPresignExpires(expires))
		if err != nil {
			return "", "", nil, err
		}
		return r.Method, r.URL, r.SignedHeader, nil
	})
}

// ErrAnonymous is returned by the presigning calls of a store without credentials.
var ErrAnonymous = errors.New("requests are sent unsigned (no credentials), so none can be presigned")

func (s *Store) presign(ref object.Ref, op string, sign func(*s3.PresignClient) (string, string, http.Header, error)) (Presigned, error) {
	if s.CredentialsFrom == "AnonymousCredentials" {
		return Presigned{}, &Error{Op: op, Bucket: ref.Bucket, Key: ref.Key, Err: ErrAnonymous}
	}
	method, url, header, err := sign(s3.NewPresignClient(s.client))
	if err != nil {
		return Presigned{}, wrap(err, op, ref.Bucket, ref.Key, "", 0)
	}
	header.Del("Host")
	return Presigned{Method: method, URL: url, Header: header}, nil
}

// DeleteBucket deletes the bucket, which must be empty. A bucket that still holds objects,
// object versions or delete markers is a BucketNotEmpty *Error (some servers also count
// incomplete multipart uploads).
func (s *Store) DeleteBucket(ctx context.Context, bucket string) error {
	return s.observe(ctx, "DeleteBucket", bucket, "", 0, "", func(ctx context.Context) error {
		_, err := s.client.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: &bucket})
		return err
	})
}

// Versioning returns the bucket's versioning status: "Enabled", "Suspended", or "" for a
// bucket that was never versioned.
func (s *Store) Versioning(ctx context.Context, bucket string) (string, error) {
	var status string
	err := s.observe(ctx, "GetBucketVersioning", bucket, "", 0, "", func(ctx context.Context) error {
		out, err := s.client.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &bucket})
		if err == nil {
			status = string(out.Status)
		}
		return err
	})
	return status, err
}
