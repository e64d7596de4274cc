package cli

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(t.Context(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

// cliCase is a command line and what it should give: the exit code, and
// text that stdout and stderr contain.
type cliCase struct {
	name   string
	args   []string
	code   int
	stdout string
	stderr string
}

// runCases runs each case as a subtest, its args after prefix.
func runCases(t *testing.T, prefix []string, cases []cliCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append(slices.Clip(prefix), tc.args...)
			code, out, errs := run(t, args...)
			if code != tc.code || !strings.Contains(out, tc.stdout) || !strings.Contains(errs, tc.stderr) {
				t.Errorf("drydock %q = %d, stdout %.600q, stderr %q; want %d, %q, %q", args, code, out, errs, tc.code, tc.stdout, tc.stderr)
			}
		})
	}
}

func TestExitCodes(t *testing.T) {
	runCases(t, nil, []cliCase{
		{name: "version", args: []string{"version"}, code: ExitOK, stdout: "drydock "},
		{name: "unknown flag", args: []string{"serve", "--nope"}, code: ExitUsage, stderr: "unknown flag"},
		{name: "extra args", args: []string{"version", "x"}, code: ExitUsage, stderr: "unknown command"},
		{name: "unknown command", args: []string{"frobnicate"}, code: ExitUsage, stderr: "unknown command"},
		{name: "bad config", args: []string{"serve", "--config", "/nonexistent.yaml"}, code: ExitUsage, stderr: "nonexistent.yaml"},
	})
}
