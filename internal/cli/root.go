// Package cli implements the drydock command line: one file per subcommand,
// each built by a newXCmd constructor that writes to injected streams, so
// tests call [Main] exactly as main does.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

// Exit codes shared by every subcommand (see PRODUCT.md).
const (
	ExitOK       = 0
	ExitFailure  = 1
	ExitUsage    = 2
	ExitFindings = 3
)

// exitCoder is implemented by errors that choose the process exit code.
type exitCoder interface{ ExitCode() int }

// usageError marks a command-line mistake (exit code 2).
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }
func (e usageError) ExitCode() int { return ExitUsage }

// globals are the settings every subcommand shares.
type globals struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// dataDir is --data (default ./drydock-data, env DRYDOCK_DATA).
	dataDir string
}

// Main runs drydock with args (without the program name) and returns the
// process exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	g := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRootCmd(g)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return ExitOK
	}
	fmt.Fprintf(stderr, "drydock: %v\n", err)
	var ec exitCoder
	if errors.As(err, &ec) {
		return ec.ExitCode()
	}
	return ExitFailure
}

func newRootCmd(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:           "drydock",
		Short:         "A private container registry that scans every image pushed to it",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	defData := os.Getenv("DRYDOCK_DATA")
	if defData == "" {
		defData = "./drydock-data"
	}
	root.PersistentFlags().StringVar(&g.dataDir, "data", defData, "data directory (env DRYDOCK_DATA)")
	// The explicit list of subcommands.
	root.AddCommand(
		newServeCmd(g),
		newVersionCmd(g),
		newDBCmd(g),
		newScanCmd(g),
		newAdminCmd(g),
		newQueryCmd(g),
	)
	root.Args = func(_ *cobra.Command, args []string) error {
		if len(args) > 0 {
			return usageError{fmt.Errorf("unknown command %q; see 'drydock --help'", args[0])}
		}
		return nil
	}
	root.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	for _, c := range root.Commands() {
		wrapArgs(c)
	}
	return root
}

// wrapArgs turns cobra's argument-count errors into usage errors (exit 2).
func wrapArgs(c *cobra.Command) {
	if c.Args != nil {
		orig := c.Args
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := orig(cmd, args); err != nil {
				return usageError{err}
			}
			return nil
		}
	}
	for _, sub := range c.Commands() {
		wrapArgs(sub)
	}
}
