// Command haul moves files and directories to and from S3-compatible object storage.
// See the README for usage; the work is done by internal/cli over the transfer engine.
package main

import (
	"os"

	"github.com/haul-s3/haul/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
