package engine

import (
	"slices"
	"testing"
)

func TestChunkLen(t *testing.T) {
	views := func(sizes ...int) []bugView {
		vs := make([]bugView, len(sizes))
		for i, n := range sizes {
			vs[i].Links = map[int64]LinkSource{}
			for j := range n {
				vs[i].Links[int64(j)] = LinkFromTicket
			}
		}
		return vs
	}
	for _, tc := range []struct {
		name  string
		sizes []int
		want  []int // chunk lengths, in order
	}{
		{"all fit", []int{300, 300, 400}, []int{3}},
		{"split where the next would pass the limit", []int{600, 300, 200, 500}, []int{2, 2}},
		{"a bug bigger than the limit goes alone", []int{10, 5000, 10}, []int{1, 1, 1}},
		{"bugs without tickets ride along", []int{1000, 0, 0, 1}, []int{3, 1}},
	} {
		vs := views(tc.sizes...)
		var got []int
		for len(vs) > 0 {
			n := chunkLen(vs, 1000)
			got = append(got, n)
			vs = vs[n:]
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: sizes %v chunk as %v, want %v", tc.name, tc.sizes, got, tc.want)
		}
	}
}
