package rpm_test

import (
	"testing"

	"github.com/drydock/drydock/internal/scan/extract/rpm"
)

// BenchmarkParse reads the real databases from memory, as Reduce does
// while a layer streams. Figures (and go-rpmdb's on the same files) are
// in doc.go.
func BenchmarkParse(b *testing.B) {
	for _, db := range databases {
		if db.name == "built" || db.name == "built-le" || db.name == "built-be" {
			continue
		}
		b.Run(db.name, func(b *testing.B) {
			data := testdata(b, db.file)
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				hs, err := rpm.Parse(data)
				if err != nil {
					b.Fatal(err)
				}
				n = len(hs)
			}
			b.ReportMetric(float64(n), "pkgs")
		})
	}
}

// BenchmarkReduce is Parse plus the reduced form the layer reader keeps.
func BenchmarkReduce(b *testing.B) {
	data := testdata(b, "centos7-plain.Packages.zst")
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	var ex rpm.Extractor
	for b.Loop() {
		if _, err := ex.Reduce("var/lib/rpm/Packages", data); err != nil {
			b.Fatal(err)
		}
	}
}
