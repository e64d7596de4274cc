package main

import (
	"archive/zip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// osvdb builds osv-scanner's offline database from the same advisory files
// `drydock db import` reads: DIR/osv-scalibr/<ecosystem>/all.zip with one
// OSV JSON record per file (osv-scanner --offline --local-db-path DIR).
//
//   - OSV JSON files are copied unchanged;
//   - OSV YAML files (the PyPA database) are converted to JSON, values
//     unchanged;
//   - Alpine secdb YAML files become OSV records the way osv.dev builds its
//     Alpine data: one record per CVE, one affected entry per release and
//     origin package, ECOSYSTEM range introduced 0, fixed at the secfixes
//     version (version "0" means never affected and is left out);
//   - anything else (NVD CVE records, READMEs, licences) is skipped: it
//     holds no affected packages.
//
// A record affecting several ecosystems goes into each of their archives.
func osvdb(args []string) error {
	fl := flag.NewFlagSet("osvdb", flag.ContinueOnError)
	out := fl.String("out", "", "database directory to write (osv-scanner --local-db-path)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *out == "" || fl.NArg() == 0 {
		return errors.New("usage: osvdb -out DIR VULNDB_DIR...")
	}
	byEco := map[string]map[string][]byte{} // ecosystem -> file name -> record
	alpine := map[string]*osvRecord{}       // CVE -> record built from secdb
	add := func(rec map[string]any, raw []byte) error {
		id, _ := rec["id"].(string)
		if raw == nil {
			var err error
			if raw, err = json.Marshal(rec); err != nil {
				return err
			}
		}
		for _, eco := range ecosystems(rec) {
			if byEco[eco] == nil {
				byEco[eco] = map[string][]byte{}
			}
			byEco[eco][id+".json"] = raw
		}
		return nil
	}
	var skipped int
	for _, root := range fl.Args() {
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			ext := filepath.Ext(p)
			if ext != ".json" && ext != ".yaml" && ext != ".yml" {
				return nil
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			var rec map[string]any
			if ext == ".json" {
				if json.Unmarshal(b, &rec) != nil {
					skipped++
					return nil
				}
			} else {
				if err := yaml.Unmarshal(b, &rec); err != nil {
					return fmt.Errorf("%s: %w", p, err)
				}
				if _, ok := rec["distroversion"]; ok {
					return secdbToOSV(p, b, alpine)
				}
				b = nil
			}
			if _, ok := rec["id"].(string); !ok || len(ecosystems(rec)) == 0 {
				skipped++
				return nil
			}
			return add(rec, b)
		})
		if err != nil {
			return err
		}
	}
	for _, r := range alpine {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		var rec map[string]any
		if err := json.Unmarshal(b, &rec); err != nil {
			return err
		}
		if err := add(rec, b); err != nil {
			return err
		}
	}
	// osv-scanner fails (exit 127) when a package's ecosystem has no
	// archive; an ecosystem the files hold nothing for gets an empty one,
	// which is what the data says about it.
	for _, eco := range osvEcosystemNames {
		if byEco[eco] == nil {
			byEco[eco] = map[string][]byte{}
		}
	}
	for eco, files := range byEco {
		dir := filepath.Join(*out, "osv-scalibr", eco)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := writeZip(filepath.Join(dir, "all.zip"), files); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "osvdb: %s: %d records\n", eco, len(files))
	}
	fmt.Fprintf(os.Stderr, "osvdb: %d files without OSV records skipped\n", skipped)
	return nil
}

// osvEcosystemNames are the ecosystems of the OSV schema (1.7).
var osvEcosystemNames = []string{
	"AlmaLinux", "Alpine", "Android", "Bitnami", "Chainguard", "CRAN", "crates.io", "Debian",
	"GHC", "GitHub Actions", "Go", "Hackage", "Hex", "Linux", "Mageia", "Maven", "MinimOS",
	"npm", "NuGet", "openEuler", "openSUSE", "OSS-Fuzz", "Packagist", "Photon OS", "Pub",
	"PyPI", "Red Hat", "Rocky Linux", "RubyGems", "SUSE", "SwiftURL", "Ubuntu", "Wolfi", "GIT",
}

// ecosystems returns the base ecosystems (before ':') a record affects.
func ecosystems(rec map[string]any) []string {
	var out []string
	affected, _ := rec["affected"].([]any)
	for _, a := range affected {
		am, _ := a.(map[string]any)
		pkg, _ := am["package"].(map[string]any)
		eco, _ := pkg["ecosystem"].(string)
		base, _, _ := strings.Cut(eco, ":")
		if base != "" && !slices.Contains(out, base) {
			out = append(out, base)
		}
	}
	return out
}

// osvRecord is the part of the OSV schema an Alpine record needs.
type osvRecord struct {
	SchemaVersion string        `json:"schema_version"`
	ID            string        `json:"id"`
	Modified      string        `json:"modified"`
	Affected      []osvAffected `json:"affected"`
}

type osvAffected struct {
	Package struct {
		Ecosystem string `json:"ecosystem"`
		Name      string `json:"name"`
	} `json:"package"`
	Ranges []osvRange `json:"ranges"`
}

type osvRange struct {
	Type   string              `json:"type"`
	Events []map[string]string `json:"events"`
}

// secdbToOSV adds the fixes of one Alpine secdb file to recs.
func secdbToOSV(p string, b []byte, recs map[string]*osvRecord) error {
	var db struct {
		DistroVersion string `yaml:"distroversion"`
		Packages      []struct {
			Pkg struct {
				Name     string              `yaml:"name"`
				Secfixes map[string][]string `yaml:"secfixes"`
			} `yaml:"pkg"`
		} `yaml:"packages"`
	}
	if err := yaml.Unmarshal(b, &db); err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	eco := "Alpine:" + db.DistroVersion
	for _, pk := range db.Packages {
		for fixed, ids := range pk.Pkg.Secfixes {
			if fixed == "0" {
				continue
			}
			for _, id := range ids {
				id, _, _ = strings.Cut(strings.TrimSpace(id), " ")
				if !strings.HasPrefix(id, "CVE-") {
					continue
				}
				r := recs[id]
				if r == nil {
					r = &osvRecord{SchemaVersion: "1.6.0", ID: id, Modified: "2020-06-08T00:00:00Z"}
					recs[id] = r
				}
				var a osvAffected
				a.Package.Ecosystem, a.Package.Name = eco, pk.Pkg.Name
				a.Ranges = []osvRange{{Type: "ECOSYSTEM", Events: []map[string]string{{"introduced": "0"}, {"fixed": fixed}}}}
				r.Affected = append(r.Affected, a)
			}
		}
	}
	return nil
}

func writeZip(file string, files map[string][]byte) error {
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			return err
		}
		if _, err := w.Write(files[n]); err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return f.Close()
}
