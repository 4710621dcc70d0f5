package engine

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

func TestOnlyStopped(t *testing.T) {
	vendor := errors.New("jira: 500")
	fence := fmt.Errorf("engine: %w: %w", errNotLeader, fmt.Errorf("%w: no new leader work", ErrStopping))
	lost := fmt.Errorf("engine: %w: %w", errNotLeader, errors.New("lease lost"))
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"cancelled", context.Canceled, true},
		{"cancelled, wrapped", fmt.Errorf("engine: observe tickets: %w", context.Canceled), true},
		{"stopping fence", fmt.Errorf("engine: observe bugs: %w", fence), true},
		{"stops joined", errors.Join(nil, fence, errors.Join(context.Canceled, nil)), true},
		{"lease lost", lost, false},
		{"vendor failure", vendor, false},
		{"stop and a failure", errors.Join(fence, fmt.Errorf("engine: edit bug PROJ-1: %w", vendor)), false},
		{"failure wrapping a join with a stop", fmt.Errorf("x: %w", errors.Join(vendor, context.Canceled)), false},
		{"deadline", context.DeadlineExceeded, false},
		{"empty join", errors.Join(nil), false},
	}
	for _, tt := range tests {
		if got := onlyStopped(tt.err); got != tt.want {
			t.Errorf("%s: onlyStopped(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}
