package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"
)

// compare diffs one image's results: drydock's packages against syft's and
// trivy's CycloneDX components (by ecosystem, name and version, taken from
// the purl), and drydock's findings against osv-scanner's (by package and
// advisory: a finding matches when the ids and aliases overlap). Every
// difference is looked up in the rules file (-reasons); the first rule that
// matches gives its category and reason, and a difference no rule explains
// is printed as UNEXPLAINED. It writes a Markdown section to stdout and one
// summary line per peer to -summary (appended; see summarize).
func compare(args []string) error {
	fl := flag.NewFlagSet("compare", flag.ContinueOnError)
	image := fl.String("image", "", "image name for the report")
	ddFile := fl.String("drydock", "", "drydock scan --format json output")
	syftFile := fl.String("syft", "", "syft CycloneDX JSON output (optional)")
	trivyFile := fl.String("trivy", "", "trivy CycloneDX JSON output (optional)")
	osvFile := fl.String("osv", "", "osv-scanner JSON output (optional)")
	reasonsFile := fl.String("reasons", "", "rules file (see reasons.tsv)")
	summary := fl.String("summary", "", "TSV file to append summary lines to (optional)")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if *image == "" || *ddFile == "" {
		return errors.New("usage: compare -image NAME -drydock FILE [-syft FILE] [-trivy FILE] [-osv FILE] [-reasons FILE] [-summary FILE]")
	}
	rules, err := loadRules(*reasonsFile)
	if err != nil {
		return err
	}
	dd, err := readDrydock(*ddFile)
	if err != nil {
		return err
	}
	var sum io.Writer = io.Discard
	if *summary != "" {
		f, err := os.OpenFile(*summary, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		sum = f
	}
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	fmt.Fprintf(w, "\n### %s\n\ndrydock: %d packages, %d findings (status %s).\n", *image, len(dd.pkgs), len(dd.findings), dd.status)

	for _, peer := range []struct{ name, file string }{{"syft", *syftFile}, {"trivy", *trivyFile}} {
		if peer.file == "" {
			continue
		}
		pp, err := readCycloneDX(peer.file)
		if err != nil {
			return fmt.Errorf("%s: %w", peer.name, err)
		}
		var diffs []difference
		found := 0
		for k, p := range pp {
			if _, ok := dd.pkgs[k]; ok {
				found++
				continue
			}
			diffs = append(diffs, difference{image: *image, peer: peer.name, side: "peer-only", subject: k, where: strings.TrimPrefix(p.path, "/")})
		}
		for k, p := range dd.pkgs {
			if _, ok := pp[k]; !ok {
				diffs = append(diffs, difference{image: *image, peer: peer.name, side: "drydock-only", subject: k, where: p.path})
			}
		}
		fmt.Fprintf(w, "\n%s: %d packages; drydock finds %d of them (%s).\n", peer.name, len(pp), found, percent(found, len(pp)))
		t := writeDiffs(w, diffs, rules)
		summarize(sum, *image, peer.name, len(pp), found, diffs, t)
	}

	if *osvFile != "" {
		of, err := readOSVScanner(*osvFile)
		if err != nil {
			return fmt.Errorf("osv-scanner: %w", err)
		}
		var diffs []difference
		matched := make([]bool, len(dd.findings))
		found := 0
		for _, o := range of {
			hit := false
			for i, d := range dd.findings {
				if d.matches(o) {
					matched[i], hit = true, true
				}
			}
			if hit {
				found++
			} else {
				diffs = append(diffs, difference{image: *image, peer: "osv-scanner", side: "peer-only", subject: o.String(), where: o.path})
			}
		}
		for i, d := range dd.findings {
			if !matched[i] {
				diffs = append(diffs, difference{image: *image, peer: "osv-scanner", side: "drydock-only", subject: d.String(), where: d.path})
			}
		}
		fmt.Fprintf(w, "\nosv-scanner: %d findings (package x advisory group); drydock reports %d of them (%s).\n", len(of), found, percent(found, len(of)))
		t := writeDiffs(w, diffs, rules)
		summarize(sum, *image, "osv-scanner", len(of), found, diffs, t)
	}
	return nil
}

// difference is one package or finding that one side has and the other
// does not.
type difference struct {
	image, peer, side, subject, where string
}

// line is what rules match: "image peer side subject where".
func (d difference) line() string {
	return d.image + " " + d.peer + " " + d.side + " " + d.subject + " " + d.where
}

func percent(n, of int) string {
	if of == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(of))
}

// summarize writes one summary line (TSV): image, peer, the peer's total,
// found by drydock, coverage, coverage without the peer's own errors
// (peer-only differences classified peer-bug leave the denominator),
// peer-only and drydock-only differences, and those classified our-bug and
// UNEXPLAINED.
func summarize(w io.Writer, image, peer string, total, found int, diffs []difference, t tally) {
	fmt.Fprintf(w, "%s\t%s\t%d\t%d\t%s\t%s\t%d\t%d\t%d\t%d\n", image, peer, total, found,
		percent(found, total), percent(found, total-t["peer-only/peer-bug"]),
		count(diffs, "peer-only"), count(diffs, "drydock-only"), t.category("our-bug"), t.category("UNEXPLAINED"))
}

