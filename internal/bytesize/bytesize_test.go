package bytesize

import (
	"strconv"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"64MiB", 64 * MiB},
		{"1GB", 1000 * 1000 * 1000},
		{"5242880", 5242880},
		{"1.5GiB", 3 * GiB / 2},
		{"10k", 10000},
		{"10K", 10000},
		{"10kb", 10000},
		{"10KB", 10000},
		{"1", 1},
		{"1b", 1},
		{"512B", 512},
		{"2KiB", 2048},
		{"2kib", 2048},
		{"2KIB", 2048},
		{"3m", 3 * 1000 * 1000},
		{"3MB", 3 * 1000 * 1000},
		{"8mib", 8 * MiB},
		{"4g", 4 * 1000 * 1000 * 1000},
		{"4gib", 4 * GiB},
		{"2t", 2 * 1000 * 1000 * 1000 * 1000},
		{"2TB", 2 * 1000 * 1000 * 1000 * 1000},
		{"2TiB", 2 * TiB},
		{"0.5KiB", 512},
		{".5KiB", 512},
		{"1.", 1},
		{"007", 7},
		{" 64MiB", 64 * MiB},
		{"64MiB ", 64 * MiB},
		{"64 MiB", 64 * MiB},
		{"\t64  MiB\n", 64 * MiB},
		{"8388607TiB", 8388607 * TiB}, // just under 2^63
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"empty", "", "not a size"},
		{"spaces only", "   ", "not a size"},
		{"negative", "-1", "not a size"},
		{"zero", "0", "at least one byte"},
		{"zero with unit", "0MiB", "at least one byte"},
		{"below one byte", "0.4", "at least one byte"},
		{"below one byte with unit", "0.0001KB", "at least one byte"},
		{"letters", "abc", "not a size"},
		{"unit only", "MiB", "not a size"},
		{"unknown unit", "12XB", "not a size"},
		{"exponent", "1e3", "not a size"},
		{"two dots", "1.2.3", "not a size"},
		{"dot only", ".", "not a size"},
		{"dot with unit", ".KiB", "not a size"},
		{"hex", "0x10", "not a size"},
		{"plus sign", "+5", "not a size"},
		{"underscore", "1_000", "not a size"},
		{"comma", "1,000", "not a size"},
		{"space inside number", "1 000", "not a size"},
		{"unit first", "MiB64", "not a size"},
		{"inf", "inf", "not a size"},
		{"NaN", "NaN", "not a size"},
		{"bits", "8bit", "not a size"},
		{"overflow", "99999999999TiB", "too large"},
		{"exactly 2^63", "8388608TiB", "too large"},
		{"overflow bytes", "9223372036854775808", "too large"},
		{"huge", "1" + strings.Repeat("0", 400), ""}, // any error: today "not a size", "too large" would be better
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err == nil {
				t.Fatalf("Parse(%q) = %d, want an error mentioning %q", tt.in, got, tt.wantErr)
			}
			if err.Error() == "" || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) error = %q, want it to mention %q", tt.in, err, tt.wantErr)
			}
			if got != 0 {
				t.Errorf("Parse(%q) = %d with an error, want 0", tt.in, got)
			}
		})
	}
}

