// Package bwlimit caps the bandwidth of a run: one rate for every byte, an upload and a
// download rate apart, or a timetable of either by time of day, as rclone's --bwlimit has
// them. A Limiter paces bytes with token buckets (golang.org/x/time/rate); its Up and Down
// are what transfer.Options.Bandwidth takes.
package bwlimit

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/haul-s3/haul/internal/bytesize"
)

// Rates is the limit in force at one time, in bytes per second (0: no limit). Shared is the
// single form (RATE): uploads and downloads draw on one bucket of Up bytes a second. Else
// (UP:DOWN) each direction has its own.
type Rates struct {
	Up, Down int64
	Shared   bool
}

// Off reports whether r limits nothing.
func (r Rates) Off() bool { return r.Up == 0 && r.Down == 0 }

// String renders r as Parse reads it: "10.0 MiB/s", "10.0 MiB/s:off", "off".
func (r Rates) String() string {
	one := func(n int64) string {
		if n == 0 {
			return "off"
		}
		return strings.ReplaceAll(bytesize.Format(n), " ", "") + "/s"
	}
	if r.Shared || r.Off() {
		return one(r.Up)
	}
	return one(r.Up) + ":" + one(r.Down)
}

// Slot is one entry of a timetable: from At (the time of day, local time, as a duration
// from midnight) on Day, or on every day, until the next entry's, Rates hold.
type Slot struct {
	Day   Day
	At    time.Duration
	Rates Rates
}

// Day is the day of the week of a timetable entry (rclone's Mon-HH:MM form): 1 for
// Monday to 7 for Sunday, or EveryDay.
type Day int

// EveryDay, the zero Day, is that of an entry with no day named: it comes into force each
// day.
const EveryDay Day = 0

// days are the names Parse reads, Monday first (rclone's order); a Day is its index + 1.
var days = []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

// Time returns the entry's time as HH:MM, after its day (Mon-HH:MM) when it has one.
func (s Slot) Time() string {
	if s.Day == EveryDay {
		return clock(s.At)
	}
	return days[s.Day-1] + "-" + clock(s.At)
}

// Schedule is a run's limits: one Slot at midnight for a single limit (which then holds
// all day), or a timetable's entries in order of Day and At. The entry in force at a time
// is the last that came into force: that day's last entry whose time has passed, else the
// last one of the days before, wrapping round the week.
type Schedule []Slot

// Forms names the forms Parse takes, for messages.
const Forms = "a rate (" + bytesize.RateForms + "), UP:DOWN (10MiB/s:off) or a timetable of HH:MM,RATE or Mon-HH:MM,RATE entries (\"08:00,10MiB/s 19:00,off\", \"Mon-08:00,10MiB/s Sat-00:00,off\")"

// ErrSyntax is wrapped by every error of Parse.
var ErrSyntax = errors.New("not a bandwidth limit")

// hhmm is a time of day, and also what a pair of plain numbers would look like.
var hhmm = regexp.MustCompile(`^([0-9]{1,2}):([0-9]{2})$`)

// Parse reads a bandwidth limit: RATE ("100MiB/s", "50MB/s", "800Mbit/s", bytes per second,
// "off"; see bytesize.ParseRate) for one bucket shared by uploads and downloads; UP:DOWN
// ("10MiB/s:off") for the two directions apart; or a timetable, entries HH:MM,RATE or
// HH:MM,UP:DOWN separated by spaces or semicolons ("08:00,10MiB/s 19:00,off"), in local
// time; an entry's time may name a day of the week, as rclone's do ("Mon-08:00,10MiB/s
// Sat-00:00,off"): it then comes into force that day only, and one without a day every
// day. The entries need not be in order; two that come into force at the same time (on a
// day both name) are an error. Its errors wrap ErrSyntax and name the accepted forms.
func Parse(s string) (Schedule, error) {
	fail := func(why string) error {
		return fmt.Errorf("%w: %s; give %s", ErrSyntax, why, Forms)
	}
	t := strings.TrimSpace(s)
	if t == "" {
		return nil, fail("it is empty")
	}
	if !strings.Contains(t, ",") {
		r, err := parseRates(t)
		if err != nil {
			return nil, fail(err.Error())
		}
		return Schedule{{Rates: r}}, nil
	}
	var sched Schedule
	for _, e := range strings.FieldsFunc(t, func(c rune) bool { return c == ' ' || c == ';' || c == '\t' }) {
		at, rates, ok := strings.Cut(e, ",")
		if !ok {
			return nil, fail(fmt.Sprintf("timetable entry %q is not HH:MM,RATE", e))
		}
		day, d, err := dayAndTime(at)
		if err != nil {
			return nil, fail(fmt.Sprintf("timetable entry %q: %v", e, err))
		}
		r, err := parseRates(rates)
		if err != nil {
			return nil, fail(fmt.Sprintf("timetable entry %q: %v", e, err))
		}
		sched = append(sched, Slot{Day: day, At: d, Rates: r})
	}
	slices.SortStableFunc(sched, func(a, b Slot) int {
		if a.Day != b.Day {
			return int(a.Day - b.Day)
		}
		return int(a.At - b.At)
	})
	seen := map[time.Duration]Slot{}
	for _, sl := range sched {
		for _, w := range sl.week() {
			if other, ok := seen[w]; ok && other.Time() == sl.Time() {
				return nil, fail("two entries for " + sl.Time())
			} else if ok {
				return nil, fail(fmt.Sprintf("%s and %s come into force at the same time", other.Time(), sl.Time()))
			}
			seen[w] = sl
		}
	}
	return sched, nil
}

