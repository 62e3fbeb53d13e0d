package s3test

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// Client returns an AWS SDK v2 S3 client for the server: path-style
// addressing, static credentials, the server's region and endpoint. It does
// not read the environment or ~/.aws.
func (s *Server) Client(t testing.TB) *s3.Client {
	t.Helper()
	return s.newClient()
}

func (s *Server) newClient(optFns ...func(*s3.Options)) *s3.Client {
	return s3.New(s3.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(
			s.AccessKey, s.SecretKey, ""),
	}, optFns...)
}
