// Command genman writes haul's man pages, one per command, into the directory it is given
// (make man runs it with bin/man).
package main

import (
	"fmt"
	"os"

	"github.com/haul-s3/haul/internal/cli"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: genman DIR")
		os.Exit(2)
	}
	if err := cli.ManPages(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "genman:", err)
		os.Exit(1)
	}
}
