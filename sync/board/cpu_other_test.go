//go:build !unix

package board

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
