package notice

import (
	"os"
	"testing"

	"github.com/helpdesk-sync/helpdesk-sync/sync/state/redistest"
)

func TestMain(m *testing.M) { os.Exit(redistest.Run(m)) }