// A decimal number of decimal units that names a whole number of bytes must give exactly that
// number: sizes are counts, and a float product truncated toward zero loses a byte.
func TestParseDecimalExact(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"0.3KB", 300},
		{"1.2MB", 1200 * 1000},
		{"2.5GB", 2500 * 1000 * 1000},
		{"0.001KB", 1},
		{"1.001KB", 1001},
		{"1.005KB", 1005},
		{"2.01KB", 2010},
		{"1.001MB", 1001 * 1000},
		{"1.001GB", 1001 * 1000 * 1000},
		{"4.1TB", 4100 * 1000 * 1000 * 1000},
		{"0.5KiB", 512},
		{"1.25MiB", 5 * MiB / 4},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if err != nil {
				t.Fatalf("Parse(%q) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("Parse(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestFormat(t *testing.T) {
	tests := []struct {
		in   int64
		want string
	}{
		{0, "0 B"},
		{1, "1 B"},
		{512, "512 B"},
		{1023, "1023 B"},
		{1024, "1.0 KiB"},
		{1536, "1.5 KiB"},
		{12 * MiB, "12.0 MiB"},
		{64 * MiB, "64.0 MiB"},
		{3 * GiB / 2, "1.5 GiB"},
		{5 * GiB, "5.0 GiB"},
		{2 * TiB, "2.0 TiB"},
		{2048 * TiB, "2048.0 TiB"}, // TiB is the largest unit
		{-1, "-1 B"},
		{-1023, "-1023 B"},
		{-2048, "-2.0 KiB"},
		{-3 * MiB, "-3.0 MiB"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			if got := Format(tt.in); got != tt.want {
				t.Errorf("Format(%d) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// Format's output, with the space removed, parses back to about the same size.
func TestFormatParse(t *testing.T) {
	for _, n := range []int64{1, 999, 1024, 5 * MiB, 64 * MiB, 3 * GiB, 7 * TiB} {
		s := Format(n)
		got, err := Parse(s)
		if err != nil {
			t.Errorf("Parse(Format(%d) = %q): %v", n, s, err)
			continue
		}
		if d := got - n; d > n/20 || d < -n/20 {
			t.Errorf("Parse(Format(%d) = %q) = %d, too far from %d", n, s, got, n)
		}
	}
}

func FuzzParseSize(f *testing.F) {
	for _, s := range []string{
		"64MiB", "1GB", "5242880", "1.5GiB", "10k", " 64 MiB ", "0", "-1", "abc", "12XB", "1e3",
		"99999999999TiB", "0.5", ".", "8388608TiB",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := Parse(s)
		if err != nil {
			if n != 0 {
				t.Errorf("Parse(%q) = %d with error %v, want 0", s, n, err)
			}
			return
		}
		if n < 1 {
			t.Errorf("Parse(%q) = %d, want at least 1", s, n)
		}
		// A plain whole number of bytes, small enough to be exact in a float64, is itself.
		if digits := strings.TrimSpace(s); len(digits) <= 15 && strings.Trim(digits, "0123456789") == "" {
			if want, err := strconv.ParseInt(digits, 10, 64); err == nil && n != want {
				t.Errorf("Parse(%q) = %d, want %d", s, n, want)
			}
		}
		_ = Format(n)
	})
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want int64
	}{
		{"100MiB/s", 100 * MiB},
		{"50MB/s", 50 * 1000 * 1000},
		{"800Mbit/s", 100 * 1000 * 1000},
		{"800mbit/S", 100 * 1000 * 1000},
		{"1Gbit/s", 125 * 1000 * 1000},
		{"8kbit/s", 1000},
		{"12bit/s", 1}, // rounded down to whole bytes
		{"1048576", 1048576},
		{"1048576/s", 1048576},
		{"64KiB", 64 * KiB},
		{"1.5MiB/s", 3 * MiB / 2},
		{" 10 MiB/s ", 10 * MiB},
		{"off", 0},
		{"OFF", 0},
		{"0", 0},
		{"0MiB/s", 0},
		{"0.0", 0},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseRate(tt.in)
			if err != nil {
				t.Fatalf("ParseRate(%q) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseRate(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseRateErrors(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"empty", "", "not a rate"},
		{"negative", "-1MiB/s", "not a rate"},
		{"unknown unit", "10XB/s", "not a rate"},
		{"per minute", "10MiB/m", "not a rate"},
		{"bits per byte unit", "10MiBit/s", "not a rate"},
		{"unit only", "MiB/s", "not a rate"},
		{"two dots", "1.2.3MB/s", "not a rate"},
		{"exponent", "1e9", "not a rate"},
		{"below one byte", "7bit/s", "at least one byte per second"},
		{"below one byte decimal", "0.5", "at least one byte per second"},
		{"too large", "99999999999TiB/s", "too large"},
		{"timetable", "08:00,10MiB/s", "not a rate"},
		{"pair", "10MiB/s:off", "not a rate"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseRate(tt.in)
			if err == nil {
				t.Fatalf("ParseRate(%q) = %d, want an error mentioning %q", tt.in, got, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseRate(%q) error = %q, want it to mention %q", tt.in, err, tt.wantErr)
			}
			if strings.Contains(tt.wantErr, "not a rate") && !strings.Contains(err.Error(), RateForms) {
				t.Errorf("ParseRate(%q) error = %q, want it to name the forms (%s)", tt.in, err, RateForms)
			}
		})
	}
}
