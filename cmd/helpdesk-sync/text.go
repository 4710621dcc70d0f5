package main

import "strconv"

// plural is n with the form of the noun that agrees with it: "1 problem",
// "0 problems", "2 problems".
func plural(n int, one, many string) string {
	return strconv.Itoa(n) + " " + agree(n, one, many)
}

// agree is the form of a word that agrees with n.
func agree(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
