package report

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx/v2/common"
	spdx "github.com/spdx/tools-golang/spdx/v2/v2_3"

	"github.com/drydock/drydock/internal/finding"
)

type spdxHandler struct {
	collector
	w       io.Writer
	version string
}

func newSPDX(w io.Writer, version string) *spdxHandler {
	return &spdxHandler{w: w, version: version}
}

func (h *spdxHandler) Flush() error {
	return h.flush("spdx", func(r *finding.Report) error {
		return spdxjson.Write(buildSPDX(r, h.version), h.w, spdxjson.Indent("  "), spdxjson.EscapeHTML(false))
	})
}

const noAssertion = "NOASSERTION"

// spdxIDUnsafe matches what SPDX does not allow in an element id after
// "SPDXRef-" (only letters, digits, "." and "-" are allowed).
var spdxIDUnsafe = regexp.MustCompile(`[^A-Za-z0-9.-]+`)

// buildSPDX makes an SPDX 2.3 document describing the image: a package for
// the image, one for its OS and one per installed package, the image
// CONTAINS each of them. Purls are PACKAGE-MANAGER references; each
// finding adds a SECURITY advisory reference to its package.
func buildSPDX(r *finding.Report, version string) *spdx.Document {
	name := r.Image.Repository
	if r.Image.Digest != "" {
		name += "@" + r.Image.Digest
	}
	tool := "drydock"
	if version != "" {
		tool += "-" + version
	}
	doc := &spdx.Document{
		SPDXVersion:       spdx.Version,
		DataLicense:       spdx.DataLicense,
		SPDXIdentifier:    "DOCUMENT",
		DocumentName:      name,
		DocumentNamespace: fmt.Sprintf("%s/spdx/%s-%s", informationURI, spdxIDUnsafe.ReplaceAllString(r.Image.Repository, "-"), documentUUID(r)),
		CreationInfo: &spdx.CreationInfo{
			Creators: []common.Creator{{CreatorType: "Tool", Creator: tool}},
			Created:  r.ScannedAt.UTC().Format(time.RFC3339),
		},
	}
	if r.Reason != "" {
		// A failed or not applicable scan lists no packages: the document
		// says why, so that it is not read as an image without any.
		doc.DocumentComment = fmt.Sprintf("drydock scan %s: %s", r.Status, r.Reason)
	}

	used := map[common.ElementID]bool{}
	id := func(parts ...string) common.ElementID {
		base := spdxIDUnsafe.ReplaceAllString(strings.Join(parts, "-"), "-")
		e := common.ElementID(base)
		for n := 2; used[e]; n++ {
			e = common.ElementID(fmt.Sprintf("%s-%d", base, n))
		}
		used[e] = true
		return e
	}

	imageID := id("Image")
	image := &spdx.Package{
		PackageName:             r.Image.Repository,
		PackageSPDXIdentifier:   imageID,
		PackageVersion:          r.Image.Digest,
		PackageDownloadLocation: noAssertion,
		PrimaryPackagePurpose:   "CONTAINER",
	}
	if r.Image.Platform != "" {
		image.PackageComment = "platform " + r.Image.Platform
	}
	doc.Packages = append(doc.Packages, image)
	doc.Relationships = append(doc.Relationships, &spdx.Relationship{
		RefA:         common.MakeDocElementID("", "DOCUMENT"),
		RefB:         common.MakeDocElementID("", string(imageID)),
		Relationship: common.TypeRelationshipDescribe,
	})
	contains := func(e common.ElementID) {
		doc.Relationships = append(doc.Relationships, &spdx.Relationship{
			RefA:         common.MakeDocElementID("", string(imageID)),
			RefB:         common.MakeDocElementID("", string(e)),
			Relationship: common.TypeRelationshipContains,
		})
	}

	if os := r.Image.OS; os.Family != "" {
		p := &spdx.Package{
			PackageName:             os.Family,
			PackageSPDXIdentifier:   id("OperatingSystem", os.Family, os.Version),
			PackageVersion:          os.Version,
			PackageDownloadLocation: noAssertion,
			// The JSON schema, which is what binds the JSON form, spells
			// it with an underscore (the tag-value text with a dash);
			// strict validators reject the dash.
			PrimaryPackagePurpose: "OPERATING_SYSTEM",
		}
		if os.EOL {
			p.PackageComment = "end-of-life release"
		}
		doc.Packages = append(doc.Packages, p)
		contains(p.PackageSPDXIdentifier)
	}

	pkgs := map[packageKey]*spdx.Package{}
	addPackage := func(fp *finding.Package) *spdx.Package {
		k := keyOf(fp)
		if p, ok := pkgs[k]; ok {
			return p
		}
		p := &spdx.Package{
			PackageName:             fp.Name,
			PackageSPDXIdentifier:   id("Package", fp.Type, fp.Name, fp.Version),
			PackageVersion:          fp.Version,
			PackageDownloadLocation: noAssertion,
			PrimaryPackagePurpose:   "LIBRARY",
		}
		if fp.PURL != "" {
			p.PackageExternalReferences = append(p.PackageExternalReferences, &spdx.PackageExternalReference{
				Category: common.CategoryPackageManager,
				RefType:  common.TypePackageManagerPURL,
				Locator:  fp.PURL,
			})
		}
		if name, version := fp.Source(); name != fp.Name || version != fp.Version {
			p.PackageSourceInfo = fmt.Sprintf("built from source package %s %s", name, version)
		}
		var where []string
		if fp.Path != "" {
			where = append(where, "path "+fp.Path)
		}
		if fp.Layer != "" {
			where = append(where, "layer "+fp.Layer)
		}
		p.PackageComment = strings.Join(where, ", ")
		pkgs[k] = p
		doc.Packages = append(doc.Packages, p)
		contains(p.PackageSPDXIdentifier)
		return p
	}
	for i := range r.Packages {
		addPackage(&r.Packages[i])
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		p := addPackage(&f.Package)
		url := advisoryURL(f)
		comment := fmt.Sprintf("%s, severity %s, %s", f.ID, f.Severity, f.FixStatus)
		if f.FixedVersion != "" {
			comment += " (fixed in " + f.FixedVersion + ")"
		}
		if f.Exempted {
			comment += ", exempted"
		}
		p.PackageExternalReferences = append(p.PackageExternalReferences, &spdx.PackageExternalReference{
			Category:           common.CategorySecurity,
			RefType:            common.TypeSecurityAdvisory,
			Locator:            url,
			ExternalRefComment: comment,
		})
	}
	return doc
}
