package bwlimit

import (
	"errors"
	"strings"
	"testing"
	"time"
)

const (
	kib = int64(1) << 10
	mib = int64(1) << 20
)

func TestParse(t *testing.T) {
	h := func(hh, mm int) time.Duration { return time.Duration(hh)*time.Hour + time.Duration(mm)*time.Minute }
	tests := []struct {
		in   string
		want Schedule
	}{
		{"100MiB/s", Schedule{{Rates: Rates{Up: 100 * mib, Down: 100 * mib, Shared: true}}}},
		{"50MB/s", Schedule{{Rates: Rates{Up: 50e6, Down: 50e6, Shared: true}}}},
		{"800Mbit/s", Schedule{{Rates: Rates{Up: 100e6, Down: 100e6, Shared: true}}}},
		{"1048576", Schedule{{Rates: Rates{Up: mib, Down: mib, Shared: true}}}},
		{"off", Schedule{{Rates: Rates{Shared: true}}}},
		{"10MiB/s:off", Schedule{{Rates: Rates{Up: 10 * mib}}}},
		{"off:512KiB/s", Schedule{{Rates: Rates{Down: 512 * kib}}}},
		{"1MiB/s:2MiB/s", Schedule{{Rates: Rates{Up: mib, Down: 2 * mib}}}},
		{"08:00,10MiB/s 19:00,off", Schedule{
			{At: h(8, 0), Rates: Rates{Up: 10 * mib, Down: 10 * mib, Shared: true}},
			{At: h(19, 0), Rates: Rates{Shared: true}},
		}},
		{"19:00,off;08:00,10MiB/s", Schedule{ // out of order, semicolons
			{At: h(8, 0), Rates: Rates{Up: 10 * mib, Down: 10 * mib, Shared: true}},
			{At: h(19, 0), Rates: Rates{Shared: true}},
		}},
		{"  8:30,1MiB/s:off  23:59,800Mbit/s ", Schedule{
			{At: h(8, 30), Rates: Rates{Up: mib}},
			{At: h(23, 59), Rates: Rates{Up: 100e6, Down: 100e6, Shared: true}},
		}},
		{"00:00,5MB/s", Schedule{{At: 0, Rates: Rates{Up: 5e6, Down: 5e6, Shared: true}}}},
		{"Sat-00:00,off Mon-08:00,10MiB/s fri-18:00,1MiB/s", Schedule{ // rclone's weekly form, any case
			{Day: 1, At: h(8, 0), Rates: Rates{Up: 10 * mib, Down: 10 * mib, Shared: true}},
			{Day: 5, At: h(18, 0), Rates: Rates{Up: mib, Down: mib, Shared: true}},
			{Day: 6, At: 0, Rates: Rates{Shared: true}},
		}},
		{"Sun-20:00,off 09:00,1MiB/s", Schedule{ // every day and one day, mixed
			{At: h(9, 0), Rates: Rates{Up: mib, Down: mib, Shared: true}},
			{Day: 7, At: h(20, 0), Rates: Rates{Shared: true}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q): %v", tt.in, err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("Parse(%q) = %v, want %v", tt.in, got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("Parse(%q)[%d] = %+v, want %+v", tt.in, i, got[i], tt.want[i])
				}
			}
			again, err := Parse(got.String()) // String renders what Parse reads back
			if err != nil || len(again) != len(got) || again.String() != got.String() {
				t.Errorf("Parse(%q.String() = %q) = %v, %v", tt.in, got.String(), again, err)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, why string }{
		{"", "empty"},
		{"fast", "not a rate"},
		{"10MiB", ""}, // accepted: a size is a rate in bytes per second (below, not an error)
		{"10MiB/s:", "not a rate"},
		{"10MiB/s:fast", "not a rate"},
		{"08:00", "time of day without a rate"},
		{"08:00,", "not a rate"},
		{"8h,10MiB/s", "not a time of day"},
		{"24:00,10MiB/s", "00:00 to 23:59"},
		{"12:60,10MiB/s", "00:00 to 23:59"},
		{"08:00,10MiB/s 19:00", "not HH:MM,RATE"},
		{"08:00,10MiB/s 08:00,off", "two entries for 08:00"},
		{"Xyz-08:00,10MiB/s", "not a day"},
		{"Mon-25:00,10MiB/s", "not a time of day"},
		{"Mon-08:00,1MiB/s mon-08:00,off", "two entries for Mon-08:00"},
		{"08:00,1MiB/s Tue-08:00,off", "08:00 and Tue-08:00 come into force at the same time"},
		{"08:00,10MiB/s,off", "not a rate"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if tt.why == "" {
				if err != nil {
					t.Fatalf("Parse(%q): %v", tt.in, err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want an error", tt.in, got)
			}
			if !errors.Is(err, ErrSyntax) {
				t.Errorf("Parse(%q) error %q does not wrap ErrSyntax", tt.in, err)
			}
			if !strings.Contains(err.Error(), tt.why) || !strings.Contains(err.Error(), Forms) {
				t.Errorf("Parse(%q) error = %q, want it to say %q and name the forms", tt.in, err, tt.why)
			}
		})
	}
}

// The entry in force is the last whose time of day has passed; before the first entry of
// the day, the last one of the day before.
func TestScheduleAt(t *testing.T) {
	s, err := Parse("08:00,10MiB/s 12:30,1MiB/s:off 19:00,off")
	if err != nil {
		t.Fatal(err)
	}
	loc := time.FixedZone("test", 2*3600)
	at := func(hh, mm, ss int) time.Time { return time.Date(2026, 12, 1, hh, mm, ss, 0, loc) }
	tests := []struct {
		t    time.Time
		want string
	}{
		{at(0, 0, 0), "off"},
		{at(7, 59, 59), "off"}, // 19:00 of the day before
		{at(8, 0, 0), "10.0MiB/s"},
		{at(12, 29, 59), "10.0MiB/s"},
		{at(12, 30, 0), "1.0MiB/s:off"},
		{at(18, 59, 0), "1.0MiB/s:off"},
		{at(19, 0, 0), "off"},
		{at(23, 59, 59), "off"},
		{at(8, 0, 0).In(time.UTC), "off"}, // 06:00 in UTC: the location of t is what counts
	}
	for _, tt := range tests {
		if got := s.At(tt.t).String(); got != tt.want {
			t.Errorf("At(%s) = %s, want %s", tt.t.Format("15:04:05 MST"), got, tt.want)
		}
	}
	one, _ := Parse("20:00,5MB/s")
	if got := one.At(at(3, 0, 0)).String(); got != "4.8MiB/s" {
		t.Errorf("a timetable of one entry: At(03:00) = %s, want 4.8MiB/s all day", got)
	}
	if (Schedule{}).At(at(3, 0, 0)) != (Rates{}) {
		t.Errorf("an empty schedule limits something")
	}
}

func TestScheduleNext(t *testing.T) {
	s, _ := Parse("08:00,10MiB/s 19:00,off")
	loc := time.FixedZone("test", -5*3600)
	tests := []struct {
		t        time.Time
		wantI    int
		wantNext time.Time
	}{
		{time.Date(2026, 12, 1, 3, 0, 0, 0, loc), 1, time.Date(2026, 12, 1, 8, 0, 0, 0, loc)},
		{time.Date(2026, 12, 1, 9, 0, 0, 0, loc), 0, time.Date(2026, 12, 1, 19, 0, 0, 0, loc)},
		{time.Date(2026, 12, 31, 20, 0, 0, 0, loc), 1, time.Date(2027, 1, 1, 8, 0, 0, 0, loc)},
	}
	for _, tt := range tests {
		i, next := s.in(tt.t)
		if i != tt.wantI || !next.Equal(tt.wantNext) {
			t.Errorf("in(%s) = %d, %s; want %d, %s", tt.t, i, next, tt.wantI, tt.wantNext)
		}
	}
}

func TestScheduleOff(t *testing.T) {
	for in, want := range map[string]bool{
		"off": true, "0": true, "off:off": true, "08:00,off 09:00,0": true,
		"1MiB/s": false, "off:1MiB/s": false, "08:00,off 09:00,1MiB/s": false,
	} {
		s, err := Parse(in)
		if err != nil {
			t.Fatal(err)
		}
		if s.Off() != want {
			t.Errorf("Parse(%q).Off() = %v, want %v", in, s.Off(), want)
		}
	}
}

// A weekly timetable (rclone's Mon-HH:MM entries): the entry in force is the one that
// came into force last, wrapping round the week; an entry with no day comes into force
// every day.
func TestScheduleWeekly(t *testing.T) {
	s, err := Parse("Mon-08:00,10MiB/s Fri-18:00,1MiB/s Sat-00:00,off")
	if err != nil {
		t.Fatal(err)
	}
	loc := time.FixedZone("test", 3600)
	day := func(d, hh, mm int) time.Time { return time.Date(2026, 11, 30+d, hh, mm, 0, 0, loc) } // 30 Nov 2026: a Monday
	tests := []struct {
		t        time.Time
		want     string
		wantNext time.Time
	}{
		{day(0, 7, 59), "off", day(0, 8, 0)},                                                      // Monday before 08:00: Saturday's, from last week
		{day(0, 8, 0), "10.0MiB/s", day(4, 18, 0)},                                                // Monday 08:00 until Friday 18:00
		{day(2, 3, 0), "10.0MiB/s", day(4, 18, 0)},                                                // Wednesday
		{day(4, 18, 0), "1.0MiB/s", day(5, 0, 0)},                                                 // Friday evening
		{day(6, 23, 59), "off", day(7, 8, 0)},                                                     // Sunday night: next Monday 08:00
		{day(13, 12, 0), "off", day(14, 8, 0)},                                                    // a week later, the same
		{day(4, 18, 30).In(time.UTC), "10.0MiB/s", time.Date(2026, 12, 4, 18, 0, 0, 0, time.UTC)}, // 17:30 in UTC: t's location counts
	}
	for _, tt := range tests {
		i, next := s.in(tt.t)
		if got := s[i].Rates.String(); got != tt.want || !next.Equal(tt.wantNext) {
			t.Errorf("in(%s) = %s until %s; want %s until %s", tt.t.Format("Mon 15:04 MST"), got, next, tt.want, tt.wantNext)
		}
	}
	mixed, err := Parse("09:00,1MiB/s Sun-20:00,off")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		t    time.Time
		want string
	}{
		{day(6, 19, 0), "1.0MiB/s"}, // Sunday 19:00: that day's 09:00
		{day(6, 21, 0), "off"},      // Sunday 21:00
		{day(7, 8, 0), "off"},       // Monday 08:00: still Sunday's 20:00
		{day(7, 9, 0), "1.0MiB/s"},  // Monday 09:00
	} {
		if got := mixed.At(tt.t).String(); got != tt.want {
			t.Errorf("mixed: At(%s) = %s, want %s", tt.t.Format("Mon 15:04"), got, tt.want)
		}
	}
}
