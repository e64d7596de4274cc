package httpjson

import (
	"encoding/json"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWriteProblem(t *testing.T) {
	rec := httptest.NewRecorder()
	WriteProblem(rec, http.StatusConflict, "already pending")
	var p Problem
	if err := json.Unmarshal(rec.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if rec.Code != 409 || rec.Header().Get("Content-Type") != "application/problem+json" ||
		p != (Problem{Type: "about:blank", Title: "Conflict", Status: 409, Detail: "already pending"}) {
		t.Errorf("got %d %v %+v", rec.Code, rec.Header(), p)
	}
}

func TestWrite(t *testing.T) {
	rec := httptest.NewRecorder()
	if err := Write(rec, 201, map[string]int{"a": 1}); err != nil || rec.Code != 201 || rec.Body.String() != "{\"a\":1}\n" {
		t.Errorf("got %v %d %q", err, rec.Code, rec.Body)
	}
	rec = httptest.NewRecorder()
	if err := Write(rec, 200, math.Inf(1)); err == nil || rec.Body.Len() != 0 {
		t.Errorf("unmarshalable value: err %v, body %q", err, rec.Body)
	}
}
