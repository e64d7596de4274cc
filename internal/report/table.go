package report

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/drydock/drydock/internal/finding"
)

// titleWidth is where long titles are cut (in runes).
const titleWidth = 72

type tableHandler struct {
	collector
	w     io.Writer
	color bool
	now   func() time.Time
}

func newTable(w io.Writer, color bool, now func() time.Time) *tableHandler {
	return &tableHandler{w: w, color: color, now: now}
}

func (h *tableHandler) Flush() error {
	return h.flush("table", func(r *finding.Report) error {
		b := bufio.NewWriter(h.w)
		t := &tableWriter{b: b, color: h.color}
		t.render(r, h.now())
		return b.Flush()
	})
}

// ANSI SGR sequences.
const (
	sgrReset   = "\x1b[0m"
	sgrBold    = "\x1b[1m"
	sgrDim     = "\x1b[2m"
	sgrRed     = "\x1b[31m"
	sgrBoldRed = "\x1b[1;31m"
	sgrGreen   = "\x1b[32m"
	sgrYellow  = "\x1b[33m"
	sgrCyan    = "\x1b[36m"
)

type tableWriter struct {
	b     *bufio.Writer
	color bool
}

// paint wraps s in an SGR sequence when coloring.
func (t *tableWriter) paint(sgr, s string) string {
	if !t.color || sgr == "" || s == "" {
		return s
	}
	return sgr + s + sgrReset
}

func severitySGR(s finding.Severity) string {
	switch s {
	case finding.Critical:
		return sgrBoldRed
	case finding.High:
		return sgrRed
	case finding.Medium:
		return sgrYellow
	case finding.Low:
		return sgrCyan
	}
	return ""
}

func statusSGR(s finding.ReportStatus) string {
	switch s {
	case finding.StatusHealthy:
		return sgrGreen
	case finding.StatusUnhealthy, finding.StatusFailed:
		return sgrBoldRed
	}
	return sgrYellow
}

// group is the findings of one installed package.
type group struct {
	pkg      finding.Package
	findings []*finding.Finding
	worst    finding.Severity // highest active severity
	active   int
	// byArch is set when another group has the same package but for
	// another architecture (libc6 for amd64 and for i386): the title
	// names the architecture.
	byArch bool
	// also are the other places of the same package with the same
	// findings (a Go toolchain's stdlib in five binaries, a jar copied
	// into several applications): one group says it once for all.
	also []string
}

func (t *tableWriter) render(r *finding.Report, now time.Time) {
	t.header(r)
	groups := groupFindings(r.Findings)
	if len(groups) > 0 {
		t.findings(groups)
	}
	if p := r.RemediationPlan; p != nil && (len(p.Upgrades) > 0 || p.BaseImageHint != "" || p.Unfixable > 0) {
		t.plan(p)
	}
	fmt.Fprintln(t.b)
	t.summary(r, now)
}

func (t *tableWriter) header(r *finding.Report) {
	img := clean(r.Image.Repository)
	if r.Image.Digest != "" {
		img += "@" + clean(r.Image.Digest)
	}
	line := []string{t.paint(sgrBold, img)}
	if r.Image.Platform != "" {
		line = append(line, clean(r.Image.Platform))
	}
	if os := r.Image.OS; os.Family != "" {
		s := clean(strings.TrimSpace(os.Family + " " + os.Version))
		if os.EOL {
			s += " " + t.paint(sgrYellow, "(end-of-life)")
		}
		line = append(line, s)
	}
	fmt.Fprintln(t.b, strings.Join(line, "  "))
	status := "Status: " + t.paint(statusSGR(r.Status), string(r.Status))
	switch n := r.UncheckedPackages(); {
	case r.Reason != "":
		status += " (" + clean(r.Reason) + ")"
	case n > 0:
		// Said at the top too: a healthy status is no verdict on them.
		status += " " + t.paint(sgrYellow, fmt.Sprintf("(%d of %s not checked)", n, plural(len(r.Packages), "package")))
	}
	fmt.Fprintln(t.b, status)
}

