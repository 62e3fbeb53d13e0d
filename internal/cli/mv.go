package cli

import (
	"github.com/spf13/cobra"
)

func (a *app) mvCommand() *cobra.Command {
	f := cpFlags{move: true}
	cmd := &cobra.Command{
		Use:   "mv SOURCE DEST",
		Short: "Move files to S3, objects from S3, or objects between S3 locations",
		Long: `Move a file or a directory (-r) to S3, an object or a prefix (-r) from S3 to a file or a
directory, or an object or a prefix (-r) to another bucket, key or server: cp, then the
source of each item is removed once its copy is done and verified. An item that fails, or
whose copy cannot be verified, keeps its source.

  haul mv FILE s3://bucket/key            haul mv s3://bucket/key FILE
  haul mv -r DIR s3://bucket/prefix/      haul mv -r s3://bucket/prefix/ DIR
  haul mv s3://a/key s3://b/key2          haul mv -r s3://a/prefix/ s3://b/prefix/

A download is verified as cp --verify required verifies it (give --verify false to move
objects that nothing can verify). A copy within one server is checked by its size and the
ETag the server gave the copy; a copy between servers against the source's checksum. Local
directories emptied by mv -r are left in place.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.checksumSet = cmd.Flags().Changed(f.checksumFlag)
			return a.cp(cmd.Context(), &f, args[0], args[1])
		},
	}
	fl := cmd.Flags()
	fl.BoolVarP(&f.recursive, "recursive", "r", false, "move a directory or a whole prefix")
	f.register(fl, "checksum", "with -r, ")
	fl.BoolVar(&f.failIfEmpty, "fail-if-empty", false, "exit 1 if the prefix holds no objects (mv -r from S3)")
	fl.BoolVar(&f.dryRun, "dry-run", false, "print what would be moved, one line per item, and the requests it takes; send nothing that carries or fetches object bodies, and remove nothing")
	f.copy.register(fl)
	return cmd
}
