// Package logging builds the service's zap logger: JSON for machines,
// console text on a terminal, and a redacting core underneath both so that
// credentials cannot reach a log line, whoever logs them and however.
package logging

import (
	"fmt"
	"io"
	"os"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// New returns a logger writing to out at level ("debug", "info", "warn",
// "error"; "" is info) in format: "json", "console", or "auto" (or "")
// for console on a terminal and JSON otherwise. Every field whose key
// looks like a credential, and every occurrence of one of secrets in a
// message or string value, is masked.
func New(level, format string, out io.Writer, secrets ...string) (*zap.Logger, error) {
	lvl := zapcore.InfoLevel
	if level != "" {
		var err error
		if lvl, err = zapcore.ParseLevel(level); err != nil {
			return nil, fmt.Errorf("logging: level %q: want debug, info, warn or error", level)
		}
	}
	terminal := isTerminal(out)
	var enc zapcore.Encoder
	switch format {
	case "json":
		enc = jsonEncoder()
	case "console":
		enc = consoleEncoder(terminal)
	case "auto", "":
		if terminal {
			enc = consoleEncoder(true)
		} else {
			enc = jsonEncoder()
		}
	default:
		return nil, fmt.Errorf("logging: format %q: want auto, json or console", format)
	}
	sink := zapcore.Lock(zapcore.AddSync(out))
	core := Redact(zapcore.NewCore(enc, sink, lvl), secrets...)
	return zap.New(core, zap.ErrorOutput(sink), zap.AddCaller()), nil
}

func jsonEncoder() zapcore.Encoder {
	cfg := zap.NewProductionEncoderConfig()
	cfg.TimeKey = "ts"
	cfg.EncodeTime = zapcore.RFC3339NanoTimeEncoder
	cfg.EncodeDuration = zapcore.StringDurationEncoder
	return zapcore.NewJSONEncoder(cfg)
}

func consoleEncoder(color bool) zapcore.Encoder {
	cfg := zap.NewDevelopmentEncoderConfig()
	cfg.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05.000")
	cfg.EncodeDuration = zapcore.StringDurationEncoder
	if color {
		cfg.EncodeLevel = zapcore.CapitalColorLevelEncoder
	}
	return zapcore.NewConsoleEncoder(cfg)
}

// isTerminal reports whether w is a character device such as a terminal;
// pipes, files and buffers are not.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}