// groupFindings groups findings by installed package: groups with the
// worst active severity first, then by number of active findings, name,
// version, path and architecture; inside a group active findings first,
// then by severity, then by id.
func groupFindings(fs []finding.Finding) []*group {
	type key struct{ typ, name, version, arch, path, purl string }
	type location struct{ typ, name, version, path string }
	idx := map[key]*group{}
	archOf := map[location]*group{} // the first group of a package location
	var groups []*group
	for i := range fs {
		f := &fs[i]
		k := key{f.Package.Type, f.Package.Name, f.Package.Version, f.Package.Arch, f.Package.Path, f.Package.PURL}
		g, ok := idx[k]
		if !ok {
			g = &group{pkg: f.Package}
			idx[k] = g
			groups = append(groups, g)
			loc := location{f.Package.Type, f.Package.Name, f.Package.Version, f.Package.Path}
			if first, ok := archOf[loc]; !ok {
				archOf[loc] = g
			} else if first.pkg.Arch != g.pkg.Arch {
				first.byArch, g.byArch = true, true
			}
		}
		g.findings = append(g.findings, f)
		if f.Active() {
			g.active++
			g.worst = max(g.worst, f.Severity)
		}
	}
	for _, g := range groups {
		slices.SortStableFunc(g.findings, func(a, b *finding.Finding) int {
			return cmp.Or(
				cmpBool(a.Active(), b.Active()),
				-cmp.Compare(a.Severity, b.Severity),
				strings.Compare(a.ID, b.ID),
			)
		})
	}
	slices.SortStableFunc(groups, func(a, b *group) int {
		return cmp.Or(
			cmpBool(a.active > 0, b.active > 0),
			-cmp.Compare(a.worst, b.worst),
			-cmp.Compare(a.active, b.active),
			strings.Compare(a.pkg.Name, b.pkg.Name),
			strings.Compare(a.pkg.Version, b.pkg.Version),
			strings.Compare(a.pkg.Path, b.pkg.Path),
			strings.Compare(a.pkg.Arch, b.pkg.Arch),
		)
	})
	return mergeCopies(groups)
}

// mergeCopies folds each group into the first one of the same package
// (all but its path) whose rows would be the same, keeping the order.
func mergeCopies(groups []*group) []*group {
	type key struct {
		typ, name, version, arch, purl, srcName, srcVersion string
		byArch                                              bool
	}
	first := map[key][]*group{}
	rows := func(g *group) []row {
		rs := make([]row, len(g.findings))
		for i, f := range g.findings {
			if notLinked(f) {
				// Shown by id alone (their reasons name each binary).
				rs[i] = row{cells: [4]string{finding.ExemptionNotLinked, f.ID}}
				continue
			}
			rs[i] = findingRow(f)
		}
		return rs
	}
	out := groups[:0]
	for _, g := range groups {
		p := g.pkg
		k := key{p.Type, p.Name, p.Version, p.Arch, p.PURL, p.SourceName, p.SourceVersion, g.byArch}
		merged := false
		for _, f := range first[k] {
			if f.pkg.Path != p.Path && len(f.findings) == len(g.findings) && slices.Equal(rows(f), rows(g)) {
				f.also = append(f.also, p.Path)
				merged = true
				break
			}
		}
		if !merged {
			first[k] = append(first[k], g)
			out = append(out, g)
		}
	}
	return out
}

// cmpBool orders true before false.
func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return -1
	}
	return 1
}

type row struct {
	cells [4]string
	sgr   [4]string
	// why, for a silenced finding, is the exemption's reason, written
	// under the row.
	why string
}

