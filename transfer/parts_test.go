package transfer

import "testing"

func TestPartSize(t *testing.T) {
	const gib = 1 << 30
	tests := []struct {
		size, forced, want int64
		wantErr            bool
	}{
		{size: 100, want: 8 * mib},
		{size: gib, want: 8 * mib},
		{size: 10 * gib, want: 16 * mib},
		{size: 100 * gib, want: 128 * mib},
		{size: MaxObjectSize, want: MaxPartSize},
		{size: MaxObjectSize + 1, wantErr: true},
		{size: gib, forced: 5 * mib, want: 5 * mib},
		{size: 100 * gib, forced: 5 * mib, wantErr: true}, // 20,480 parts
		{size: gib, forced: 4 * mib, wantErr: true},
		{size: gib, forced: 6 * gib, wantErr: true},
	}
	for _, tt := range tests {
		got, err := PartSize(tt.size, tt.forced)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("PartSize(%d, %d) = %d, %v; want %d, error %v", tt.size, tt.forced, got, err, tt.want, tt.wantErr)
		}
		if err == nil && PartCount(tt.size, got) > MaxParts {
			t.Errorf("PartSize(%d, %d) = %d needs %d parts", tt.size, tt.forced, got, PartCount(tt.size, got))
		}
	}
}

func TestStreamPartSizeReachesFiveTiB(t *testing.T) {
	var total int64
	prev := int64(0)
	for n := 1; n <= MaxParts; n++ {
		p := streamPartSize(firstPartSize, n)
		if p < prev || p < MinPartSize || p > MaxPartSize {
			t.Fatalf("part %d: size %d (previous %d)", n, p, prev)
		}
		prev = p
		total += p
	}
	if total < MaxObjectSize {
		t.Fatalf("10,000 stream parts hold %d bytes, less than 5 TiB", total)
	}
}
