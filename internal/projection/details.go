package projection

import (
	"slices"

	"github.com/drydock/drydock/internal/vulndb"
)

// VulnDB returns Details read from the current advisory database's NVD
// enrichment (db returns nil while no database is loaded). A CVE the
// database cannot read is rendered without these details: they only fill
// lastModifiedDate and weaknesses.
func VulnDB(db func() *vulndb.DB) Details { return vulnDBDetails{db} }

type vulnDBDetails struct{ db func() *vulndb.DB }

func (v vulnDBDetails) CVE(id string) (CVEDetails, bool) {
	db := v.db()
	if db == nil {
		return CVEDetails{}, false
	}
	en, err := db.Enrichment(id)
	if err != nil || en == nil || en.NVD == nil {
		return CVEDetails{}, false
	}
	return CVEDetails{LastModified: en.NVD.Modified, CWEs: slices.Clone(en.NVD.CWEs)}, true
}