func count(ds []difference, side string) int {
	n := 0
	for _, d := range ds {
		if d.side == side {
			n++
		}
	}
	return n
}

// rule explains the differences whose line matches re.
type rule struct {
	re               *regexp.Regexp
	category, reason string
	n                int
}

// loadRules reads the rules file: one rule a line, tab-separated
// "regexp<TAB>category<TAB>reason"; '#' starts a comment line. The regexp
// is matched against "image peer side subject path", where side is
// peer-only or drydock-only, subject is eco/name@version for packages and
// "eco/name@version ID,alias..." for findings, and path is where the
// package was found (without a leading "/").
func loadRules(file string) ([]*rule, error) {
	if file == "" {
		return nil, nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var out []*rule
	for i, l := range strings.Split(string(b), "\n") {
		if strings.TrimSpace(l) == "" || strings.HasPrefix(l, "#") {
			continue
		}
		parts := strings.Split(l, "\t")
		if len(parts) != 3 {
			return nil, fmt.Errorf("%s:%d: want regexp<TAB>category<TAB>reason", file, i+1)
		}
		re, err := regexp.Compile(parts[0])
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", file, i+1, err)
		}
		out = append(out, &rule{re: re, category: parts[1], reason: parts[2]})
	}
	return out, nil
}

// tally counts differences by side and category ("UNEXPLAINED" when no
// rule matched), e.g. tally{"peer-only/peer-bug": 3}.
type tally map[string]int

func (t tally) category(c string) int { return t["peer-only/"+c] + t["drydock-only/"+c] }

// writeDiffs prints the differences grouped by side and rule and counts
// them.
func writeDiffs(w io.Writer, diffs []difference, rules []*rule) tally {
	t := tally{}
	if len(diffs) == 0 {
		fmt.Fprintln(w, "No differences.")
		return t
	}
	slices.SortFunc(diffs, func(a, b difference) int { return strings.Compare(a.side+a.subject, b.side+b.subject) })
	type group struct {
		r     *rule
		items []difference
	}
	type groupKey struct {
		r    *rule
		side string
	}
	var groups []*group
	byRule := map[groupKey]*group{}
	var unexplained []difference
	for _, d := range diffs {
		var hit *rule
		for _, r := range rules {
			if r.re.MatchString(d.line()) {
				hit = r
				break
			}
		}
		if hit == nil {
			unexplained = append(unexplained, d)
			t[d.side+"/UNEXPLAINED"]++
			continue
		}
		t[d.side+"/"+hit.category]++
		g := byRule[groupKey{hit, d.side}]
		if g == nil {
			g = &group{r: hit}
			byRule[groupKey{hit, d.side}] = g
			groups = append(groups, g)
		}
		g.items = append(g.items, d)
	}
	fmt.Fprintln(w, "\n| side | n | category | reason | examples |\n| --- | ---: | --- | --- | --- |")
	for _, g := range groups {
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s |\n", g.items[0].side, len(g.items), g.r.category, g.r.reason, examples(g.items, 4))
	}
	if len(unexplained) > 0 {
		fmt.Fprintf(w, "| | %d | UNEXPLAINED | | |\n", len(unexplained))
		fmt.Fprintln(w, "\nUnexplained differences:")
		for _, d := range unexplained {
			fmt.Fprintf(w, "- %s %s `%s` %s\n", d.peer, d.side, d.subject, d.where)
		}
	}
	return t
}

func examples(ds []difference, n int) string {
	var s []string
	for i, d := range ds {
		if i == n {
			s = append(s, fmt.Sprintf("... %d more", len(ds)-n))
			break
		}
		s = append(s, "`"+d.subject+"`")
	}
	return strings.Join(s, ", ")
}

// pkg is one package of an inventory.
type pkg struct{ path string }

// pkgKey is "eco/name@version" from a purl: the purl type as ecosystem;
// the name with its namespace for npm (scope) and golang (module path),
// without it for OS packages (where it is the distribution) and for Maven
// (the CycloneDX name is the artifactId; for a jar without pom.properties
// every tool guesses the group differently, and the guess is compared in
// the report, not here); PyPI names normalized (PEP 503); an epoch
// qualifier folded into the version; Go versions without their "v" or
// "go" prefix.
func pkgKey(purl string) (string, bool) {
	p, err := packageurl.FromString(purl)
	if err != nil {
		return "", false
	}
	return keyOf(p.Type, p.Namespace, p.Name, p.Version, p.Qualifiers.Map()["epoch"]), true
}

var pep503 = regexp.MustCompile(`[-_.]+`)

func keyOf(eco, namespace, name, version, epoch string) string {
	switch eco {
	case "npm", "golang":
		if namespace != "" {
			name = namespace + "/" + name
		}
	case "pypi":
		name = pep503.ReplaceAllString(strings.ToLower(name), "-")
	}
	if eco == "golang" {
		version = strings.TrimPrefix(strings.TrimPrefix(version, "go"), "v")
	}
	if epoch != "" && epoch != "0" && !strings.Contains(version, ":") {
		version = epoch + ":" + version
	}
	return eco + "/" + name + "@" + version
}

