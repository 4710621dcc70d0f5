package logging

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func TestNew(t *testing.T) {
	tests := []struct {
		level, format string
		json          bool   // lines are JSON
		debug         bool   // debug lines are written
		err           string // New fails with this
	}{
		{level: "", format: "", json: true},
		{level: "info", format: "auto", json: true}, // a buffer is no terminal
		{level: "debug", format: "json", json: true, debug: true},
		{level: "warn", format: "console"},
		{level: "DEBUG", format: "console", debug: true},
		{level: "verbose", format: "json", err: `level "verbose"`},
		{level: "info", format: "text", err: `format "text"`},
	}
	for _, tt := range tests {
		t.Run(tt.level+"/"+tt.format, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := New(tt.level, tt.format, &buf)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("New error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			log.Debug("debug line")
			log.Warn("warn line", zap.Int("n", 1))
			out := buf.String()
			if strings.Contains(out, "debug line") != tt.debug {
				t.Errorf("debug written = %v, want %v:\n%s", !tt.debug, tt.debug, out)
			}
			last := strings.TrimSpace(out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:])
			var m map[string]any
			isJSON := json.Unmarshal([]byte(last), &m) == nil
			if isJSON != tt.json {
				t.Errorf("JSON = %v, want %v: %s", isJSON, tt.json, last)
			}
			if isJSON && (m["msg"] != "warn line" || m["level"] != "warn" || m["ts"] == nil || m["caller"] == nil) {
				t.Errorf("JSON line = %v", m)
			}
			if !isJSON && (!strings.Contains(last, "WARN") || !strings.Contains(last, `{"n": 1}`)) {
				t.Errorf("console line = %s", last)
			}
		})
	}
}

const secret = "tok-3f9a8c7e1d"

type stringer string

func (s stringer) String() string { return "stringer says " + string(s) }

type request struct {
	User     string
	Password string
	Nested   struct {
		APIKey string `json:"api_key"`
		Note   string `json:"note"`
	}
	TicketID int64
}

type inline struct{}

func (inline) MarshalLogObject(enc zapcore.ObjectEncoder) error {
	enc.AddString("client_secret", "inline-value")
	enc.AddString("who", "agent")
	return nil
}

// ownFields are the time and caller the logger adds to each line: their
// digits are not values logged, and a value such as 42 shows up in a
// timestamp's nanoseconds one line in a dozen.
var ownFields = regexp.MustCompile(`"(ts|caller)":"[^"]*",`)

