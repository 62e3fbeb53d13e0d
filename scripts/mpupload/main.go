//go:build ignore

// Command mpupload uploads a file as one multipart object the way other tools do, without
// haul's metadata, for scripts/bench-checksum.sh: aws-cli sends a CRC32 with every part
// (-checksum CRC32, 8 MiB parts), rclone and s5cmd send none (-checksum ""). It reads the
// endpoint and credentials from AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID and
// AWS_SECRET_ACCESS_KEY.
//
//	go run scripts/mpupload/main.go -bucket bench -key awscli -file big -part-mib 8 -checksum CRC32
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
)

func main() {
	bucket := flag.String("bucket", "", "bucket")
	key := flag.String("key", "", "key")
	file := flag.String("file", "", "file to upload")
	partMiB := flag.Int64("part-mib", 8, "part size in MiB")
	alg := flag.String("checksum", "CRC32", "checksum sent with every part (empty: none)")
	flag.Parse()
	if err := upload(context.Background(), *bucket, *key, *file, *partMiB<<20, types.ChecksumAlgorithm(*alg)); err != nil {
		fmt.Fprintln(os.Stderr, "mpupload:", err)
		os.Exit(1)
	}
}

func upload(ctx context.Context, bucket, key, file string, partSize int64, alg types.ChecksumAlgorithm) error {
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(os.Getenv("AWS_ENDPOINT_URL")), UsePathStyle: true,
		Credentials:                credentials.NewStaticCredentialsProvider(os.Getenv("AWS_ACCESS_KEY_ID"), os.Getenv("AWS_SECRET_ACCESS_KEY"), ""),
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired})
	f, err := os.Open(file)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	created, err := c.CreateMultipartUpload(ctx, &s3.CreateMultipartUploadInput{Bucket: &bucket, Key: &key, ChecksumAlgorithm: alg})
	if err != nil {
		return err
	}
	var parts []types.CompletedPart
	for n, off := int32(1), int64(0); off < fi.Size(); n, off = n+1, off+partSize {
		body := io.NewSectionReader(f, off, min(partSize, fi.Size()-off))
		out, err := c.UploadPart(ctx, &s3.UploadPartInput{Bucket: &bucket, Key: &key, UploadId: created.UploadId,
			PartNumber: aws.Int32(n), Body: body, ChecksumAlgorithm: alg})
		if err != nil {
			return err
		}
		parts = append(parts, types.CompletedPart{PartNumber: aws.Int32(n), ETag: out.ETag, ChecksumCRC32: out.ChecksumCRC32})
	}
	_, err = c.CompleteMultipartUpload(ctx, &s3.CompleteMultipartUploadInput{Bucket: &bucket, Key: &key, UploadId: created.UploadId,
		MultipartUpload: &types.CompletedMultipartUpload{Parts: parts}})
	return err
}
