package vulndb

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestDataTime(t *testing.T) {
	built := day(20)
	tests := []struct {
		name    string
		meta    []SourceMeta
		stamps  []SourceStamp
		want    time.Time
		sources []time.Time // each source's UpdatedAt
	}{
		{
			name:    "newest data of any source",
			meta:    []SourceMeta{{Name: "a", Newest: day(3)}, {Name: "b", Newest: day(5)}},
			stamps:  []SourceStamp{{Name: "a", ImportedAt: day(10)}, {Name: "b", ImportedAt: day(4), CheckedAt: day(9)}},
			want:    day(5),
			sources: []time.Time{day(3), day(5)},
		},
		{
			name:    "data dated after its fetch counts from the fetch",
			meta:    []SourceMeta{{Name: "a", Newest: day(30)}},
			stamps:  []SourceStamp{{Name: "a", ImportedAt: day(7)}},
			want:    day(7),
			sources: []time.Time{day(7)},
		},
		{
			name:    "undated sources do not count while another is dated",
			meta:    []SourceMeta{{Name: "secdb"}, {Name: "osv", Newest: day(2)}},
			stamps:  []SourceStamp{{Name: "secdb", ImportedAt: day(15)}, {Name: "osv", ImportedAt: day(15)}},
			want:    day(2),
			sources: []time.Time{{}, day(2)},
		},
		{
			name:    "nothing dated: the last fetch",
			meta:    []SourceMeta{{Name: "secdb"}},
			stamps:  []SourceStamp{{Name: "secdb", ImportedAt: day(15), CheckedAt: day(16)}},
			want:    day(16),
			sources: []time.Time{{}},
		},
		{
			name: "nothing at all: the build",
			want: built,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := Status{Meta: Meta{Sources: tt.meta}, Stamp: Stamp{BuiltAt: built, Sources: tt.stamps}}
			if got := st.DataTime(); !got.Equal(tt.want) {
				t.Errorf("DataTime = %v, want %v", got, tt.want)
			}
			if got := st.Age(tt.want.Add(time.Hour)); got != time.Hour {
				t.Errorf("Age an hour later = %v", got)
			}
			var got []time.Time
			for _, s := range st.Sources() {
				got = append(got, s.UpdatedAt)
			}
			if diff := cmp.Diff(tt.sources, got); diff != "" {
				t.Errorf("sources' UpdatedAt (-want +got):\n%s", diff)
			}
		})
	}
}
