package store

import (
	"strconv"
	"strings"
	"time"
)

// dateLayouts are the dates a task's date_due and date_started take:
// Kanboard's six (its default application format m/d/Y, then Y-m-d and
// Y_m_d, read as Y-m-d, each alone or followed by " H:i"; one-digit months,
// days and hours pass, as in PHP) and the ISO forms Hookboard took before.
var dateLayouts = []string{
	"1/2/2006", "2006-1-2", "1/2/2006 15:04", "2006-1-2 15:04",
	time.RFC3339, "2006-01-02T15:04",
}

// ParseDate reads a task date into unix seconds: unix seconds as digits, or
// one of dateLayouts, read in UTC (Hookboard's application timezone). A
// date without a time is that day's midnight. A date that does not exist
// (2030-02-30), trailing text, natural language and dates before 1970-01-02
// are refused. The empty string is not a date: callers decide what it means.
func ParseDate(s string) (int64, error) {
	s = strings.TrimSpace(s)
	given := s
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n < 0 {
			return 0, invalid("date %q is negative", s)
		}
		return n, nil
	}
	// Y_m_d is Y-m-d with other separators ("_2" means a padded day to Go's
	// layouts, so it cannot be one).
	if strings.Contains(s, "_") && !strings.Contains(s, "-") {
		s = strings.ReplaceAll(s, "_", "-")
	}
	for _, layout := range dateLayouts {
		if t, err := time.ParseInLocation(layout, s, time.UTC); err == nil {
			if t.Unix() <= 0 {
				break
			}
			return t.Unix(), nil
		}
	}
	return 0, invalid("date %q is not a date (use YYYY-MM-DD, MM/DD/YYYY or YYYY_MM_DD, optionally with HH:MM, or unix seconds)", given)
}