// TestRedaction logs credentials every way zap offers and checks that
// neither the secret value nor a credential-keyed value is written, while
// everything else still is.
func TestRedaction(t *testing.T) {
	req := request{User: "agent", Password: "hunter2"}
	req.Nested.APIKey, req.Nested.Note, req.TicketID = "key-123", "sent with "+secret, 9007199254740993

	tests := []struct {
		name   string
		log    func(l *zap.Logger)
		gone   []string // must not appear
		stays  []string // must still appear
		masked int      // at least this many masks
	}{
		{"message", func(l *zap.Logger) { l.Info("calling with " + secret) }, nil, []string{"calling with [REDACTED]"}, 1},
		{"string value", func(l *zap.Logger) { l.Info("x", zap.String("url", "https://acme.zendesk.com/x?t="+secret)) }, nil,
			[]string{`"url":"https://acme.zendesk.com/x?t=[REDACTED]"`}, 1},
		{"key token", func(l *zap.Logger) { l.Info("x", zap.String("token", "anything")) }, []string{"anything"}, []string{`"token":"[REDACTED]"`}, 1},
		{"key variants", func(l *zap.Logger) {
			l.Info("x", zap.String("X-Api-Key", "k1"), zap.String("PASSWORD", "k2"), zap.String("set-cookie", "k3"),
				zap.Int("webhook_secret", 42), zap.String("privateKey", "k4"))
		}, []string{"k1", "k2", "k3", "42", "k4"}, nil, 5},
		// The year in the line's own timestamp holds these digits too.
		{"credential value the timestamp holds", func(l *zap.Logger) { l.Info("x", zap.Int("password", 20)) },
			[]string{"20"}, []string{`"password":"[REDACTED]"`}, 1},
		{"non-secret keys kept", func(l *zap.Logger) {
			l.Info("x", zap.String("author_id", "7"), zap.String("issue_key", "PROJ-1"), zap.Int64("ticket_id", 42))
		}, nil, []string{`"author_id":"7"`, `"issue_key":"PROJ-1"`, `"ticket_id":42`}, 0},
		{"http.Header", func(l *zap.Logger) {
			h := http.Header{}
			h.Set("Authorization", "Basic "+secret)
			h.Set("Cookie", "session=abc")
			h.Set("Content-Type", "application/json")
			l.Info("request", zap.Any("headers", h))
		}, []string{"Basic", "session=abc"}, []string{`"Content-Type":["application/json"]`, `"Authorization":"[REDACTED]"`}, 2},
		{"*http.Request headers", func(l *zap.Logger) {
			r, _ := http.NewRequest("GET", "https://acme.atlassian.net/rest/api/2/myself", nil)
			r.SetBasicAuth("sync@acme.com", secret)
			l.Info("request", zap.Any("header", r.Header))
		}, []string{"Basic"}, nil, 1},
		{"error text", func(l *zap.Logger) {
			l.Error("failed", zap.Error(fmt.Errorf("zendesk: GET /tickets with token %s: 401", secret)))
		}, nil, []string{`"error":"zendesk: GET /tickets with token [REDACTED]: 401"`}, 1},
		{"wrapped error keeps its text", func(l *zap.Logger) {
			l.Error("failed", zap.NamedError("cause", fmt.Errorf("outer: %w", errors.New("inner "+secret))))
		}, nil, []string{`"cause":"outer: inner [REDACTED]"`}, 1},
		{"struct by reflection", func(l *zap.Logger) { l.Info("x", zap.Any("req", req)) },
			[]string{"hunter2", "key-123"}, []string{`"User":"agent"`, `"note":"sent with [REDACTED]"`, `9007199254740993`}, 3},
		{"map by reflection", func(l *zap.Logger) {
			l.Info("x", zap.Any("m", map[string]any{"list": []any{"a", secret}, "auth": map[string]string{"bearer_token": "b"}}))
		}, []string{`"b"`}, []string{`"list":["a","[REDACTED]"]`}, 2},
		{"object", func(l *zap.Logger) {
			l.Info("x", zap.Object("obj", zapcore.ObjectMarshalerFunc(func(enc zapcore.ObjectEncoder) error {
				enc.AddString("cookie", "c-value")
				enc.AddInt("count", 3)
				return enc.AddObject("inner", zapcore.ObjectMarshalerFunc(func(enc zapcore.ObjectEncoder) error {
					enc.AddString("authorization", "Bearer x")
					return enc.AddReflected("hdr", http.Header{"X-Api-Key": {"v"}, "Accept": {"*/*"}})
				}))
			})))
		}, []string{"c-value", "Bearer x", `"v"`}, []string{`"count":3`, `"Accept":["*/*"]`}, 3},
		{"dict", func(l *zap.Logger) {
			l.Info("x", zap.Dict("d", zap.String("secret", "d-value"), zap.String("ok", secret)))
		},
			[]string{"d-value"}, []string{`"d":{"ok":"[REDACTED]","secret":"[REDACTED]"}`}, 2},
		{"inline", func(l *zap.Logger) { l.Info("x", zap.Inline(inline{})) }, []string{"inline-value"}, []string{`"who":"agent"`}, 1},
		{"strings", func(l *zap.Logger) { l.Info("x", zap.Strings("list", []string{"a", secret})) }, nil, []string{`"list":["a","[REDACTED]"]`}, 1},
		{"stringer", func(l *zap.Logger) { l.Info("x", zap.Stringer("s", stringer(secret))) }, nil, []string{`"s":"stringer says [REDACTED]"`}, 1},
		{"byte string", func(l *zap.Logger) { l.Info("x", zap.ByteString("body", []byte(`{"t":"`+secret+`"}`))) }, nil, []string{`[REDACTED]`}, 1},
		{"With", func(l *zap.Logger) { l.With(zap.String("api_token", "w-value"), zap.String("note", secret)).Info("x") },
			[]string{"w-value"}, []string{`"api_token":"[REDACTED]"`, `"note":"[REDACTED]"`}, 2},
		{"namespace", func(l *zap.Logger) { l.Info("x", zap.Namespace("http"), zap.String("authorization", "n-value")) },
			[]string{"n-value"}, []string{`"http":{"authorization":"[REDACTED]"}`}, 1},
		{"authorization in free text", func(l *zap.Logger) {
			l.Info("curl -H 'Authorization: Basic dXNlcjpwYXNz' https://x", zap.String("dump", "authorization=Bearer abc.def ok"))
		}, []string{"dXNlcjpwYXNz", "abc.def"}, []string{"Authorization: [REDACTED]", "authorization=[REDACTED] ok"}, 2},
		{"bearer in free text", func(l *zap.Logger) { l.Info("sent Bearer eyJhbGciOi.x-y_z= to jira") }, []string{"eyJhbGciOi"}, []string{"sent Bearer [REDACTED] to jira"}, 1},
		{"unloggable value", func(l *zap.Logger) { l.Info("x", zap.Any("f", func() {})) }, nil, []string{`"fError":"json: unsupported type: func()"`}, 0},
		{"nil error and stringer", func(l *zap.Logger) {
			var s *strings.Builder
			l.Info("x", zap.Error(nil), zap.Stringer("nil", s))
		}, nil, []string{`"nil":"<nil>"`}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			log, err := New("debug", "json", &buf, secret, "")
			if err != nil {
				t.Fatal(err)
			}
			tt.log(log)
			if !json.Valid(bytes.TrimSpace(buf.Bytes())) {
				t.Fatalf("not one JSON line: %s", buf.String())
			}
			out := ownFields.ReplaceAllString(buf.String(), "")
			for _, s := range append(tt.gone, secret) {
				if strings.Contains(out, s) {
					t.Errorf("%q was logged: %s", s, out)
				}
			}
			for _, s := range tt.stays {
				if !strings.Contains(out, s) {
					t.Errorf("%q is missing: %s", s, out)
				}
			}
			if n := strings.Count(out, Mask); n < tt.masked {
				t.Errorf("%d masks, want at least %d: %s", n, tt.masked, out)
			}
		})
	}
}