func (t *tableWriter) findings(groups []*group) {
	head := row{cells: [4]string{"SEVERITY", "ID", "FIXED IN", "TITLE"}}
	var widths [3]int
	rows := make([][]row, len(groups))
	for i, g := range groups {
		for _, f := range g.findings {
			if notLinked(f) {
				continue // summed up under the rows
			}
			r := findingRow(f)
			rows[i] = append(rows[i], r)
			for c := range widths {
				widths[c] = max(widths[c], utf8.RuneCountInString(r.cells[c]), utf8.RuneCountInString(head.cells[c]))
			}
		}
	}
	for i, g := range groups {
		fmt.Fprintln(t.b)
		fmt.Fprintln(t.b, t.groupTitle(g))
		if len(g.also) > 0 {
			fmt.Fprintln(t.b, "  "+t.paint(sgrDim, "in "+places(append([]string{g.pkg.Path}, g.also...))))
		}
		if len(rows[i]) > 0 {
			t.row(head, widths, sgrDim)
		}
		for _, r := range rows[i] {
			t.row(r, widths, "")
			if r.why != "" {
				fmt.Fprintln(t.b, "    "+t.paint(sgrDim, r.why))
			}
		}
		if ids := notLinkedIDs(g); len(ids) > 0 {
			fmt.Fprintln(t.b, "  "+t.paint(sgrDim, "Not linked, exempted: "+ids))
		}
	}
}

// notLinked reports whether f is exempted because its binary has no code
// of the vulnerable packages or functions: the table names such findings
// under their group's rows, in one line, not a row each.
func notLinked(f *finding.Finding) bool {
	return f.Exempted && f.Exemption != nil && f.Exemption.Source == finding.ExemptionNotLinked
}

// maxNotLinked is how many ids of not-linked findings a group names.
const maxNotLinked = 6

// notLinkedIDs lists the ids of g's not-linked findings.
func notLinkedIDs(g *group) string {
	var ids []string
	n := 0
	for _, f := range g.findings {
		if notLinked(f) {
			if n++; n <= maxNotLinked {
				ids = append(ids, clean(f.ID))
			}
		}
	}
	s := strings.Join(ids, ", ")
	if n > len(ids) {
		s += fmt.Sprintf(" and %d more", n-len(ids))
	}
	if n > 0 {
		s += " (the binary has no code of them)"
	}
	return s
}

func (t *tableWriter) groupTitle(g *group) string {
	p := g.pkg
	p.Name, p.Version, p.Type, p.Path = clean(p.Name), clean(p.Version), clean(p.Type), clean(p.Path)
	p.SourceName, p.SourceVersion = clean(p.SourceName), clean(p.SourceVersion)
	var about []string
	if p.Type != "" {
		about = append(about, p.Type)
	}
	if g.byArch {
		about = append(about, "arch "+clean(p.Arch))
	}
	if name, version := p.Source(); name != p.Name || version != p.Version {
		about = append(about, "source "+strings.TrimSpace(name+" "+ifDiff(version, p.Version)))
	}
	switch {
	case len(g.also) > 0:
		about = append(about, fmt.Sprintf("%d places", 1+len(g.also)))
	case p.Path != "":
		about = append(about, p.Path)
	}
	s := t.paint(sgrBold, p.Name+" "+p.Version)
	if len(about) > 0 {
		s += "  " + t.paint(sgrDim, strings.Join(about, ", "))
	}
	n := plural(len(g.findings), "finding")
	if len(g.also) > 0 {
		n += " each"
	}
	unlinked := 0
	for _, f := range g.findings {
		if notLinked(f) {
			unlinked++
		}
	}
	if unlinked > 0 {
		n += fmt.Sprintf(", %d not linked", unlinked)
	}
	if ex := len(g.findings) - g.active - unlinked; ex > 0 {
		n += fmt.Sprintf(", %d exempted", ex)
	}
	return s + "  (" + n + ")"
}

// maxPlaces is how many places of a package a group lists; JSON has all.
const maxPlaces = 8

// places lists paths, the first maxPlaces of them.
func places(paths []string) string {
	shown := make([]string, 0, maxPlaces)
	for _, p := range paths[:min(len(paths), maxPlaces)] {
		shown = append(shown, clean(p))
	}
	s := strings.Join(shown, ", ")
	if n := len(paths) - len(shown); n > 0 {
		s += fmt.Sprintf(" and %d more", n)
	}
	return s
}

