package slack

import (
	"os"
	"testing"

	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

// TestMain fails the run when a test leaves keys in Redis.
func TestMain(m *testing.M) { os.Exit(redistest.Run(m)) }
