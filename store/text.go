package store

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ValidateText refuses text no one could have typed, so that what is
// stored reads back as it was sent: bytes that are not UTF-8 (the API
// would show them as U+FFFD, and a read-then-write would change them), NUL
// and other control characters. Multi-line text (descriptions, comments)
// may hold tab, newline and carriage return; names and titles none.
// field names the input in the reason.
func ValidateText(field, s string, multiline bool) error {
	if !utf8.ValidString(s) {
		return invalid("%s is not valid UTF-8", field)
	}
	for _, r := range s {
		if !unicode.IsControl(r) || multiline && (r == '\t' || r == '\n' || r == '\r') {
			continue
		}
		return invalid("%s contains the control character %U", field, r)
	}
	return nil
}

// ValidateTitle enforces a title of printable text, not blank, of at most
// MaxTitleLength characters.
func ValidateTitle(title string) error {
	return validateName("title", title, MaxTitleLength)
}

// validateName enforces a one-line name of printable text, not blank, of at
// most max characters.
func validateName(field, name string, max int) error {
	if err := ValidateText(field, name, false); err != nil {
		return err
	}
	if strings.TrimSpace(name) == "" {
		return invalid("%s is required", field)
	}
	if utf8.RuneCountInString(name) > max {
		return invalid("%s is longer than %d characters", field, max)
	}
	return nil
}

// validateReference enforces a one-line reference (it may be empty) of at
// most MaxReferenceLength characters.
func validateReference(ref string) error {
	if err := ValidateText("reference", ref, false); err != nil {
		return err
	}
	if utf8.RuneCountInString(ref) > MaxReferenceLength {
		return invalid("reference is longer than %d characters", MaxReferenceLength)
	}
	return nil
}

// checkDates refuses a start after the due date, when both are set
// (Kanboard: "The start date is greater than the end date").
func checkDates(started, due int64) error {
	if started != 0 && due != 0 && started > due {
		return invalid("date_started is after date_due")
	}
	return nil
}
