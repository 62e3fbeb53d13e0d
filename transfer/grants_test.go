package transfer

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/haul-s3/haul/object"
)

// propsStore is a copyStore that tells grants and tags (GrantReader, TagReader), each
// answer or failure given by the test, and records the options each copy is created with.
type propsStore struct {
	*copyStore
	grants    []object.Grant
	grantsErr error
	tags      map[string]string
	tagCount  int
	mu        sync.Mutex
	created   []object.Options // given to CopyObject, CreateMultipartUpload, PutObject
}

func (s *propsStore) ObjectGrants(ctx context.Context, ref object.Ref) ([]object.Grant, error) {
	s.called("GetObjectAcl")
	return s.grants, s.grantsErr
}

func (s *propsStore) ObjectTags(ctx context.Context, ref object.Ref) (map[string]string, error) {
	s.called("GetObjectTagging")
	return maps.Clone(s.tags), nil
}

func (s *propsStore) DescribeObject(ctx context.Context, ref object.Ref) (object.Info, object.Options, error) {
	info, o, err := s.copyStore.DescribeObject(ctx, ref)
	info.TagCount = s.tagCount
	return info, o, err
}

func (s *propsStore) record(o *object.Options) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.created = append(s.created, *o)
}

func (s *propsStore) CopyObject(ctx context.Context, dst object.Ref, src object.CopySource, o *object.Options) (object.Written, error) {
	s.record(o)
	return s.copyStore.CopyObject(ctx, dst, src, o)
}

func (s *propsStore) CreateMultipartUpload(ctx context.Context, ref object.Ref, o *object.Options) (string, error) {
	s.record(o)
	return s.copyStore.CreateMultipartUpload(ctx, ref, o)
}

var allUsersRead = object.Grant{Grantee: `uri="http://acs.amazonaws.com/groups/global/AllUsers"`, Permission: "READ"}

// A copy carries its source's grants unless given a canned ACL or IgnoreGrants (and then
// does not ask); grants no object's can be read of (object.ErrUnreadable) leave the copy
// without them, said in its Done event; any other failure to read them fails the copy.
func TestCopyGrants(t *testing.T) {
	mine := object.Grant{Grantee: `id="me"`, Permission: "READ_ACP"}
	for _, tc := range []struct {
		name       string
		size       int64
		given      object.Options
		ignore     bool
		grantsErr  error
		asks       int
		want       []object.Grant
		noGrants   bool
		wantFailed bool
	}{
		{"one CopyObject keeps them", 1000, object.Options{}, false, nil, 1, []object.Grant{allUsersRead, mine}, false, false},
		{"a multipart copy keeps them", 12 * mib, object.Options{}, false, nil, 1, []object.Grant{allUsersRead, mine}, false, false},
		{"a canned ACL replaces them, unread", 1000, object.Options{ACL: "private"}, false, nil, 0, nil, false, false},
		{"IgnoreGrants does not read them", 12 * mib, object.Options{}, true, nil, 0, nil, false, false},
		{"unreadable: none, said", 1000, object.Options{}, false, fmt.Errorf("%w: GetObjectAcl answered NotImplemented", object.ErrUnreadable), 1, nil, true, false},
		{"another failure fails the copy", 1000, object.Options{}, false, errors.New("HTTP 500"), 1, nil, false, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := &propsStore{copyStore: newCopyStore("a", "b"), grants: []object.Grant{allUsersRead, mine}, grantsErr: tc.grantsErr}
			put(t, st, copySrc, randomBytes(int(tc.size), 3), object.Options{})
			st.created = nil
			var events []Event
			var mu sync.Mutex
			e := New(st, fastOpts(Options{Object: tc.given, IgnoreGrants: tc.ignore, PartSize: 5 * mib, MultipartThreshold: 8 * mib,
				Observer: ObserverFunc(func(ev Event) { mu.Lock(); events = append(events, ev); mu.Unlock() })}))
			_, err := e.Run(context.Background(), CopyItem(copySrc, copyDst))
			if (err != nil) != tc.wantFailed {
				t.Fatalf("copy: %v, want failed %v", err, tc.wantFailed)
			}
			if n := st.count("GetObjectAcl"); n != tc.asks {
				t.Errorf("%d GetObjectAcl, want %d", n, tc.asks)
			}
			if tc.wantFailed {
				if len(st.created) != 0 {
					t.Errorf("the copy was made: %+v", st.created)
				}
				return
			}
			if len(st.created) != 1 || !slices.Equal(st.created[0].Grants, tc.want) {
				t.Fatalf("the copy was created with %+v, want grants %v", st.created, tc.want)
			}
			noted := false
			for _, ev := range events {
				if ev.Kind == Done && ev.NoGrants != "" {
					noted = true
				}
			}
			if noted != tc.noGrants {
				t.Errorf("Done says the grants could not be read: %v, want %v", noted, tc.noGrants)
			}
		})
	}
}

