package cli

import (
	"github.com/haul-s3/haul/bwlimit"
	"github.com/haul-s3/haul/transfer"
)

// bwlimitHelp is the help of --bwlimit.
const bwlimitHelp = `cap the bytes moved per second, shared by every request of the run: RATE (100MiB/s, 50MB/s, 800Mbit/s, bytes per second, or off) for uploads and downloads together, UP:DOWN (10MiB/s:off) for each apart, or a timetable in local time, "08:00,10MiB/s 19:00,off" (each entry holds from its time until the next; before the first, the last of the day before); a copy within one server (CopyObject) moves no byte through haul and is not capped`

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

// bandwidth returns the engine's pacing for the schedule: none when it never limits.
func bandwidth(s bwlimit.Schedule) transfer.Bandwidth {
	if s.Off() {
		return transfer.Bandwidth{}
	}
	l := bwlimit.New(s)
	return transfer.Bandwidth{Up: l.Up(), Down: l.Down()}
}
