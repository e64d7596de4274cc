package feed

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestYAMLToJSON(t *testing.T) {
	tests := []struct {
		name  string
		yaml  string
		typed []string
		want  string
		err   string
	}{
		{name: "scalars stay literal", yaml: "id: X-1\nversions:\n- 1.10\n- 0\n- 1e3\n- true\nmodified: 2023-11-07T20:24:23.946863Z\n",
			want: `{"id":"X-1","versions":["1.10","0","1e3","true"],"modified":"2023-11-07T20:24:23.946863Z"}`},
		{name: "null", yaml: "a: ~\nb: null\nc:\n", want: `{"a":null,"b":null,"c":null}`},
		{name: "typed subtree", yaml: "database_specific:\n  n: 10\n  f: 1.5\n  ok: true\n  s: x\nother: 10\n", typed: []string{"database_specific"},
			want: `{"database_specific":{"n":10,"f":1.5,"ok":true,"s":"x"},"other":"10"}`},
		{name: "aliases expand", yaml: "a: &x [1, 2]\nb: *x\n", want: `{"a":["1","2"],"b":["1","2"]}`},
		{name: "quoted and unicode", yaml: "s: \"a\\\"b\"\nu: é\n", want: `{"s":"a\"b","u":"é"}`},
		{name: "two documents", yaml: "a: 1\n---\nb: 2\n", err: "more than one document"},
		{name: "empty", yaml: "", err: "empty document"},
		{name: "duplicate key", yaml: "a: 1\na: 2\n", err: "duplicate key"},
		{name: "not yaml", yaml: "a: [1,\n", err: "yaml"},
		{name: "alias bomb", yaml: `a: &a ["x","x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]
`, err: "expands too much"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := YAMLToJSON([]byte(tc.yaml), tc.typed...)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !errors.Is(err, ErrYAML) {
					t.Fatalf("err = %v, want ErrYAML containing %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, string(got)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzYAMLToJSON(f *testing.F) {
	f.Add([]byte("id: X\naffected:\n- package: {ecosystem: PyPI, name: a}\n"))
	f.Add([]byte("a: &a [1]\nb: [*a, *a]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := YAMLToJSON(data, "database_specific")
		if err != nil {
			return
		}
		if len(out) > 64*len(data)+4096 {
			t.Fatalf("%d bytes of YAML gave %d bytes of JSON", len(data), len(out))
		}
	})
}