// drydockResult is what compare reads of a drydock report.
type drydockResult struct {
	status   string
	pkgs     map[string]pkg
	findings []ddFinding
}

type ddFinding struct {
	key, source string // eco/name@version; eco/sourceName@version
	ids         []string
	path        string
}

func (d ddFinding) String() string { return d.key + " " + strings.Join(d.ids, ",") }

// matches reports whether d is o: same package (by name or source name)
// and overlapping advisory ids.
func (d ddFinding) matches(o osvFinding) bool {
	if d.key != o.key && d.source != o.key {
		return false
	}
	for _, id := range o.ids {
		if slices.Contains(d.ids, id) {
			return true
		}
	}
	return false
}

func readDrydock(file string) (*drydockResult, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	type dpkg struct {
		Name, Version, Type, PURL, Path string
		SourceName                      string `json:"sourceName"`
		SourceVersion                   string `json:"sourceVersion"`
	}
	var r struct {
		Status   string
		Packages []dpkg
		Findings []struct {
			ID      string
			Aliases []string
			Package dpkg
		}
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	out := &drydockResult{status: r.Status, pkgs: map[string]pkg{}}
	for _, p := range r.Packages {
		k, ok := pkgKey(p.PURL)
		if !ok {
			k = keyOf(p.Type, "", p.Name, p.Version, "")
		}
		out.pkgs[k] = pkg{path: p.Path}
	}
	for _, f := range r.Findings {
		k, ok := pkgKey(f.Package.PURL)
		if !ok {
			k = keyOf(f.Package.Type, "", f.Package.Name, f.Package.Version, "")
		}
		eco, _, _ := strings.Cut(k, "/")
		_, ver, _ := strings.Cut(k, "@")
		src := ""
		if f.Package.SourceName != "" {
			src = eco + "/" + f.Package.SourceName + "@" + ver
		}
		out.findings = append(out.findings, ddFinding{key: k, source: src, ids: append([]string{f.ID}, f.Aliases...), path: f.Package.Path})
	}
	return out, nil
}

// readCycloneDX returns the components with a purl (libraries, OS
// packages), recursively.
func readCycloneDX(file string) (map[string]pkg, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	type prop struct{ Name, Value string }
	type comp struct {
		Type       string
		Name       string
		PURL       string `json:"purl"`
		Properties []prop
		Components []comp
	}
	var doc struct{ Components []comp }
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	out := map[string]pkg{}
	var walk func([]comp)
	walk = func(cs []comp) {
		for _, c := range cs {
			walk(c.Components)
			k, ok := pkgKey(c.PURL)
			if !ok {
				continue
			}
			var where string
			for _, p := range c.Properties {
				if p.Name == "syft:location:0:path" || p.Name == "aquasecurity:trivy:FilePath" {
					where = p.Value
				}
			}
			if _, dup := out[k]; !dup || out[k].path == "" {
				out[k] = pkg{path: where}
			}
		}
	}
	walk(doc.Components)
	return out, nil
}

// osvFinding is one osv-scanner finding: a package and one group of
// advisories (ids and their aliases).
type osvFinding struct {
	key  string
	ids  []string
	path string // the file osv-scanner found the package in, without a leading "/"
}

func (o osvFinding) String() string { return o.key + " " + strings.Join(o.ids, ",") }

// osvEcosystems maps OSV ecosystems to purl types.
var osvEcosystems = map[string]string{
	"Go": "golang", "npm": "npm", "PyPI": "pypi", "Maven": "maven", "Alpine": "apk",
	"Debian": "deb", "crates.io": "cargo", "AlmaLinux": "rpm", "RubyGems": "gem",
	"Packagist": "composer", "NuGet": "nuget",
}

func readOSVScanner(file string) ([]osvFinding, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Results []struct {
			Source   struct{ Path string }
			Packages []struct {
				Package struct{ Name, Version, Ecosystem string }
				Groups  []struct {
					IDs     []string `json:"ids"`
					Aliases []string
				}
			}
		}
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	var out []osvFinding
	for _, r := range doc.Results {
		for _, p := range r.Packages {
			base, _, _ := strings.Cut(p.Package.Ecosystem, ":")
			eco := osvEcosystems[base]
			if eco == "" {
				eco = strings.ToLower(base)
			}
			name := p.Package.Name
			if eco == "maven" {
				_, name, _ = strings.Cut(name, ":")
			}
			k := keyOf(eco, "", name, p.Package.Version, "")
			for _, g := range p.Groups {
				ids := slices.Concat(g.IDs, g.Aliases)
				slices.Sort(ids)
				out = append(out, osvFinding{key: k, ids: slices.Compact(ids), path: strings.TrimPrefix(r.Source.Path, "/")})
			}
		}
	}
	return out, nil
}
