package main

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/drydock/drydock/internal/kql"
)

// The generated tables follow the shapes of the query tables (see
// internal/kql/testdata/tables): findings rows with typed columns, images,
// and securityresources sub-assessments whose properties are dynamic bags
// in the provider's older shape (additionalData.cve is an array).
//
// Distributions: 20 registries, 5,000 repositories, one digest per 10
// findings on average, 20,000 distinct advisory ids, 2,000 packages;
// severities Critical 10 %, High 30 %, Medium 40 %, Low 20 %; 5 % exempted;
// 70 % with a fix.

var severities = []string{"Critical", "High", "High", "High", "Medium", "Medium", "Medium", "Medium", "Low", "Low"}
var ecosystems = []string{"apk", "deb", "rpm", "npm", "pypi", "go-module", "maven"}

var findingsColumns = []kql.Column{
	{Name: "subscriptionId", Type: kql.TypeString}, {Name: "registry", Type: kql.TypeString},
	{Name: "repository", Type: kql.TypeString}, {Name: "digest", Type: kql.TypeString},
	{Name: "id", Type: kql.TypeString}, {Name: "package", Type: kql.TypeString},
	{Name: "version", Type: kql.TypeString}, {Name: "type", Type: kql.TypeString},
	{Name: "fixedVersion", Type: kql.TypeString}, {Name: "fixStatus", Type: kql.TypeString},
	{Name: "severity", Type: kql.TypeString}, {Name: "cvssScore", Type: kql.TypeReal},
	{Name: "publishedAt", Type: kql.TypeDateTime}, {Name: "exempted", Type: kql.TypeBool},
}

// pool interns generated strings so that equal values share memory, as
// rows decoded from a database page would not but a cache would.
type pool struct{ vals []kql.Value }

func newPool(n int, format string) pool {
	p := pool{vals: make([]kql.Value, n)}
	for i := range p.vals {
		p.vals[i] = kql.String(fmt.Sprintf(format, i))
	}
	return p
}

func (p pool) pick(r *rand.Rand) kql.Value { return p.vals[r.IntN(len(p.vals))] }

// genFindings returns n findings rows.
func genFindings(n int, seed uint64) *kql.MemTable {
	r := rand.New(rand.NewPCG(seed, 1))
	subs := newPool(4, "00000000-0000-4000-8000-%012d")
	regs := newPool(20, "registry%02d")
	repos := newPool(5000, "team%03d/service")
	ids := newPool(20000, "CVE-2024-%05d")
	pkgs := newPool(2000, "package%04d")
	vers := newPool(50, "1.%d.0")
	sev := make([]kql.Value, len(severities))
	for i, s := range severities {
		sev[i] = kql.String(s)
	}
	eco := make([]kql.Value, len(ecosystems))
	for i, s := range ecosystems {
		eco[i] = kql.String(s)
	}
	fix, nofix, empty := kql.String("FixAvailable"), kql.String("NoFixAvailable"), kql.String("")
	base := time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)
	digests := n / 10
	if digests < 1 {
		digests = 1
	}
	digestPool := newPool(digests, "sha256:%064x")
	rows := make([]kql.Row, n)
	for i := range rows {
		d := r.IntN(digests)
		repo := d % 5000
		s := sev[r.IntN(len(sev))]
		fv, fs := empty, nofix
		if r.IntN(10) < 7 {
			fv, fs = vers.pick(r), fix
		}
		rows[i] = kql.Row{
			subs.vals[repo%4], regs.vals[repo%20], repos.vals[repo], digestPool.vals[d],
			ids.pick(r), pkgs.pick(r), vers.pick(r), eco[r.IntN(len(eco))], fv, fs, s,
			kql.Real(float64(r.IntN(100)) / 10), kql.DateTime(base.Add(time.Duration(r.IntN(2500*24)) * time.Hour)),
			kql.Bool(r.IntN(20) == 0),
		}
	}
	t, err := kql.NewMemTable("findings", findingsColumns, rows)
	if err != nil {
		panic(err) // generated rows always fit the schema
	}
	return t
}

var imagesColumns = []kql.Column{
	{Name: "digest", Type: kql.TypeString}, {Name: "repository", Type: kql.TypeString},
	{Name: "os", Type: kql.TypeString}, {Name: "pushedAt", Type: kql.TypeDateTime},
}

