// Command scan-bench holds the helpers of bench/scan/run.sh, which compares
// `drydock scan` with osv-scanner, syft and trivy on the same images (see
// that script for what is measured and how). Each subcommand does one job:
//
//	mkimage  build an image from directories (one layer each) as a docker
//	         save archive that is also an OCI layout archive, and optionally
//	         as an OCI layout directory
//	floor    decompress the layers of an archive with one decoder and
//	         nothing else: the physical floor a scanner's wall time is
//	         compared with
//	osvdb    build osv-scanner's offline database (DIR/osv-scalibr/<eco>/all.zip)
//	         from the same advisory files `drydock db import` reads
//	compare  diff package inventories (drydock JSON vs syft/trivy CycloneDX)
//	         and findings (drydock JSON vs osv-scanner JSON), classifying each
//	         difference with the rules in reasons.tsv
//	table    turn the timing records of run.sh into the Markdown table
//
// Nothing here is a pass/fail test of drydock: the helpers fail only when a
// measurement or a comparison cannot be made at all.
package main

import (
	"fmt"
	"os"
)

func main() {
	cmds := map[string]func(args []string) error{
		"mkimage": mkimage,
		"floor":   floor,
		"osvdb":   osvdb,
		"compare": compare,
		"table":   table,
	}
	if len(os.Args) < 2 || cmds[os.Args[1]] == nil {
		fmt.Fprintln(os.Stderr, "usage: scan-bench mkimage|floor|osvdb|compare|table [flags] [args]")
		os.Exit(2)
	}
	if err := cmds[os.Args[1]](os.Args[2:]); err != nil {
		fmt.Fprintf(os.Stderr, "scan-bench %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}
