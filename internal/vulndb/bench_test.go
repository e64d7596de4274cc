package vulndb

import (
	"os"
	"testing"

	"github.com/drydock/drydock/internal/vulndb/osv"
)

func BenchmarkDecodeEntry(b *testing.B) {
	for _, f := range []string{"osv/testdata/GO-2024-3228.json", "osv/testdata/GHSA-jfh8-c2jp-5v3q.json"} {
		data, err := os.ReadFile(f)
		if err != nil {
			b.Fatal(err)
		}
		e, err := osv.Parse(data)
		if err != nil {
			b.Fatal(err)
		}
		enc := encodeEntry(nil, e)
		b.Run(e.ID, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(enc)))
			for b.Loop() {
				if _, err := decodeEntry(enc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
