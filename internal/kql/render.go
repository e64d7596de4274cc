package kql

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// WriteJSON writes r as {"columns":[...],"rows":[...]} with one row per
// line. Datetimes are ISO 8601 strings, timespans [d.]hh:mm:ss[.fffffff]
// strings, dynamic values their JSON.
func WriteJSON(w io.Writer, r *Result) error {
	bw := bufio.NewWriter(w)
	b := []byte(`{"columns":[`)
	for i, c := range r.Columns {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"name":`...)
		b = appendJSONString(b, c.Name)
		b = append(b, `,"type":"`...)
		b = append(b, c.Type.String()...)
		b = append(b, `"}`...)
	}
	b = append(b, `],"rows":[`...)
	for i, row := range r.Rows {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '\n', '[')
		for j, v := range row {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendJSON(b, v)
		}
		b = append(b, ']')
		if len(b) > 32<<10 {
			if _, err := bw.Write(b); err != nil {
				return err
			}
			b = b[:0]
		}
	}
	if len(r.Rows) > 0 {
		b = append(b, '\n')
	}
	b = append(b, "]}\n"...)
	if _, err := bw.Write(b); err != nil {
		return err
	}
	return bw.Flush()
}

// cellText is the plain-text form of a value (CSV and tables): strings as
// they are, null as empty, dynamic values as JSON.
func cellText(v Value) string {
	if v.k == kNull {
		return ""
	}
	return renderString(v)
}

// WriteCSV writes a header of column names and one record per row.
func WriteCSV(w io.Writer, r *Result) error {
	cw := csv.NewWriter(w)
	rec := make([]string, len(r.Columns))
	for i, c := range r.Columns {
		rec[i] = c.Name
	}
	if err := cw.Write(rec); err != nil {
		return err
	}
	for _, row := range r.Rows {
		for i := range rec {
			rec[i] = ""
			if i < len(row) {
				rec[i] = cellText(row[i])
			}
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// maxCell is the widest cell of a text table, in characters.
const maxCell = 60

var cellEscaper = strings.NewReplacer("\n", `\n`, "\r", `\r`, "\t", `\t`)

// WriteTable writes an aligned text table; cells longer than 60 characters
// are cut with "…" (use JSON or CSV for full values).
func WriteTable(w io.Writer, r *Result) error {
	cells := make([][]string, len(r.Rows)+1)
	width := make([]int, len(r.Columns))
	head := make([]string, len(r.Columns))
	for i, c := range r.Columns {
		head[i] = c.Name
		width[i] = utf8.RuneCountInString(c.Name)
	}
	cells[0] = head
	for k, row := range r.Rows {
		line := make([]string, len(r.Columns))
		for i := range line {
			if i >= len(row) {
				continue
			}
			s := cellEscaper.Replace(cellText(row[i]))
			if utf8.RuneCountInString(s) > maxCell {
				s = string([]rune(s)[:maxCell-1]) + "…"
			}
			line[i] = s
			width[i] = max(width[i], utf8.RuneCountInString(s))
		}
		cells[k+1] = line
	}
	bw := bufio.NewWriter(w)
	writeLine := func(line []string) {
		var b strings.Builder
		for i, s := range line {
			if i > 0 {
				b.WriteString("  ")
			}
			b.WriteString(s)
			if i < len(line)-1 {
				b.WriteString(strings.Repeat(" ", width[i]-utf8.RuneCountInString(s)))
			}
		}
		bw.WriteString(strings.TrimRight(b.String(), " "))
		bw.WriteByte('\n')
	}
	writeLine(cells[0])
	sep := make([]string, len(width))
	for i, n := range width {
		sep[i] = strings.Repeat("-", n)
	}
	writeLine(sep)
	for _, line := range cells[1:] {
		writeLine(line)
	}
	return bw.Flush()
}

// DecodeResult reads the JSON form written by [WriteJSON] (and by the
// query API), turning each cell into a value of its column's type.
func DecodeResult(rd io.Reader) (*Result, error) {
	var raw struct {
		Columns []Column          `json:"columns"`
		Rows    []json.RawMessage `json:"rows"`
	}
	if err := json.NewDecoder(rd).Decode(&raw); err != nil {
		return nil, fmt.Errorf("kql: decode result: %w", err)
	}
	res := &Result{Columns: raw.Columns, Rows: make([]Row, 0, len(raw.Rows))}
	for i, rr := range raw.Rows {
		var cells []json.RawMessage
		if err := json.Unmarshal(rr, &cells); err != nil {
			return nil, fmt.Errorf("kql: decode result: row %d: %w", i, err)
		}
		if len(cells) != len(raw.Columns) {
			return nil, fmt.Errorf("kql: decode result: row %d has %d values for %d columns", i, len(cells), len(raw.Columns))
		}
		row := make(Row, len(cells))
		for j, c := range cells {
			v, err := decodeCell(c, raw.Columns[j].Type)
			if err != nil {
				return nil, fmt.Errorf("kql: decode result: row %d column %s: %w", i, raw.Columns[j].Name, err)
			}
			row[j] = v
		}
		res.Rows = append(res.Rows, row)
	}
	return res, nil
}

func decodeCell(c json.RawMessage, t Type) (Value, error) {
	c = bytes.TrimSpace(c)
	if t == TypeDynamic {
		return FromJSON(c)
	}
	if string(c) == "null" {
		return nullOf(t), nil
	}
	var s string
	isStr := len(c) > 0 && c[0] == '"'
	if isStr {
		if err := json.Unmarshal(c, &s); err != nil {
			return Value{}, err
		}
	}
	bad := func() (Value, error) { return Value{}, fmt.Errorf("%s is not a %s value", c, t) }
	switch t {
	case TypeString:
		if !isStr {
			return bad()
		}
		return String(s), nil
	case TypeBool:
		switch string(c) {
		case "true":
			return Bool(true), nil
		case "false":
			return Bool(false), nil
		}
	case TypeLong:
		if n, err := strconv.ParseInt(string(c), 10, 64); err == nil {
			return Long(n), nil
		}
	case TypeReal:
		if isStr {
			switch s {
			case "NaN":
				return Real(math.NaN()), nil
			case "Infinity":
				return Real(math.Inf(1)), nil
			case "-Infinity":
				return Real(math.Inf(-1)), nil
			}
			return bad()
		}
		if f, err := strconv.ParseFloat(string(c), 64); err == nil {
			return Real(f), nil
		}
	case TypeDateTime:
		if t, ok := parseDateTime(s); isStr && ok {
			return Value{k: kDateTime, i: t}, nil
		}
	case TypeTimeSpan:
		if t, ok := parseTimeSpan(s); isStr && ok {
			return Value{k: kTimeSpan, i: t}, nil
		}
	}
	return bad()
}
