package cli

import (
	"bytes"
	"strings"
	"testing"
)

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(t.Context(), args, strings.NewReader(""), &out, &errb)
	return code, out.String(), errb.String()
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{name: "version", args: []string{"version"}, code: ExitOK, stdout: "drydock "},
		{name: "unknown flag", args: []string{"serve", "--nope"}, code: ExitUsage, stderr: "unknown flag"},
		{name: "extra args", args: []string{"version", "x"}, code: ExitUsage, stderr: "unknown command"},
		{name: "unknown command", args: []string{"frobnicate"}, code: ExitUsage, stderr: "unknown command"},
		{name: "bad config", args: []string{"serve", "--config", "/nonexistent.yaml"}, code: ExitUsage, stderr: "nonexistent.yaml"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := run(t, tc.args...)
			if code != tc.code || !strings.Contains(out, tc.stdout) || !strings.Contains(errs, tc.stderr) {
				t.Errorf("drydock %v = %d, stdout %q, stderr %q; want %d, %q, %q", tc.args, code, out, errs, tc.code, tc.stdout, tc.stderr)
			}
		})
	}
}
