package querytables

import (
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/drydock/drydock/internal/kql"
)

// dynamicOf converts a resource's properties to the dynamic value that
// kql.Dynamic would make of their JSON, without the JSON: the same keys in
// the same order (struct field order, map keys sorted), omitempty and
// omitzero honoured, times as RFC 3339 strings, integral numbers as longs.
// It covers the types the projection's shapes use: structs, pointers,
// slices, string-keyed maps, interfaces, strings, bools, numbers and
// time.Time.
func dynamicOf(v any) (kql.Value, error) {
	return valueOf(reflect.ValueOf(v))
}

var timeType = reflect.TypeFor[time.Time]()

// field is one JSON member of a struct type.
type field struct {
	index     int
	name      string
	omitEmpty bool
	omitZero  bool
}

var plans sync.Map // reflect.Type -> []field

func fieldsOf(t reflect.Type) []field {
	if fs, ok := plans.Load(t); ok {
		return fs.([]field)
	}
	var fs []field
	for i := range t.NumField() {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		if name == "" {
			name = sf.Name
		}
		o := strings.Split(opts, ",")
		fs = append(fs, field{index: i, name: name, omitEmpty: slices.Contains(o, "omitempty"), omitZero: slices.Contains(o, "omitzero")})
	}
	plans.Store(t, fs)
	return fs
}

func empty_(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.Map, reflect.Slice, reflect.String:
		return v.Len() == 0
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Interface, reflect.Pointer:
		return v.IsZero()
	}
	return false
}

// number is a JSON number as kql.FromJSON reads it back.
func number(f float64) kql.Value {
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return kql.Long(int64(f))
	}
	return kql.Real(f)
}

func valueOf(v reflect.Value) (kql.Value, error) {
	if !v.IsValid() {
		return kql.Null(), nil
	}
	if v.Type() == timeType {
		return kql.String(v.Interface().(time.Time).Format(time.RFC3339Nano)), nil
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return kql.Null(), nil
		}
		return valueOf(v.Elem())
	case reflect.String:
		return kql.String(v.String()), nil
	case reflect.Bool:
		return kql.Bool(v.Bool()), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return kql.Long(v.Int()), nil
	case reflect.Float32, reflect.Float64:
		return number(v.Float()), nil
	case reflect.Slice, reflect.Array:
		if v.Kind() == reflect.Slice && v.IsNil() {
			return kql.Null(), nil
		}
		vs := make([]kql.Value, v.Len())
		for i := range vs {
			var err error
			if vs[i], err = valueOf(v.Index(i)); err != nil {
				return kql.Null(), err
			}
		}
		return kql.Array(vs...), nil
	case reflect.Map:
		if v.IsNil() {
			return kql.Null(), nil
		}
		if v.Type().Key().Kind() != reflect.String {
			return kql.Null(), fmt.Errorf("querytables: dynamic: map key %s", v.Type().Key())
		}
		keys := make([]string, 0, v.Len())
		for _, k := range v.MapKeys() {
			keys = append(keys, k.String())
		}
		slices.Sort(keys)
		vals := make([]kql.Value, len(keys))
		for i, k := range keys {
			var err error
			if vals[i], err = valueOf(v.MapIndex(reflect.ValueOf(k).Convert(v.Type().Key()))); err != nil {
				return kql.Null(), err
			}
		}
		return kql.Bag(keys, vals), nil
	case reflect.Struct:
		fs := fieldsOf(v.Type())
		keys := make([]string, 0, len(fs))
		vals := make([]kql.Value, 0, len(fs))
		for _, f := range fs {
			fv := v.Field(f.index)
			if (f.omitEmpty && empty_(fv)) || (f.omitZero && fv.IsZero()) {
				continue
			}
			x, err := valueOf(fv)
			if err != nil {
				return kql.Null(), err
			}
			keys, vals = append(keys, f.name), append(vals, x)
		}
		return kql.Bag(keys, vals), nil
	}
	return kql.Null(), fmt.Errorf("querytables: dynamic: unsupported %s", v.Type())
}
