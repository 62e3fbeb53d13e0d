package s3store

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/haul-s3/haul/object"
)

// objectGrants returns the grants of an object beyond its owner's FULL_CONTROL (GetObjectAcl),
// for a copy to carry. A server that keeps no object ACLs (versitygw answers 501
// NotImplemented) and a caller not allowed to read them (AccessDenied: READ_ACP is a
// permission of its own) give none: the copy then gets the bucket's default, as a copy by
// aws-cli does.
func (s *Store) objectGrants(ctx context.Context, ref object.Ref) ([]object.Grant, error) {
	var grants []object.Grant
	err := s.observe(ctx, "GetObjectAcl", ref.Bucket, ref.Key, 0, "", func(ctx context.Context) error {
		out, err := s.client.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: &ref.Bucket, Key: &ref.Key})
		if err == nil {
			grants = grantsOf(out)
		}
		return err
	})
	var e *Error
	if errors.As(err, &e) && (e.Code == "NotImplemented" || e.Status == 501 || e.Code == "AccessDenied") {
		return nil, nil
	}
	return grants, err
}

// grantsOf turns an ACL into grants in the form of the x-amz-grant-* headers, leaving out
// the owner's FULL_CONTROL (the copy's owner is whoever makes it) and WRITE (not a
// permission an object has).
func grantsOf(out *s3.GetObjectAclOutput) []object.Grant {
	var owner string
	if out.Owner != nil && out.Owner.ID != nil {
		owner = *out.Owner.ID
	}
	var grants []object.Grant
	for _, g := range out.Grants {
		if g.Grantee == nil || g.Permission == types.PermissionWrite {
			continue
		}
		var who string
		switch {
		case g.Grantee.URI != nil:
			who = `uri="` + *g.Grantee.URI + `"`
		case g.Grantee.ID != nil && *g.Grantee.ID != "":
			if *g.Grantee.ID == owner && g.Permission == types.PermissionFullControl {
				continue
			}
			who = `id="` + *g.Grantee.ID + `"`
		case g.Grantee.EmailAddress != nil:
			who = `emailAddress="` + *g.Grantee.EmailAddress + `"`
		default:
			continue // MinIO: an owner without an ID
		}
		grants = append(grants, object.Grant{Grantee: who, Permission: string(g.Permission)})
	}
	return grants
}

// grantFields points at the x-amz-grant-* fields of one request's input.
type grantFields struct{ fullControl, read, readACP, writeACP **string }

// set fills the grant headers from o.Grants, unless o names a canned ACL (S3 refuses both).
func (f grantFields) set(o *object.Options) {
	if o == nil || o.ACL != "" || len(o.Grants) == 0 {
		return
	}
	lists := map[string][]string{}
	for _, g := range o.Grants {
		lists[g.Permission] = append(lists[g.Permission], g.Grantee)
	}
	for perm, field := range map[string]**string{string(types.PermissionFullControl): f.fullControl,
		string(types.PermissionRead): f.read, string(types.PermissionReadAcp): f.readACP, string(types.PermissionWriteAcp): f.writeACP} {
		*field = optional(strings.Join(lists[perm], ", "))
	}
}