func ifDiff(a, b string) string {
	if a == b {
		return ""
	}
	return a
}

func findingRow(f *finding.Finding) row {
	var r row
	r.cells[0] = f.Severity.String()
	r.sgr[0] = severitySGR(f.Severity)
	r.cells[1] = clean(f.ID)
	switch {
	case f.Fixable():
		r.cells[2] = clean(f.FixedVersion)
		r.sgr[2] = sgrGreen
	case f.FixStatus == finding.NoFixAvailable:
		r.cells[2] = "(no fix)"
	case f.FixStatus == finding.WontFix:
		r.cells[2] = "(won't fix)"
	default:
		r.cells[2] = "(unknown)"
	}
	title := f.Title
	if title == "" {
		title = firstSentence(f.Description)
	}
	var tags []string
	if f.KEV {
		tags = append(tags, "[KEV]")
	}
	if f.Exempted {
		switch {
		case f.VEX != nil:
			tags = append(tags, "[VEX "+clean(f.VEX.Status)+"]")
		default:
			tags = append(tags, "[exempted]")
		}
	}
	if len(tags) > 0 {
		title = strings.Join(tags, " ") + " " + title
	}
	r.cells[3] = truncate(clean(strings.Join(strings.Fields(title), " ")), titleWidth)
	if e := f.Exemption; f.Exempted && e != nil && e.Reason != "" {
		why := "why: " + strings.Join(strings.Fields(e.Reason), " ")
		if !e.ExpiresAt.IsZero() {
			why += " (until " + e.ExpiresAt.UTC().Format(time.DateOnly) + ")"
		}
		r.why = clean(why)
	}
	if !f.Active() {
		r.sgr = [4]string{sgrDim, sgrDim, sgrDim, sgrDim}
	}
	return r
}

// row writes one indented table row; padding is computed on the plain text
// so colors do not disturb alignment.
func (t *tableWriter) row(r row, widths [3]int, sgr string) {
	var b strings.Builder
	b.WriteString("  ")
	for c, cell := range r.cells {
		s := r.sgr[c]
		if sgr != "" {
			s = sgr
		}
		b.WriteString(t.paint(s, cell))
		if c < len(widths) {
			b.WriteString(strings.Repeat(" ", widths[c]-utf8.RuneCountInString(cell)+2))
		}
	}
	fmt.Fprintln(t.b, strings.TrimRight(b.String(), " "))
}

func (t *tableWriter) plan(p *finding.RemediationPlan) {
	fmt.Fprintln(t.b)
	fixes := 0
	for _, u := range p.Upgrades {
		fixes += u.Count
	}
	title := "Remediation plan"
	if n := len(p.Upgrades); n > 0 {
		title += fmt.Sprintf(": %s fix %s", plural(n, "upgrade"), plural(fixes, "finding"))
		if p.Unfixable > 0 {
			title += fmt.Sprintf(" (%d more have no fix yet)", p.Unfixable)
		}
	} else if p.Unfixable > 0 {
		title += fmt.Sprintf(": no upgrade fixes the %s found yet", plural(p.Unfixable, "finding"))
	}
	fmt.Fprintln(t.b, t.paint(sgrBold, title))
	for i, u := range p.Upgrades {
		fmt.Fprintf(t.b, "  %d. %s\n", i+1, clean(u.Remediation))
	}
	if p.BaseImageHint != "" {
		fmt.Fprintf(t.b, "  %s\n", t.paint(sgrYellow, clean(p.BaseImageHint)))
	}
}

