package store

import (
	"errors"
	"testing"
	"time"
)

// TestParseDate: the date forms of Kanboard's API (reference §3) and those
// Hookboard took before, in UTC; what Kanboard refuses is refused.
func TestParseDate(t *testing.T) {
	day := func(y int, m time.Month, d, h, min int) int64 {
		return time.Date(y, m, d, h, min, 0, 0, time.UTC).Unix()
	}
	cases := []struct {
		in   string
		want int64 // 0: refused
	}{
		{"01/31/2030", day(2030, 1, 31, 0, 0)},
		{"1/5/2030", day(2030, 1, 5, 0, 0)},
		{"2030-01-31", day(2030, 1, 31, 0, 0)},
		{"2030_01_31", day(2030, 1, 31, 0, 0)},
		{"01/31/2030 14:30", day(2030, 1, 31, 14, 30)},
		{"2030-01-31 14:30", day(2030, 1, 31, 14, 30)},
		{"2030_01_31 9:50", day(2030, 1, 31, 9, 50)},
		{" 2030-01-31 ", day(2030, 1, 31, 0, 0)},
		{"2030-01-31T14:30", day(2030, 1, 31, 14, 30)},
		{"2030-01-31T14:30:00+02:00", day(2030, 1, 31, 12, 30)},
		{"1896134400", 1896134400},
		{"2030-02-30", 0},
		{"13/01/2030", 0},
		{"2030-01-31 14:30:15", 0},
		{"2017-02-01 1:15 pm", 0},
		{"2030-01-31 25:00", 0},
		{"tomorrow", 0},
		{"1970-01-01", 0},
		{"-5", 0},
		{"31.01.2030", 0},
	}
	for _, c := range cases {
		got, err := ParseDate(c.in)
		if c.want == 0 {
			if err == nil || !errors.Is(err, ErrInvalid) {
				t.Errorf("ParseDate(%q) = %d, %v; want ErrInvalid", c.in, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseDate(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
}
