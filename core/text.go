package core

import (
	"unicode"
	"unicode/utf8"
)

// checkText refuses user text that is not valid UTF-8 or holds control
// characters (other than newlines and tabs), with an error about field:
// such text could forge lines or escape sequences wherever it is shown.
func checkText(field Field, what, s string) error {
	if !utf8.ValidString(s) {
		return Invalidf(field, "%s is not valid UTF-8.", what)
	}
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			return Invalidf(field, "%s contains control characters.", what)
		}
	}
	return nil
}