func (t *tableWriter) summary(r *finding.Report, now time.Time) {
	var parts []string
	switch r.Status {
	case finding.StatusPending:
		parts = append(parts, "No advisory database is loaded yet; findings are pending.")
	case finding.StatusFailed, finding.StatusNotApplicable:
		// The status line says it all.
	default:
		s := r.Summary
		counts := make([]string, 0, 5)
		for _, sev := range finding.Severities() {
			n := s.Count(sev)
			c := fmt.Sprintf("%d %s", n, strings.ToLower(sev.String()))
			if n > 0 {
				c = t.paint(severitySGR(sev), c)
			}
			counts = append(counts, c)
		}
		line := fmt.Sprintf("%s in %s: %s", plural(s.Total(), "finding"), plural(len(r.Packages), "package"), strings.Join(counts, ", "))
		if s.Total() == 0 {
			switch u := r.UncheckedPackages(); {
			case u == 0:
				line = "No findings in " + plural(len(r.Packages), "package")
			case u >= len(r.Packages):
				// Said as "no findings in N packages", it would read as
				// a clean bill.
				line = "No findings, but none of the " + plural(len(r.Packages), "package") + " could be checked"
			default:
				line = fmt.Sprintf("No findings in the %d checked of %s", len(r.Packages)-u, plural(len(r.Packages), "package"))
			}
		}
		if s.Exempted > 0 {
			line += fmt.Sprintf(" (%d exempted)", s.Exempted)
		}
		parts = append(parts, line+".")
		parts = append(parts, t.unchecked(r.Unchecked)...)
	}
	if r.DB.Version != "" || !r.DB.UpdatedAt.IsZero() {
		db := "Advisory database"
		if r.DB.Version != "" {
			db += " " + clean(r.DB.Version)
		}
		if !r.DB.UpdatedAt.IsZero() {
			db += fmt.Sprintf(", updated %s (%s)", r.DB.UpdatedAt.UTC().Format(time.DateOnly), age(now.Sub(r.DB.UpdatedAt)))
		}
		parts = append(parts, db+".")
	}
	for _, p := range parts {
		fmt.Fprintln(t.b, p)
	}
}

// unchecked renders the packages that were not matched, a line per
// reason: "230 packages not checked (145 maven, 85 deb): REASON."
func (t *tableWriter) unchecked(us []finding.Unchecked) []string {
	type byReason struct {
		reason string
		total  int
		groups []finding.Unchecked
	}
	var rs []*byReason
	for _, u := range us {
		i := slices.IndexFunc(rs, func(b *byReason) bool { return b.reason == u.Reason })
		if i < 0 {
			i = len(rs)
			rs = append(rs, &byReason{reason: u.Reason})
		}
		rs[i].total += u.Packages
		rs[i].groups = append(rs[i].groups, u)
	}
	lines := make([]string, 0, len(rs))
	for _, b := range rs {
		types := make([]string, len(b.groups))
		for i, u := range b.groups {
			types[i] = clean(u.Type)
			if len(b.groups) > 1 {
				types[i] = fmt.Sprintf("%d %s", u.Packages, types[i])
			}
		}
		head := fmt.Sprintf("%s not checked (%s)", plural(b.total, "package"), strings.Join(types, ", "))
		lines = append(lines, t.paint(sgrYellow, head)+": "+clean(b.reason)+".")
	}
	return lines
}

// age renders a duration as a rough age: "3 hours old", "12 days old".
func age(d time.Duration) string {
	switch {
	case d < 0:
		return "in the future"
	case d < time.Hour:
		return "less than an hour old"
	case d < 48*time.Hour:
		return plural(int(d/time.Hour), "hour") + " old"
	case d < 60*24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day") + " old"
	case d < 2*365*24*time.Hour:
		return plural(int(d/(30*24*time.Hour)), "month") + " old"
	}
	return plural(int(d/(365*24*time.Hour)), "year") + " old"
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// firstSentence returns the text up to the first ". ", or all of it.
func firstSentence(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if i := strings.Index(s, ". "); i >= 0 {
		return s[:i+1]
	}
	return s
}

// truncate cuts s to n runes, ending in "…" when cut.
func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// clean makes text from images and feeds safe to print on a terminal:
// control characters (C0, DEL, C1, which include ESC and so ANSI
// sequences) become U+FFFD, and invalid UTF-8 is replaced too.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || (r >= 0x7f && r < 0xa0) || r == utf8.RuneError {
			return utf8.RuneError
		}
		return r
	}, strings.ToValidUTF8(s, "\uFFFD"))
}
