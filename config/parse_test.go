package config

import (
	"reflect"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseEnv(t *testing.T) {
	type want = any
	tests := []struct {
		name string
		in   string
		typ  reflect.Type
		want want
		err  string
	}{
		{"string kept verbatim", " a b ", reflect.TypeFor[string](), " a b ", ""},
		{"empty marker", `""`, reflect.TypeFor[string](), "", ""},
		{"empty marker on a list", `""`, reflect.TypeFor[[]string](), []string(nil), ""},
		{"bool", "true", reflect.TypeFor[bool](), true, ""},
		{"bool 0", "0", reflect.TypeFor[bool](), false, ""},
		{"bool yes is refused", "yes", reflect.TypeFor[bool](), nil, "not true or false"},
		{"int", " 42 ", reflect.TypeFor[int](), 42, ""},
		{"int64 field id", "360001234567", reflect.TypeFor[int64](), int64(360001234567), ""},
		{"int refuses fractions", "1.5", reflect.TypeFor[int](), nil, "not a whole number"},
		{"float", "2.5", reflect.TypeFor[float64](), 2.5, ""},
		{"float refuses NaN", "NaN", reflect.TypeFor[float64](), nil, "not a number"},
		{"float refuses Inf", "+Inf", reflect.TypeFor[float64](), nil, "not a number"},
		{"duration", "90s", durationType, 90 * time.Second, ""},
		{"duration needs a unit", "90", durationType, nil, "not a duration"},
		{"time", "2024-01-31T10:00:00Z", timeType, time.Date(2024, 1, 31, 10, 0, 0, 0, time.UTC), ""},
		{"time refuses dates", "2024-01-31", timeType, nil, "RFC 3339"},
		{"list", "PROJ, WEB ,,", reflect.TypeFor[[]string](), []string{"PROJ", "WEB"}, ""},
		{"list of one", "PROJ", reflect.TypeFor[[]string](), []string{"PROJ"}, ""},
		{"list items keep inner spaces", "Won't Fix,Cannot Reproduce", reflect.TypeFor[[]string](), []string{"Won't Fix", "Cannot Reproduce"}, ""},
		{"map of floats", "enterprise=5, pro = 2,free=0.5", reflect.TypeFor[map[string]float64](),
			map[string]float64{"enterprise": 5, "pro": 2, "free": 0.5}, ""},
		{"map of durations", "Highest=48h,High=168h", reflect.TypeFor[map[string]time.Duration](),
			map[string]time.Duration{"Highest": 48 * time.Hour, "High": 168 * time.Hour}, ""},
		{"map item without =", "enterprise", reflect.TypeFor[map[string]float64](), nil, `"enterprise" is not key=value`},
		{"map with empty key", "=5", reflect.TypeFor[map[string]float64](), nil, "is not key=value"},
		{"map key twice", "a=1,a=2", reflect.TypeFor[map[string]float64](), nil, `key "a" is given twice`},
		{"map of secrets, item not quoted", "https://hooks.example/SeCrEt", reflect.TypeFor[map[string]Secret](), nil, "item 1 is not name=value"},
		{"map of secrets, name twice", "a=https://x/SeCrEt,a=https://y/SeCrEt", reflect.TypeFor[map[string]Secret](), nil, "item 2 repeats an earlier name"},
		{"map bad value", "High=2d", reflect.TypeFor[map[string]time.Duration](), nil, "High: not a duration"},
		{"thresholds", "10=High,25=Highest", reflect.TypeFor[[]Threshold](),
			[]Threshold{{Customers: 10, Priority: "High"}, {Customers: 25, Priority: "Highest"}}, ""},
		{"threshold needs a priority", "10=", reflect.TypeFor[[]Threshold](), nil, "item 1 \"10=\": not customers=priority"},
		{"threshold needs a count", "ten=High", reflect.TypeFor[[]Threshold](), nil, "customers: not a number"},
		{"revenue thresholds", "10=High,revenue:100000=High,25|revenue:5e5=Highest", reflect.TypeFor[[]Threshold](),
			[]Threshold{{Customers: 10, Priority: "High"}, {Revenue: 100000, Priority: "High"}, {Customers: 25, Revenue: 500000, Priority: "Highest"}}, ""},
		{"revenue threshold needs an amount", "revenue:lots=High", reflect.TypeFor[[]Threshold](), nil, "revenue: not a number"},
		{"count labels", "10=customers-10plus", reflect.TypeFor[[]CountLabel](), []CountLabel{{10, "customers-10plus"}}, ""},
		{"bad item is named", "PROJ,x=y", reflect.TypeFor[[]CountLabel](), nil, "item 1 \"PROJ\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v, err := parseEnv(tt.in, tt.typ)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("parseEnv(%q) error = %v, want one containing %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseEnv(%q): %v", tt.in, err)
			}
			got := v.Interface()
			if tt.typ.Kind() == reflect.Int {
				got = int(v.Int())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseEnv(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormatEnvRoundTrips(t *testing.T) {
	for _, l := range Default().leaves() {
		if l.v.Type() == secretType {
			continue // formats as a placeholder on purpose
		}
		s := formatEnv(l.v)
		if s == "" {
			continue // "" means unset in the environment
		}
		v, err := parseEnv(s, l.v.Type())
		if err != nil {
			t.Errorf("%s: parseEnv(formatEnv) = %v", l.key, err)
			continue
		}
		if !reflect.DeepEqual(v.Interface(), l.v.Interface()) {
			t.Errorf("%s: %q reads back as %#v, want %#v", l.key, s, v.Interface(), l.v.Interface())
		}
	}
}

func TestFormatDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		0: "0s", 90 * time.Second: "1m30s", 2 * time.Minute: "2m", 72 * time.Hour: "72h",
		time.Hour + time.Second: "1h0m1s", 1500 * time.Millisecond: "1.5s",
	} {
		if got := formatDuration(d); got != want {
			t.Errorf("formatDuration(%v) = %q, want %q", d, got, want)
		}
		if back, err := time.ParseDuration(formatDuration(d)); err != nil || back != d {
			t.Errorf("formatDuration(%v) reads back as %v, %v", d, back, err)
		}
	}
}

// The fuzz targets check that the environment parsers never panic and
// that whatever they accept, formatEnv writes back to the same value.

func FuzzParseList(f *testing.F) {
	for _, s := range []string{"PROJ,WEB", " a , ,b,", `""`, ",,,", "Won't Fix,Declined", "ä,\x00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		roundTrip(t, s, reflect.TypeFor[[]string]())
	})
}

func FuzzParseMap(f *testing.F) {
	for _, s := range []string{"enterprise=5,pro=2", "a==1", "=", "a=1,a=2", " k = 0.5 ,", "x=1e308", "x=-0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		roundTrip(t, s, reflect.TypeFor[map[string]float64]())
		roundTrip(t, s, reflect.TypeFor[map[string]time.Duration]())
	})
}

func FuzzParseThresholds(f *testing.F) {
	for _, s := range []string{"10=High,25=Highest", "1.5=P1", "=High", "10=", "0x10=High", "1e3=a=b", "-1=Low"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		roundTrip(t, s, reflect.TypeFor[[]Threshold]())
		roundTrip(t, s, reflect.TypeFor[[]CountLabel]())
	})
}

func roundTrip(t *testing.T, s string, typ reflect.Type) {
	t.Helper()
	v, err := parseEnv(s, typ)
	if err != nil {
		if !utf8.ValidString(err.Error()) && utf8.ValidString(s) {
			t.Fatalf("error for valid UTF-8 input is not UTF-8: %q", err)
		}
		return
	}
	out := formatEnv(v)
	if out == "" {
		if v.Len() != 0 {
			t.Fatalf("%q parsed to %#v but formats as empty", s, v.Interface())
		}
		return
	}
	back, err := parseEnv(out, typ)
	if err != nil {
		t.Fatalf("%q parsed, formatted as %q, which does not parse: %v", s, out, err)
	}
	if !reflect.DeepEqual(back.Interface(), v.Interface()) {
		t.Fatalf("%q parsed to %#v, formatted as %q, read back as %#v", s, v.Interface(), out, back.Interface())
	}
}
