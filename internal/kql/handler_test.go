package kql

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

type statusErr struct{ code int }

func (e statusErr) Error() string   { return "no access to the query tables" }
func (e statusErr) StatusCode() int { return e.code }

func TestHandler(t *testing.T) {
	cat := fixtureCatalog(t, fixtureSub)
	catalogFor := func(r *http.Request) (Catalog, error) {
		switch r.Header.Get("X-Test") {
		case "denied":
			return nil, statusErr{http.StatusForbidden}
		case "broken":
			return nil, errors.New("database is down")
		}
		return cat, nil
	}
	lim := fixtureLimits()
	lim.MaxRows = 5
	srv := httptest.NewServer(Handler(catalogFor, lim))
	t.Cleanup(srv.Close)

	tests := []struct {
		name     string
		method   string
		header   string
		body     string
		status   int
		ctype    string
		contains []string
	}{
		{name: "query", method: "POST", body: `{"query": "findings | summarize n = count() by severity | order by n desc | take 1"}`,
			status: 200, ctype: "application/json", contains: []string{`{"columns":[{"name":"severity","type":"string"},{"name":"n","type":"long"}],"rows":[`, `["Critical",5]`}},
		{name: "syntax error has line and column", method: "POST", body: `{"query": "findings\n| where"}`,
			status: 400, ctype: "application/problem+json", contains: []string{`"title":"Query syntax error"`, `"line":2`, `"column":8`, `line 2, column 8: expected an expression`}},
		{name: "semantic error", method: "POST", body: `{"query": "findings | project nope"}`,
			status: 400, ctype: "application/problem+json", contains: []string{`"title":"Invalid query"`, `"line":1`, `"column":20`}},
		{name: "row limit", method: "POST", body: `{"query": "securityresources"}`,
			status: 400, ctype: "application/problem+json", contains: []string{`"title":"Query result too large"`, "more than 5 rows"}},
		{name: "GET is not allowed", method: "GET", status: 405, ctype: "application/problem+json"},
		{name: "not JSON", method: "POST", body: `findings`, status: 400, contains: []string{`the body must be JSON`}},
		{name: "empty query", method: "POST", body: `{"query": "  "}`, status: 400, contains: []string{`missing or empty`}},
		{name: "body too large", method: "POST", body: `{"query": "` + strings.Repeat("x", maxRequestBytes) + `"}`, status: 413},
		{name: "catalog denies", method: "POST", header: "denied", body: `{"query": "findings"}`, status: 403,
			contains: []string{"no access to the query tables"}},
		{name: "catalog fails", method: "POST", header: "broken", body: `{"query": "findings"}`, status: 500,
			contains: []string{"the query tables are unavailable"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), tt.method, srv.URL+"/api/v1/query", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.header != "" {
				req.Header.Set("X-Test", tt.header)
			}
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.status, body)
			}
			if tt.ctype != "" && resp.Header.Get("Content-Type") != tt.ctype {
				t.Errorf("Content-Type %q, want %q", resp.Header.Get("Content-Type"), tt.ctype)
			}
			for _, s := range tt.contains {
				if !bytes.Contains(body, []byte(s)) {
					t.Errorf("body does not contain %s:\n%s", s, body)
				}
			}
			if resp.StatusCode >= 400 {
				var p map[string]any
				if err := json.Unmarshal(body, &p); err != nil || p["status"] != float64(tt.status) || p["title"] == "" {
					t.Errorf("not a problem document: %s", body)
				}
			}
			if resp.StatusCode == 405 && resp.Header.Get("Allow") != "POST" {
				t.Errorf("Allow = %q", resp.Header.Get("Allow"))
			}
		})
	}
}

func TestRenderers(t *testing.T) {
	q := `datatable(name: string, n: long, at: datetime, d: dynamic, r: real) [
		"a,b", 1, datetime(2026-08-23), dynamic({"k": [1, "x"]}), 0.5,
		"line\nbreak", long(null), datetime(null), dynamic(null), real(nan),
		"a very long value that goes on and on and on and on and on and on and on", 3, datetime(2026-08-23T10:00:00.5Z), dynamic("s"), 1e300
	]`
	res, err := Run(t.Context(), q, MapCatalog{}, Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var csvOut, tableOut, jsonOut bytes.Buffer
	if err := WriteCSV(&csvOut, res); err != nil {
		t.Fatal(err)
	}
	if err := WriteTable(&tableOut, res); err != nil {
		t.Fatal(err)
	}
	if err := WriteJSON(&jsonOut, res); err != nil {
		t.Fatal(err)
	}
	wantCSV := `name,n,at,d,r
"a,b",1,2026-08-23T00:00:00Z,"{""k"":[1,""x""]}",0.5
"line
break",,,,NaN
a very long value that goes on and on and on and on and on and on and on,3,2026-08-23T10:00:00.5Z,s,1e+300
`
	if diff := diffStrings(wantCSV, csvOut.String()); diff != "" {
		t.Errorf("CSV (-want +got):\n%s", diff)
	}
	wantTable := `name                                                          n  at                      d              r
------------------------------------------------------------  -  ----------------------  -------------  ------
a,b                                                           1  2026-08-23T00:00:00Z    {"k":[1,"x"]}  0.5
line\nbreak                                                                                             NaN
a very long value that goes on and on and on and on and on …  3  2026-08-23T10:00:00.5Z  s              1e+300
`
	if diff := diffStrings(wantTable, tableOut.String()); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
	wantJSON := `{"columns":[{"name":"name","type":"string"},{"name":"n","type":"long"},{"name":"at","type":"datetime"},{"name":"d","type":"dynamic"},{"name":"r","type":"real"}],"rows":[
["a,b",1,"2026-08-23T00:00:00Z",{"k":[1,"x"]},0.5],
["line\nbreak",null,null,null,"NaN"],
["a very long value that goes on and on and on and on and on and on and on",3,"2026-08-23T10:00:00.5Z","s",1e+300]
]}
`
	if diff := diffStrings(wantJSON, jsonOut.String()); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
	back, err := DecodeResult(&jsonOut)
	if err != nil {
		t.Fatal(err)
	}
	var again bytes.Buffer
	WriteJSON(&again, back)
	if again.String() != wantJSON {
		t.Errorf("round trip:\n%s", again.String())
	}
	// encoding/json gives the same document (without the line breaks).
	std, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.ReplaceAll(wantJSON, "\n[", "["); !strings.HasPrefix(got, strings.TrimSuffix(string(std), "]}")) {
		t.Errorf("json.Marshal = %s", std)
	}
}

func diffStrings(want, got string) string {
	if want == got {
		return ""
	}
	return "want:\n" + want + "\ngot:\n" + got
}
