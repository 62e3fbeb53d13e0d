package s3store

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/haul-s3/haul/object"
)

// ObjectGrants returns the grants of an object beyond its owner's FULL_CONTROL (GetObjectAcl),
// for a copy to carry: none for a private object, the common case, so that its copy sends no
// grant header (a bucket with ACLs disabled refuses any). When no grant can be read, whatever
// the object (the server keeps no object ACLs and answers 501 NotImplemented or 405
// MethodNotAllowed, as versitygw does; the caller may not read them, AccessDenied, READ_ACP
// being a permission of its own; ACLs are disabled on the bucket,
// AccessControlListNotSupported), the error wraps object.ErrUnreadable and says what the
// server answered; the store's own error is not wrapped, so that it does not read as a
// failure that stops a run. Any other failure is returned as it is.
func (s *Store) ObjectGrants(ctx context.Context, ref object.Ref) ([]object.Grant, error) {
	var grants []object.Grant
	err := s.observe(ctx, "GetObjectAcl", ref.Bucket, ref.Key, 0, "", func(ctx context.Context) error {
		out, err := s.client.GetObjectAcl(ctx, &s3.GetObjectAclInput{Bucket: &ref.Bucket, Key: &ref.Key})
		if err == nil {
			grants = grantsOf(out)
		}
		return err
	})
	if u := unreadable(err); u != nil {
		return nil, u
	}
	return grants, err
}

// unreadable returns, for a failure that means no object's property can be read with these
// credentials on this server, an error wrapping object.ErrUnreadable that names the answer;
// nil for any other.
func unreadable(err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return nil
	}
	switch {
	case e.Code == "NotImplemented" || e.Code == "AccessDenied" || e.Code == "AccessControlListNotSupported" || e.Code == "MethodNotAllowed":
		return fmt.Errorf("%w: %s answered %s", object.ErrUnreadable, e.Op, e.Code)
	case e.Code == "" && (e.Status == 501 || e.Status == 405 || e.Status == 403):
		return fmt.Errorf("%w: %s answered HTTP %d", object.ErrUnreadable, e.Op, e.Status)
	}
	return nil
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
