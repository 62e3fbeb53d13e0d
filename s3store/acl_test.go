package s3store

import (
	"errors"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/haul-s3/haul/object"
)

// An ACL becomes the grants a copy sends: the owner's FULL_CONTROL and any WRITE left out,
// each grantee in the form of the x-amz-grant-* headers; the headers are set only without a
// canned ACL.
func TestGrantsOfAnACL(t *testing.T) {
	const all = "http://acs.amazonaws.com/groups/global/AllUsers"
	acl := &s3.GetObjectAclOutput{Owner: &types.Owner{ID: aws.String("me")}, Grants: []types.Grant{
		{Grantee: &types.Grantee{ID: aws.String("me")}, Permission: types.PermissionFullControl},
		{Grantee: &types.Grantee{ID: aws.String("me")}, Permission: types.PermissionReadAcp},
		{Grantee: &types.Grantee{URI: aws.String(all)}, Permission: types.PermissionRead},
		{Grantee: &types.Grantee{ID: aws.String("friend")}, Permission: types.PermissionFullControl},
		{Grantee: &types.Grantee{EmailAddress: aws.String("a@b.example")}, Permission: types.PermissionWriteAcp},
		{Grantee: &types.Grantee{URI: aws.String(all)}, Permission: types.PermissionWrite},
		{Grantee: &types.Grantee{Type: types.TypeCanonicalUser}, Permission: types.PermissionFullControl}, // MinIO's owner
	}}
	got := grantsOf(acl)
	want := []object.Grant{
		{Grantee: `id="me"`, Permission: "READ_ACP"},
		{Grantee: `uri="` + all + `"`, Permission: "READ"},
		{Grantee: `id="friend"`, Permission: "FULL_CONTROL"},
		{Grantee: `emailAddress="a@b.example"`, Permission: "WRITE_ACP"},
	}
	if !slices.Equal(got, want) {
		t.Fatalf("grants %v, want %v", got, want)
	}
	if !want[1].Portable() || want[2].Portable() || want[3].Portable() {
		t.Errorf("only a group's grant is portable")
	}

	in := &s3.PutObjectInput{}
	f := grantFields{&in.GrantFullControl, &in.GrantRead, &in.GrantReadACP, &in.GrantWriteACP}
	f.set(&object.Options{Grants: append(got, object.Grant{Grantee: `id="other"`, Permission: "READ"})})
	if aws.ToString(in.GrantRead) != `uri="`+all+`", id="other"` || aws.ToString(in.GrantFullControl) != `id="friend"` ||
		aws.ToString(in.GrantReadACP) != `id="me"` || aws.ToString(in.GrantWriteACP) != `emailAddress="a@b.example"` {
		t.Errorf("headers: full %q read %q read-acp %q write-acp %q", aws.ToString(in.GrantFullControl), aws.ToString(in.GrantRead),
			aws.ToString(in.GrantReadACP), aws.ToString(in.GrantWriteACP))
	}
	in = &s3.PutObjectInput{}
	grantFields{&in.GrantFullControl, &in.GrantRead, &in.GrantReadACP, &in.GrantWriteACP}.set(&object.Options{ACL: "private", Grants: got})
	if in.GrantRead != nil || in.GrantFullControl != nil {
		t.Errorf("grant headers set beside a canned ACL")
	}
}

// A private object's ACL, the owner's FULL_CONTROL alone (with or without the owner's ID,
// as MinIO sends it), gives no grants: its copy sends no grant header, which a bucket with
// ACLs disabled would refuse.
func TestGrantsOfAPrivateObject(t *testing.T) {
	for _, acl := range []*s3.GetObjectAclOutput{
		{Owner: &types.Owner{ID: aws.String("me")}, Grants: []types.Grant{{Grantee: &types.Grantee{ID: aws.String("me")}, Permission: types.PermissionFullControl}}},
		{Owner: &types.Owner{}, Grants: []types.Grant{{Grantee: &types.Grantee{Type: types.TypeCanonicalUser}, Permission: types.PermissionFullControl}}},
	} {
		if got := grantsOf(acl); len(got) != 0 {
			t.Errorf("grants %v of a private object, want none", got)
		}
		in := &s3.CopyObjectInput{}
		grantFields{&in.GrantFullControl, &in.GrantRead, &in.GrantReadACP, &in.GrantWriteACP}.set(&object.Options{Grants: grantsOf(acl)})
		if in.GrantFullControl != nil || in.GrantRead != nil || in.GrantReadACP != nil || in.GrantWriteACP != nil {
			t.Errorf("grant headers set for a private object")
		}
	}
}

// The answers that mean no object's grants or tags can be read here wrap
// object.ErrUnreadable, without the store's error (which would read as a failure that
// stops a run); any other failure is not one of them.
func TestUnreadable(t *testing.T) {
	for _, tc := range []struct {
		err  *Error
		want bool
	}{
		{&Error{Op: "GetObjectAcl", Code: "NotImplemented", Status: 501}, true},
		{&Error{Op: "GetObjectAcl", Status: 501}, true},
		{&Error{Op: "GetObjectAcl", Code: "MethodNotAllowed", Status: 405}, true},
		{&Error{Op: "GetObjectAcl", Code: "AccessDenied", Status: 403}, true},
		{&Error{Op: "GetObjectAcl", Code: "AccessControlListNotSupported", Status: 400}, true},
		{&Error{Op: "GetObjectAcl", Status: 500}, false},
		{&Error{Op: "GetObjectAcl", Code: "NoSuchKey", Status: 404}, false},
	} {
		u := unreadable(tc.err)
		if (u != nil) != tc.want {
			t.Errorf("%v: unreadable %v, want %v", tc.err, u, tc.want)
			continue
		}
		if u != nil && (!errors.Is(u, object.ErrUnreadable) || errors.As(u, new(*Error))) {
			t.Errorf("%v: %v wraps the store's error or not ErrUnreadable", tc.err, u)
		}
	}
}
