package epss

import (
	"bufio"
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/drydock/drydock/internal/vulndb/feed"
	"github.com/drydock/drydock/internal/vulndb/osv"
)

// Parser reads EPSS CSV.
type Parser struct{}

var _ feed.Parser = Parser{}

// Name implements [feed.Parser].
func (Parser) Name() string { return "epss" }

// Sniff implements [feed.Parser].
func (Parser) Sniff(_ string, head []byte) bool {
	h := bytes.TrimLeft(head, "\ufeff")
	return bytes.HasPrefix(h, []byte("#model_version")) || bytes.HasPrefix(h, []byte("cve,epss"))
}

// ErrFormat is wrapped when the file is not EPSS CSV.
var ErrFormat = errors.New("epss: not EPSS CSV")

// Parse implements [feed.Parser].
func (Parser) Parse(ctx context.Context, name string, r io.Reader, emit feed.Emit) error {
	br := bufio.NewReader(r)
	var model string
	var date time.Time
	first := 2 // line number of the first row
	if b, _ := br.Peek(1); len(b) == 1 && b[0] == '#' {
		first = 3
		line, err := br.ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("%w: %w", ErrFormat, err)
		}
		for _, kv := range strings.Split(strings.TrimSpace(strings.TrimPrefix(line, "#")), ",") {
			k, v, _ := strings.Cut(kv, ":")
			switch k {
			case "model_version":
				model = v
			case "score_date":
				if date, err = osv.ParseTime(v); err != nil {
					return fmt.Errorf("%w: score_date: %w", ErrFormat, err)
				}
			}
		}
	}
	cr := csv.NewReader(br)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return fmt.Errorf("%w: header: %w", ErrFormat, err)
	}
	col := map[string]int{}
	for i, h := range head {
		col[strings.TrimSpace(h)] = i
	}
	ci, ok1 := col["cve"]
	ei, ok2 := col["epss"]
	pi, ok3 := col["percentile"]
	if !ok1 || !ok2 || !ok3 {
		return fmt.Errorf("%w: header %q lacks cve, epss or percentile", ErrFormat, strings.Join(head, ","))
	}
	for line := first; ; line++ {
		if line%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		where := fmt.Sprintf("line %d", line)
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return fmt.Errorf("%w: %w", ErrFormat, err) // a read error, not a bad row
			}
			if err := emit(feed.Record{Bad: &feed.Problem{Record: where, Err: err}}); err != nil {
				return err
			}
			continue
		}
		rec, err := convert(row[ci], row[ei], row[pi])
		if err != nil {
			if err := emit(feed.Record{Bad: &feed.Problem{Record: where, Err: err}}); err != nil {
				return err
			}
			continue
		}
		rec.Date, rec.Model = date, model
		if err := emit(feed.Record{EPSS: rec}); err != nil {
			return err
		}
	}
}

func convert(cve, score, pct string) (*feed.EPSS, error) {
	if !osv.IsCVE(cve) {
		return nil, fmt.Errorf("%q is not a CVE id", cve)
	}
	s, err := strconv.ParseFloat(score, 64)
	if err != nil || !(s >= 0 && s <= 1) {
		return nil, fmt.Errorf("%s: epss %q is not a number in [0,1]", cve, score)
	}
	p, err := strconv.ParseFloat(pct, 64)
	if err != nil || !(p >= 0 && p <= 1) {
		return nil, fmt.Errorf("%s: percentile %q is not a number in [0,1]", cve, pct)
	}
	return &feed.EPSS{CVE: cve, Score: s, Percentile: p}, nil
}
