package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/haul-s3/haul/internal/bytesize"
	"github.com/haul-s3/haul/s3store"
)

func (a *app) statCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "stat s3://bucket/key",
		Short: "Print an object's size, ETag, time, storage class, checksums, encryption, metadata and tags",
		Long: `Print what the server says of an object (one HEAD request, with checksum mode on):
its size, ETag, last-modified time, storage class, content type, every checksum the server
returns, server-side encryption (and the KMS key), version ID and user metadata, one
"Field: value" line each, and the object's tags (a second request, GetObjectTagging; a
server that keeps no tags is said in a "Tags:" line, and stat still succeeds). A field the
server does not return is left out (S3 leaves the storage class out for STANDARD). --json
prints the same as one JSON object.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.stat(cmd.Context(), args[0])
		},
	}
}

// statJSON is what stat --json prints: one object, its field names those of the events
// (output.go) where they say the same thing.
type statJSON struct {
	Event           string            `json:"event"` // "stat"
	URL             string            `json:"url"`
	Bucket          string            `json:"bucket"`
	Key             string            `json:"key"`
	Size            int64             `json:"size"`
	ETag            string            `json:"etag"`
	LastModified    string            `json:"last_modified,omitempty"`
	StorageClass    string            `json:"storage_class,omitempty"`
	ContentType     string            `json:"content_type,omitempty"`
	ContentEncoding string            `json:"content_encoding,omitempty"`
	CacheControl    string            `json:"cache_control,omitempty"`
	VersionID       string            `json:"version_id,omitempty"`
	Checksums       map[string]string `json:"checksums,omitempty"` // algorithm -> base64, as the server sent them
	ChecksumType    string            `json:"checksum_type,omitempty"`
	SSE             string            `json:"sse,omitempty"`
	SSEKMSKeyID     string            `json:"sse_kms_key_id,omitempty"`
	SSECustomer     string            `json:"sse_customer_algorithm,omitempty"`
	Metadata        map[string]string `json:"metadata,omitempty"`
	Tags            map[string]string `json:"tags,omitempty"`
	TagsUnread      string            `json:"tags_unread,omitempty"` // why the tags could not be read
}

func (a *app) stat(ctx context.Context, arg string) error {
	u, store, err := a.connect(ctx, arg, 1)
	if err != nil {
		return err
	}
	if u.IsDir() {
		return usagef("%s names a prefix, not an object: stat takes a key (haul du counts what is under a prefix)", arg)
	}
	var st s3store.Stat
	err = retrying(store).do(ctx, func(ctx context.Context) error {
		st, err = store.Stat(ctx, u)
		return err
	})
	out := a.output()
	if err != nil {
		out.summary(event{}, "", err) // with --json: a summary event with the error, as ls gives
		return err
	}
	j := statJSON{Event: "stat", URL: u.String(), Bucket: u.Bucket, Key: u.Key, Size: st.Size, ETag: st.ETag,
		StorageClass: st.StorageClass, ContentType: st.ContentType, ContentEncoding: st.ContentEncoding,
		CacheControl: st.CacheControl, VersionID: st.VersionID, Checksums: st.Checksums, ChecksumType: st.ChecksumType,
		SSE: st.SSE, SSEKMSKeyID: st.SSEKMSKeyID, SSECustomer: st.SSECustomer, Metadata: st.Metadata}
	if !st.LastModified.IsZero() {
		j.LastModified = st.LastModified.UTC().Format(time.RFC3339)
	}
	err = retrying(store).do(ctx, func(ctx context.Context) error {
		j.Tags, err = store.ObjectTags(ctx, u)
		return err
	})
	if err != nil { // the rest is known: said in a line, not a failure of stat
		j.Tags, j.TagsUnread = nil, tagsUnread(err)
	}
	if a.json {
		b, err := json.Marshal(j)
		if err != nil {
			panic(fmt.Sprintf("cli: encoding stat: %v", err)) // strings, numbers and maps of strings only
		}
		out.raw(string(b))
		return nil
	}
	out.raw(statText(&j))
	return nil
}

// statText writes the "Field: value" lines of stat, the values aligned, without a final
// newline.
func statText(j *statJSON) string {
	type field struct{ name, value string }
	fields := []field{
		{"URL", j.URL},
		{"Size", fmt.Sprintf("%d (%s)", j.Size, bytesize.Format(j.Size))},
		{"ETag", j.ETag},
		{"Last modified", j.LastModified},
		{"Storage class", j.StorageClass},
		{"Content type", j.ContentType},
		{"Content encoding", j.ContentEncoding},
		{"Cache control", j.CacheControl},
		{"Version ID", j.VersionID},
	}
	for _, alg := range slices.Sorted(maps.Keys(j.Checksums)) {
		v := j.Checksums[alg]
		if j.ChecksumType != "" {
			v += " (" + strings.ToLower(strings.ReplaceAll(j.ChecksumType, "_", " ")) + ")"
		}
		fields = append(fields, field{"Checksum " + alg, v})
	}
	sse := j.SSE
	if j.SSEKMSKeyID != "" {
		sse += " (KMS key " + j.SSEKMSKeyID + ")"
	}
	if j.SSECustomer != "" {
		sse = strings.TrimSpace(sse + " SSE-C " + j.SSECustomer)
	}
	fields = append(fields, field{"Encryption", sse})
	for _, k := range slices.Sorted(maps.Keys(j.Metadata)) {
		fields = append(fields, field{"Metadata " + k, j.Metadata[k]})
	}
	for _, k := range slices.Sorted(maps.Keys(j.Tags)) {
		fields = append(fields, field{"Tag " + k, j.Tags[k]})
	}
	if j.TagsUnread != "" {
		fields = append(fields, field{"Tags", "not read: " + j.TagsUnread})
	}
	width := 0
	for _, f := range fields {
		if f.value != "" {
			width = max(width, len(f.name)+1)
		}
	}
	var b strings.Builder
	for _, f := range fields {
		if f.value == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprintf(&b, "%-*s %s", width, f.name+":", f.value)
	}
	return b.String()
}

// raw prints line on stdout as it is, also with --json: the one answer of a command that
// prints a JSON object of its own (stat, presign).
func (o *output) raw(line string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fmt.Fprintln(o.stdout, line)
}