// Between stores a copy carries only the grants to a group: a user's ID is of one account.
func TestCopyGrantsBetweenStores(t *testing.T) {
	from := &propsStore{copyStore: newCopyStore("a"), grants: []object.Grant{allUsersRead, {Grantee: `id="me"`, Permission: "READ_ACP"}}}
	to := &propsStore{copyStore: newCopyStore("b")}
	put(t, from, copySrc, randomBytes(1000, 4), object.Options{})
	e := New(to, fastOpts(Options{Source: from}))
	if _, err := e.Run(context.Background(), CopyItem(copySrc, copyDst)); err != nil {
		t.Fatal(err)
	}
	if o := stored(t, to.copyStore, copyDst).Options; !slices.Equal(o.Grants, []object.Grant{allUsersRead}) {
		t.Errorf("grants %v, want AllUsers READ alone", o.Grants)
	}
}

// A CopyObject leaves the tags to the server (no read); a multipart copy and a copy
// between stores read them only when the source has some, and tags given replace them.
func TestCopyTags(t *testing.T) {
	src := map[string]string{"team": "blue"}
	for _, tc := range []struct {
		name     string
		size     int64
		between  bool
		count    int
		given    map[string]string
		asks     int
		wantTags map[string]string
	}{
		{"CopyObject: the server copies them", 1000, false, 1, nil, 0, nil},
		{"CopyObject: given replace", 1000, false, 1, map[string]string{"a": "b"}, 0, map[string]string{"a": "b"}},
		{"multipart: read and carried", 12 * mib, false, 1, nil, 1, src},
		{"multipart: none to read", 12 * mib, false, 0, nil, 0, nil},
		{"multipart: given replace, unread", 12 * mib, false, 1, map[string]string{"a": "b"}, 0, map[string]string{"a": "b"}},
		{"between stores: read and carried", 1000, true, 1, nil, 1, src},
	} {
		t.Run(tc.name, func(t *testing.T) {
			from := &propsStore{copyStore: newCopyStore("a", "b"), tags: src, tagCount: tc.count}
			to := from
			opts := Options{Object: object.Options{Tags: tc.given}, PartSize: 5 * mib, MultipartThreshold: 8 * mib}
			if tc.between {
				to = &propsStore{copyStore: newCopyStore("b")}
				opts.Source = from
			}
			put(t, from, copySrc, randomBytes(int(tc.size), 5), object.Options{})
			from.created = nil
			if _, err := New(to, fastOpts(opts)).Run(context.Background(), CopyItem(copySrc, copyDst)); err != nil {
				t.Fatal(err)
			}
			if n := from.count("GetObjectTagging"); n != tc.asks {
				t.Errorf("%d GetObjectTagging, want %d", n, tc.asks)
			}
			o := stored(t, to.copyStore, copyDst).Options
			if tc.between || tc.size > 8*mib {
				if !maps.Equal(o.Tags, tc.wantTags) {
					t.Errorf("the copy was created with tags %v, want %v", o.Tags, tc.wantTags)
				}
				return
			}
			if len(to.created) != 1 || !maps.Equal(to.created[0].Tags, tc.wantTags) || (tc.wantTags == nil) != (to.created[0].Tags == nil) {
				t.Errorf("CopyObject was given tags %+v, want %v", to.created, tc.wantTags)
			}
		})
	}
}

// Once a bucket's grants turn out unreadable (object.ErrUnreadable), the engine does not ask
// for the grants of its other objects, and each copy from it still says why it has none.
func TestCopyGrantsUnreadableAskedOnce(t *testing.T) {
	st := &propsStore{copyStore: newCopyStore("a", "b"), grantsErr: fmt.Errorf("%w: GetObjectAcl answered NotImplemented", object.ErrUnreadable)}
	for i := range 3 {
		put(t, st, object.Ref{Bucket: "a", Key: fmt.Sprintf("p/%d", i)}, randomBytes(100, uint64(i)), object.Options{})
	}
	var noted int
	e := New(st, fastOpts(Options{Concurrency: 1, Observer: ObserverFunc(func(ev Event) {
		if ev.Kind == Done && ev.NoGrants != "" {
			noted++
		}
	})}))
	if _, err := e.Run(context.Background(), e.CopyPrefixItems(object.Ref{Bucket: "a", Key: "p/"}, object.Ref{Bucket: "b", Key: "q/"}, nil)); err != nil {
		t.Fatal(err)
	}
	if n := st.count("GetObjectAcl"); n != 1 || noted != 3 {
		t.Errorf("%d GetObjectAcl and %d copies noted, want 1 and 3", n, noted)
	}
}
