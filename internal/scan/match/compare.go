package match

import (
	"fmt"

	"github.com/drydock/drydock/internal/finding"
	"github.com/drydock/drydock/internal/pkg"
	"github.com/drydock/drydock/internal/version"
)

// schemes maps package types to the version scheme that orders them.
var schemes = map[pkg.Type]version.Ecosystem{
	pkg.TypeAPK:      version.APK,
	pkg.TypeDeb:      version.Dpkg,
	pkg.TypeRPM:      version.RPM,
	pkg.TypeGoModule: version.Go,
	pkg.TypeNPM:      version.SemVer,
	pkg.TypePyPI:     version.PEP440,
	pkg.TypeMaven:    version.Maven,
	pkg.TypeGem:      version.RubyGems,
	pkg.TypeCargo:    version.SemVer,
	pkg.TypeComposer: version.Composer,
	pkg.TypeNuGet:    version.NuGet,
}

// Scheme returns the version scheme of a package type.
func Scheme(t pkg.Type) (version.Ecosystem, error) {
	s, ok := schemes[t]
	if !ok {
		return "", fmt.Errorf("match: package type %q: %w", t, version.ErrUnsupportedEcosystem)
	}
	return s, nil
}

// Compare orders two versions of a package type; it is the
// [finding.CompareFunc] that report plans use.
func Compare(pkgType, a, b string) (int, error) {
	s, err := Scheme(pkg.Type(pkgType))
	if err != nil {
		return 0, err
	}
	return version.Compare(s, a, b)
}

var _ finding.CompareFunc = Compare