func TestRedactLongestSecretFirst(t *testing.T) {
	var buf bytes.Buffer
	log, _ := New("info", "json", &buf, "abc", "abcdef")
	log.Info("abcdef and abc")
	if !strings.Contains(buf.String(), `"msg":"[REDACTED] and [REDACTED]"`) {
		t.Errorf("got %s", buf.String())
	}
}

func TestRedactKeepsFieldsUntouchedWithoutCopy(t *testing.T) {
	r := &redactor{}
	fs := []zapcore.Field{zap.Int("n", 1), zap.String("s", "plain")}
	if got := r.fields(fs); &got[0] != &fs[0] {
		t.Errorf("clean fields were copied")
	}
}

// BenchmarkLog compares a typical log line through the redacting core
// with the same line through the bare core.
func BenchmarkLog(b *testing.B) {
	fields := []zap.Field{zap.String("vendor", "jira"), zap.String("route", "/rest/api/2/issue/{key}"), zap.Int("status", 200),
		zap.Int64("ticket_id", 4242), zap.Error(errors.New("timeout"))}
	enc := jsonEncoder()
	bare := zap.New(zapcore.NewCore(enc, zapcore.AddSync(io.Discard), zapcore.InfoLevel))
	red := zap.New(Redact(zapcore.NewCore(enc, zapcore.AddSync(io.Discard), zapcore.InfoLevel), "secret-one", "secret-two-longer"))
	for _, bc := range []struct {
		name string
		log  *zap.Logger
	}{{"bare", bare}, {"redacting", red}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				bc.log.Info("request done", fields...)
			}
		})
	}
	b.Run("redacting/any-header", func(b *testing.B) {
		h := http.Header{"Authorization": {"Basic x"}, "Accept": {"application/json"}}
		b.ReportAllocs()
		for b.Loop() {
			red.Info("request", zap.Any("headers", h))
		}
	})
}
