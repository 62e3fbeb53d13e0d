// Package bytesize parses and formats byte counts such as "64MiB", "1GB" and "5242880".
package bytesize

import (
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
	t := strings.TrimSpace(s)
	i := 0
	for i < len(t) && (t[i] >= '0' && t[i] <= '9' || t[i] == '.') {
		i++
	}
	num, unit := t[:i], strings.ToLower(strings.TrimSpace(t[i:]))
	mult, ok := units[unit]
	if num == "" || !ok {
		return 0, fmt.Errorf("%q is not a size: write it like 64MiB, 1GB or 5242880", s)
	}
	v, ok := new(big.Rat).SetString(num) // exact: 1.001KB is 1001 bytes, not 1000.999...
	if !ok || strings.Count(num, ".") > 1 {
		return 0, fmt.Errorf("%q is not a size: write it like 64MiB, 1GB or 5242880", s)
	}
	v.Mul(v, new(big.Rat).SetInt64(mult))
	n := new(big.Int).Quo(v.Num(), v.Denom()) // whole bytes, rounded down
	if !n.IsInt64() {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	if n.Int64() < 1 {
		return 0, fmt.Errorf("size %q must be at least one byte", s)
	}
	return n.Int64(), nil
}

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
