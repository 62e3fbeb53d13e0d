// Package bytesize parses and formats byte counts such as "64MiB", "1GB" and "5242880", and
// rates such as "100MiB/s", "50MB/s" and "800Mbit/s".
package bytesize

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Common sizes.
const (
	KiB int64 = 1 << 10
	MiB int64 = 1 << 20
	GiB int64 = 1 << 30
	TiB int64 = 1 << 40
)

var units = map[string]int64{
	"": 1, "b": 1,
	"k": 1000, "kb": 1000, "m": 1000 * 1000, "mb": 1000 * 1000,
	"g": 1000 * 1000 * 1000, "gb": 1000 * 1000 * 1000, "t": 1000 * 1000 * 1000 * 1000, "tb": 1000 * 1000 * 1000 * 1000,
	"kib": KiB, "mib": MiB, "gib": GiB, "tib": TiB,
}

// Parse parses a positive byte count: a whole or decimal number followed by an optional unit
// (B, KB, MB, GB, TB in powers of 1000; KiB, MiB, GiB, TiB in powers of 1024; case-insensitive).
func Parse(s string) (int64, error) {
	notSize := fmt.Errorf("%q is not a size: write it like 64MiB, 1GB or 5242880", s)
	num, unit := split(s)
	mult, ok := units[unit]
	if !ok {
		return 0, notSize
	}
	v, ok := count(num, mult, 1)
	if !ok {
		return 0, notSize
	}
	if !v.IsInt64() {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	if v.Int64() < 1 {
		return 0, fmt.Errorf("size %q must be at least one byte", s)
	}
	return v.Int64(), nil
}

// bitUnits are the units of a rate given in bits, in powers of 1000 as network speeds are.
var bitUnits = map[string]int64{
	"bit": 1, "kbit": 1000, "mbit": 1000 * 1000, "gbit": 1000 * 1000 * 1000, "tbit": 1000 * 1000 * 1000 * 1000,
}

// ErrNotRate is wrapped by ParseRate's error for a text that is no rate at all.
var ErrNotRate = errors.New("not a rate")

// RateForms names the forms ParseRate takes, for messages.
const RateForms = "100MiB/s, 50MB/s, 800Mbit/s, 1048576 (bytes per second) or off"

// ParseRate parses a rate in bytes per second: a size as Parse takes it, or a number of bits
// (bit, kbit, Mbit, Gbit, Tbit: powers of 1000), either optionally followed by "/s":
// "100MiB/s", "50MB/s", "800Mbit/s" (100,000,000 bytes a second), "1048576". "off" and "0"
// mean no limit, and return 0. A rate in bits is rounded down to whole bytes.
func ParseRate(s string) (int64, error) {
	notRate := fmt.Errorf("%q is %w: write it like %s", s, ErrNotRate, RateForms)
	t := strings.TrimSpace(s)
	if strings.EqualFold(t, "off") {
		return 0, nil
	}
	num, unit := split(strings.TrimSuffix(strings.TrimSuffix(t, "/s"), "/S"))
	mult, div := units[unit], int64(1)
	if bits, ok := bitUnits[unit]; ok {
		mult, div = bits, 8
	} else if _, ok := units[unit]; !ok {
		return 0, notRate
	}
	v, ok := count(num, mult, div)
	switch {
	case !ok:
		return 0, notRate
	case v.Sign() == 0 && isZero(num):
		return 0, nil
	case !v.IsInt64():
		return 0, fmt.Errorf("rate %q is too large", s)
	case v.Int64() < 1:
		return 0, fmt.Errorf("rate %q must be at least one byte per second (or off)", s)
	}
	return v.Int64(), nil
}

// split cuts a trimmed size into its number and its lowercased unit.
func split(s string) (num, unit string) {
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	return t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
}

// count returns num * mult / div rounded down to a whole number, exactly (1.001KB is 1001
// bytes, not 1000.999...); ok is false when num is not a number.
func count(num string, mult, div int64) (*big.Int, bool) {
	if num == "" || strings.Count(num, ".") > 1 {
		return nil, false
	}
	v, ok := new(big.Rat).SetString(num)
	if !ok {
		return nil, false
	}
	v.Mul(v, new(big.Rat).SetFrac64(mult, div))
	return new(big.Int).Quo(v.Num(), v.Denom()), true
}

// isZero reports whether num, a number, is zero ("0", "0.0", ".0").
func isZero(num string) bool { return strings.Trim(num, "0.") == "" }

// Format renders n in binary units with one decimal: "12.0 MiB", "512 B".
func Format(n int64) string {
	if n < KiB && n > -KiB {
		return strconv.FormatInt(n, 10) + " B"
	}
	f := float64(n)
	for _, u := range []string{"KiB", "MiB", "GiB", "TiB"} {
		f /= 1024
		if math.Abs(f) < 1023.95 || u == "TiB" { // 1023.95 and up would print as "1024.0"
			return strconv.FormatFloat(f, 'f', 1, 64) + " " + u
		}
	}
	return "" // unreachable
}
