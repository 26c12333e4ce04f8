// Command hookboard is a task board with first-class webhooks: one binary,
// one SQLite file. Run "hookboard -h" for its commands and flags.
package main

import (
	"context"
	"os"

	"hookboard/cli"
)

func main() {
	os.Exit(cli.Run(context.Background(), &cli.Env{
		Args:   os.Args[1:],
		Stdin:  os.Stdin,
		Stdout: os.Stdout,
		Stderr: os.Stderr,
	}))
}
