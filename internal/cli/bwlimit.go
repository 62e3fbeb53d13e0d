package cli

import (
	"sync"

	"github.com/haul-s3/haul/bwlimit"
	"github.com/haul-s3/haul/transfer"
)

// bwlimitHelp is the help of --bwlimit.
const bwlimitHelp = `cap the bytes moved per second, shared by every request of the run: RATE (100MiB/s, 50MB/s, 800Mbit/s, bytes per second, or off) for uploads and downloads together, UP:DOWN (10MiB/s:off) for each apart, or a timetable in local time, "08:00,10MiB/s 19:00,off" or weekly, "Mon-08:00,10MiB/s Sat-00:00,off" (each entry holds from its time until the next; before the first, the last one before it; a note says when another comes into force); a copy within one server (CopyObject) moves no byte through haul and is not capped`

// bwlimitFlag is the pflag.Value of --bwlimit.
type bwlimitFlag struct{ s *bwlimit.Schedule }

func (b bwlimitFlag) String() string {
	if b.s == nil || *b.s == nil {
		return ""
	}
	return b.s.String()
}

func (b bwlimitFlag) Set(v string) error {
	s, err := bwlimit.Parse(v)
	if err != nil {
		return err
	}
	*b.s = s
	return nil
}

func (b bwlimitFlag) Type() string { return "rate" }

// bandwidth returns the engine's pacing for --bwlimit, none when it never limits, and
// keeps the limiter for noteBandwidthChanges.
func (f *cpFlags) bandwidth() transfer.Bandwidth {
	f.limiter = nil
	if f.bwlimit.Off() {
		return transfer.Bandwidth{}
	}
	f.limiter = bwlimit.New(f.bwlimit)
	return transfer.Bandwidth{Up: f.limiter.Up(), Down: f.limiter.Down()}
}

// noteBandwidthChanges returns the observer to give the engine: obs, which with a
// --bwlimit timetable also receives a note (a "note" event with --json) each time another
// entry comes into force during the run. The note comes from the goroutine of a transfer,
// so obs is then called through a lock, one event at a time.
func (f *cpFlags) noteBandwidthChanges(obs transfer.Observer) transfer.Observer {
	if f.limiter == nil || len(f.bwlimit) < 2 {
		return obs
	}
	so := &serialObserver{o: obs}
	f.limiter.OnChange(func(s bwlimit.Slot) {
		so.Observe(transfer.Event{Kind: transfer.Notice, Note: "--bwlimit: " + s.Rates.String() + " from " + s.Time() + " (timetable)"})
	})
	return so
}

// serialObserver passes events to o one at a time.
type serialObserver struct {
	mu sync.Mutex
	o  transfer.Observer
}

func (s *serialObserver) Observe(ev transfer.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.o.Observe(ev)
}
