package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/haul-s3/haul/object"
	"github.com/haul-s3/haul/s3store"
)

// maxPresign is the longest a presigned URL can be valid: SigV4 allows 7 days.
const maxPresign = 7 * 24 * time.Hour

func (a *app) presignCommand() *cobra.Command {
	expires := time.Hour
	var put bool
	cmd := &cobra.Command{
		Use:   "presign s3://bucket/key [--expires 1h] [--put]",
		Short: "Print a presigned URL that GETs the object (or, with --put, PUTs it) without credentials",
		Long: `Print a URL, signed with the credentials in use, with which anyone can GET the object
(or, with --put, upload a body to that key with a plain HTTP PUT) until it expires: after
--expires (default 1h, at most 7d, the longest a signature lasts). No request is sent: the
object need not exist, and the URL fails once the credentials that signed it are no longer
valid (temporary credentials expire sooner than 7 days).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.presign(cmd.Context(), args[0], expires, put)
		},
	}
	cmd.Flags().Var(ageFlag{&expires}, "expires", "how long the URL is valid, at most 7d (e.g. 90m, 24h, 7d)")
	cmd.Flags().BoolVar(&put, "put", false, "presign a PUT that uploads the request's body to the key, instead of a GET")
	return cmd
}

func (a *app) presign(ctx context.Context, arg string, expires time.Duration, put bool) error {
	switch {
	case expires <= 0:
		return usagef("--expires %s: give a positive duration such as 1h or 7d", expires)
	case expires > maxPresign:
		return usagef("--expires %s: a presigned URL is valid for at most 7 days (--expires 7d)", expires)
	case a.noSign:
		return usagef("presign signs with credentials: it cannot be used with --no-sign-request")
	}
	u, store, err := a.connect(ctx, arg, 1)
	if err != nil {
		return err
	}
	if u.IsDir() {
		return usagef("%s names a prefix, not an object: presign takes a key", arg)
	}
	ref := object.Ref{Bucket: u.Bucket, Key: u.Key}
	var p s3store.Presigned
	if put {
		p, err = store.PresignPut(ctx, ref, expires)
	} else {
		p, err = store.PresignGet(ctx, ref, expires)
	}
	if err != nil {
		return err
	}
	out := a.output()
	if !a.json {
		out.raw(p.URL)
		return nil
	}
	b, err := json.Marshal(struct {
		Event   string `json:"event"`
		Method  string `json:"method"`
		URL     string `json:"url"`
		Src     string `json:"src"`
		Expires string `json:"expires"`
	}{"presigned", p.Method, p.URL, ref.String(), time.Now().Add(expires).UTC().Format(time.RFC3339)})
	if err != nil {
		panic(fmt.Sprintf("cli: encoding presign: %v", err)) // strings only
	}
	out.raw(string(b))
	return nil
}
