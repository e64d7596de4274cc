// Package list is the explicit list of extractors: adding one means adding
// it here (a test checks that every extractor package is listed). It is a
// package of its own because the extractors import extract for its
// contract, so extract cannot import them.
package list

import (
	"github.com/drydock/drydock/internal/scan/extract"
	"github.com/drydock/drydock/internal/scan/extract/apk"
	"github.com/drydock/drydock/internal/scan/extract/composer"
	"github.com/drydock/drydock/internal/scan/extract/dotnet"
	"github.com/drydock/drydock/internal/scan/extract/dpkg"
	"github.com/drydock/drydock/internal/scan/extract/gem"
	"github.com/drydock/drydock/internal/scan/extract/gobinary"
	"github.com/drydock/drydock/internal/scan/extract/java"
	"github.com/drydock/drydock/internal/scan/extract/npm"
	"github.com/drydock/drydock/internal/scan/extract/python"
	"github.com/drydock/drydock/internal/scan/extract/rpm"
	"github.com/drydock/drydock/internal/scan/extract/rustbinary"
)

// All returns every extractor, OS package databases first.
func All() []extract.Extractor {
	return []extract.Extractor{
		apk.Extractor{},
		dpkg.Extractor{},
		rpm.Extractor{},
		gobinary.Extractor{},
		npm.Extractor{},
		python.Extractor{},
		java.Extractor{},
		gem.Extractor{},
		composer.Extractor{},
		dotnet.Extractor{},
		rustbinary.Extractor{},
	}
}
