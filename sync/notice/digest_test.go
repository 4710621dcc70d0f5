package notice

import (
	"testing"
	"time"
)

func TestNextDigest(t *testing.T) {
	ny, _ := time.LoadLocation("America/New_York")
	berlin, _ := time.LoadLocation("Europe/Berlin")
	tests := []struct {
		name string
		now  time.Time
		loc  *time.Location
		hour int
		want time.Time
	}{
		{"later today", time.Date(2025, 6, 2, 8, 0, 0, 0, time.UTC), time.UTC, 9, time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)},
		{"at the hour: tomorrow", time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC), time.UTC, 9, time.Date(2025, 6, 3, 9, 0, 0, 0, time.UTC)},
		{"zone's day, not UTC's", time.Date(2025, 6, 3, 2, 0, 0, 0, time.UTC), ny, 9, time.Date(2025, 6, 2, 9, 0, 0, 0, ny).AddDate(0, 0, 1)},
		{"fall back: 25 hours later", time.Date(2025, 11, 1, 9, 0, 0, 0, ny), ny, 9, time.Date(2025, 11, 2, 14, 0, 0, 0, time.UTC)},
		{"spring forward: 23 hours later", time.Date(2025, 3, 8, 9, 0, 0, 0, ny), ny, 9, time.Date(2025, 3, 9, 13, 0, 0, 0, time.UTC)},
		{"hour skipped by DST: the hour after", time.Date(2025, 3, 29, 12, 0, 0, 0, berlin), berlin, 2, time.Date(2025, 3, 30, 1, 0, 0, 0, time.UTC)},
		{"midnight", time.Date(2025, 12, 31, 23, 30, 0, 0, time.UTC), time.UTC, 0, time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := NextDigest(tt.now, tt.loc, tt.hour)
			if !got.Equal(tt.want) {
				t.Errorf("NextDigest(%s, %s, %d) = %s, want %s", tt.now, tt.loc, tt.hour, got, tt.want.In(tt.loc))
			}
		})
	}
	// Each local day of a year has exactly one digest time.
	seen := map[string]bool{}
	for at := NextDigest(time.Date(2024, 12, 31, 12, 0, 0, 0, ny), ny, 1); at.Year() == 2025; at = NextDigest(at, ny, 1) {
		day := at.Format(time.DateOnly)
		if seen[day] {
			t.Fatalf("two digests on %s", day)
		}
		seen[day] = true
	}
	if len(seen) != 365 {
		t.Errorf("%d digest days in 2025, want 365", len(seen))
	}
}
