package sqlmeta

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

func TestLoadMigrations(t *testing.T) {
	file := func(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }
	tests := []struct {
		name    string
		fs      fstest.MapFS
		want    []int64
		wantErr bool
	}{
		{"ordered by number", fstest.MapFS{
			"migrations/0010_c.sql": file("c"), "migrations/0002_b.sql": file("b"), "migrations/0001_a.sql": file("{{ID}}"),
		}, []int64{1, 2, 10}, false},
		{"duplicate version", fstest.MapFS{"migrations/0001_a.sql": file("a"), "migrations/1_b.sql": file("b")}, nil, true},
		{"no number", fstest.MapFS{"migrations/init.sql": file("a")}, nil, true},
		{"zero", fstest.MapFS{"migrations/0000_a.sql": file("a")}, nil, true},
		{"not a number", fstest.MapFS{"migrations/x1_a.sql": file("a")}, nil, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ms, err := loadMigrations(tc.fs)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, wantErr %v", err, tc.wantErr)
			}
			var got []int64
			for _, m := range ms {
				got = append(got, m.version)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("versions (-want +got):\n%s", diff)
			}
		})
	}
	ms, err := loadMigrations(migrationFS)
	if err != nil || len(ms) == 0 {
		t.Fatalf("embedded migrations: %v, %v", ms, err)
	}
	if ms[0].name != "0001_init" || !strings.Contains(ms[0].script, "INTEGER PRIMARY KEY") || strings.Contains(ms[0].script, "{{") {
		t.Errorf("embedded 0001 not loaded with dialect tokens replaced: %s", ms[0].name)
	}
}
