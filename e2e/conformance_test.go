package e2e

import (
	"testing"

	"github.com/haul-s3/haul/internal/s3test"
	"github.com/haul-s3/haul/s3store"
	"github.com/haul-s3/haul/storetest"
)

// s3store has every optional capability the contract tests, so none of them is skipped.
var (
	_ storetest.PartLister   = (*s3store.Store)(nil)
	_ storetest.UploadLister = (*s3store.Store)(nil)
	_ storetest.Deleter      = (*s3store.Store)(nil)
	_ storetest.PartGetter   = (*s3store.Store)(nil)
)

// quirks are the ways each server is known to differ from S3, as the store contract
// (storetest) finds them through s3store; the README's compatibility table should say the
// same for people.
var quirks = map[string]storetest.Quirks{
	"versitygw": {ImplicitChecksum: "CRC64NVME", CompleteAgainSucceeds: true, PartChecksumsNotGiven: true},
	"minio":     {UploadsInCreationOrder: true, PartCopyChecksumRefused: true},
	"moto": {ChecksumsNotVerified: true, PartChecksumsNotListed: true, CompleteAgainSucceeds: true,
		MissingUploadIs500: true, UploadIDNotTiedToKey: true, UploadsInCreationOrder: true, InitiatedNotReal: true,
		PartChecksumsNotGiven: true, GetIgnoresPartNumber: true, PartHeadIsPartsOwn: true,
		PartCopyChecksumNotGiven: true, CopySourceIfMatchIgnored: true},
}

// TestConformance runs the store contract against s3store on every server.
func TestConformance(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		st, err := s3store.New(t.Context(), s3store.Config{Endpoint: srv.Endpoint, Region: srv.Region,
			AccessKeyID: srv.AccessKey, SecretAccessKey: srv.SecretKey, Addressing: "path"})
		if err != nil {
			t.Fatal(err)
		}
		q, ok := quirks[srv.Kind]
		if !ok {
			t.Fatalf("no quirks recorded for server kind %q", srv.Kind)
		}
		storetest.Run(t, func(t *testing.T) (storetest.Store, string) {
			return st, srv.NewBucket(t)
		}, q)
	})
}