// genImages returns n images with digests sha256:%064x for 0 <= i < n.
func genImages(n int, seed uint64) *kql.MemTable {
	r := rand.New(rand.NewPCG(seed, 2))
	oses := []kql.Value{kql.String("alpine"), kql.String("debian"), kql.String("ubuntu"), kql.String("distroless")}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	rows := make([]kql.Row, n)
	for i := range rows {
		rows[i] = kql.Row{kql.String(fmt.Sprintf("sha256:%064x", i)), kql.String(fmt.Sprintf("team%03d/service", i%5000)),
			oses[r.IntN(len(oses))], kql.DateTime(base.Add(time.Duration(r.IntN(5000)) * time.Hour))}
	}
	t, err := kql.NewMemTable("images", imagesColumns, rows)
	if err != nil {
		panic(err)
	}
	return t
}

var srColumns = []kql.Column{
	{Name: "id", Type: kql.TypeString}, {Name: "name", Type: kql.TypeString}, {Name: "type", Type: kql.TypeString},
	{Name: "tenantId", Type: kql.TypeString}, {Name: "subscriptionId", Type: kql.TypeString},
	{Name: "resourceGroup", Type: kql.TypeString}, {Name: "properties", Type: kql.TypeDynamic},
}

// genSubAssessments returns n sub-assessment rows in the older shape, each
// with 1 to 3 CVEs, about images 0..images-1.
func genSubAssessments(n, images int, seed uint64) *kql.MemTable {
	r := rand.New(rand.NewPCG(seed, 3))
	typ := kql.String("microsoft.security/assessments/subassessments")
	tenant, sub, rg := kql.String("11111111-2222-4333-8444-555555555555"), kql.String("0f3b2a9c-5d4e-4f60-8a71-92b3c4d5e6f7"), kql.String("rg")
	rows := make([]kql.Row, n)
	for i := range rows {
		img := r.IntN(images)
		ncve := 1 + r.IntN(3)
		cves := make([]kql.Value, ncve)
		var firstID string
		for j := range cves {
			id := fmt.Sprintf("CVE-2024-%05d", r.IntN(20000))
			if j == 0 {
				firstID = id
			}
			cves[j] = kql.Bag([]string{"title", "link"}, []kql.Value{kql.String(id), kql.String("https://nvd.nist.gov/vuln/detail/" + id)})
		}
		sev := severities[r.IntN(len(severities))]
		ad := kql.Bag(
			[]string{"assessedResourceType", "type", "cvss", "patchable", "cve", "publishedTime", "vendorReferences", "repositoryName", "imageDigest"},
			[]kql.Value{kql.String("ContainerRegistryVulnerability"), kql.String("Vulnerability"),
				kql.Bag([]string{"2.0", "3.0"}, []kql.Value{kql.Bag([]string{"base"}, []kql.Value{kql.Real(5)}), kql.Bag([]string{"base"}, []kql.Value{kql.Real(7.5)})}),
				kql.Bool(true), kql.Array(cves...), kql.String("2024-03-01T00:00:00Z"), kql.Array(),
				kql.String(fmt.Sprintf("team%03d/service", img%5000)), kql.String(fmt.Sprintf("sha256:%064x", img))})
		name := fmt.Sprintf("%08x-0000-4000-8000-%012x", i, i)
		props := kql.Bag(
			[]string{"id", "displayName", "status", "remediation", "impact", "category", "description", "timeGenerated", "resourceDetails", "additionalData"},
			[]kql.Value{kql.String(firstID), kql.String("finding"),
				kql.Bag([]string{"code", "cause", "description", "severity"}, []kql.Value{kql.String("Unhealthy"), kql.String(""), kql.String(""), kql.String(sev)}),
				kql.String("Upgrade the package."), kql.String("impact"), kql.String("Alpine"), kql.String("description"),
				kql.String("2026-08-23T09:40:12Z"), kql.Bag([]string{"source", "id"}, []kql.Value{kql.String("Azure"), kql.String("resource")}), ad})
		rows[i] = kql.Row{kql.String("/subscriptions/x/providers/Microsoft.Security/assessments/dbd0cb49-b563-45e7-9724-889e799fa648/subAssessments/" + name),
			kql.String(name), typ, tenant, sub, rg, props}
	}
	t, err := kql.NewMemTable("securityresources", srColumns, rows)
	if err != nil {
		panic(err)
	}
	return t
}