// dayAndTime reads HH:MM or DAY-HH:MM (DAY: Mon, Tue, ... Sun, any case).
func dayAndTime(s string) (Day, time.Duration, error) {
	day := EveryDay
	if name, at, ok := strings.Cut(s, "-"); ok {
		i := slices.IndexFunc(days, func(d string) bool { return strings.EqualFold(d, name) })
		if i < 0 {
			return 0, 0, fmt.Errorf("%q is not a day (Mon, Tue, Wed, Thu, Fri, Sat, Sun)", name)
		}
		day, s = Day(i+1), at
	}
	d, err := timeOfDay(s)
	return day, d, err
}

// week returns when the entry comes into force, as durations from Monday 00:00: once a
// week for an entry with a day, seven times for one without.
func (sl Slot) week() []time.Duration {
	if sl.Day != EveryDay {
		return []time.Duration{time.Duration(sl.Day-1)*24*time.Hour + sl.At}
	}
	w := make([]time.Duration, 7)
	for d := range w {
		w[d] = time.Duration(d)*24*time.Hour + sl.At
	}
	return w
}

// parseRates reads RATE or UP:DOWN.
func parseRates(s string) (Rates, error) {
	if hhmm.MatchString(s) {
		return Rates{}, fmt.Errorf("%s is a time of day without a rate (a timetable entry is HH:MM,RATE)", s)
	}
	up, down, pair := strings.Cut(s, ":")
	u, err := parseRate(up)
	if err != nil {
		return Rates{}, err
	}
	if !pair {
		return Rates{Up: u, Down: u, Shared: true}, nil
	}
	d, err := parseRate(down)
	if err != nil {
		return Rates{}, err
	}
	return Rates{Up: u, Down: d}, nil
}

// parseRate is bytesize.ParseRate, whose forms Parse's error names already.
func parseRate(s string) (int64, error) {
	r, err := bytesize.ParseRate(s)
	if errors.Is(err, bytesize.ErrNotRate) {
		return 0, fmt.Errorf("%q is not a rate", s)
	}
	return r, err
}

// timeOfDay reads HH:MM (00:00 to 23:59) as the duration from midnight.
func timeOfDay(s string) (time.Duration, error) {
	m := hhmm.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%q is not a time of day HH:MM", s)
	}
	h, _ := strconv.Atoi(m[1])
	mm, _ := strconv.Atoi(m[2])
	if h > 23 || mm > 59 {
		return 0, fmt.Errorf("%q is not a time of day (00:00 to 23:59)", s)
	}
	return time.Duration(h)*time.Hour + time.Duration(mm)*time.Minute, nil
}

// clock renders a time of day as HH:MM.
func clock(d time.Duration) string {
	return fmt.Sprintf("%02d:%02d", int(d/time.Hour), int(d%time.Hour/time.Minute))
}

// Off reports whether s never limits anything.
func (s Schedule) Off() bool {
	for _, sl := range s {
		if !sl.Rates.Off() {
			return false
		}
	}
	return true
}

// in returns the index of the entry in force at t (in t's location), and when the next
// entry takes over: the entry that came into force last, over this week, the one before
// and the one after (so that the week wraps round), and the first to come after t.
func (s Schedule) in(t time.Time) (int, time.Time) {
	y, mo, d := t.Date()
	monday := d - (int(t.Weekday())+6)%7
	when := func(week int, w time.Duration) time.Time {
		day := int(w / (24 * time.Hour))
		at := w % (24 * time.Hour)
		return time.Date(y, mo, monday+7*week+day, int(at/time.Hour), int(at%time.Hour/time.Minute), 0, 0, t.Location())
	}
	i := -1
	var since, next time.Time
	for j, sl := range s {
		for _, w := range sl.week() {
			for week := -1; week <= 1; week++ {
				at := when(week, w)
				switch {
				case !at.After(t) && (i < 0 || at.After(since)):
					i, since = j, at
				case at.After(t) && (next.IsZero() || at.Before(next)):
					next = at
				}
			}
		}
	}
	return i, next
}

// At returns the rates in force at t, in t's location (time.Now() is local time).
func (s Schedule) At(t time.Time) Rates {
	if len(s) == 0 {
		return Rates{}
	}
	i, _ := s.in(t)
	return s[i].Rates
}

// String renders s as Parse reads it.
func (s Schedule) String() string {
	if len(s) == 1 && s[0].At == 0 {
		return s[0].Rates.String()
	}
	parts := make([]string, len(s))
	for i, sl := range s {
		parts[i] = sl.Time() + "," + sl.Rates.String()
	}
	return strings.Join(parts, " ")
}
