//go:build unix

package board

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the process has used: on a machine shared
// with other work, it tells what a request costs better than the wall clock.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
