package object

import (
	"bytes"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"hash/crc64"
	"math/rand/v2"
	"strings"
	"testing"
)

// The published check values (the CRC of the ASCII bytes "123456789", from the CRC
// catalogue) and SHA-256's, as S3 headers carry them.
func TestSumOfCheckString(t *testing.T) {
	be := func(v uint64, width int) string {
		b := binary.BigEndian.AppendUint64(nil, v)
		return base64.StdEncoding.EncodeToString(b[8-width/8:])
	}
	for alg, want := range map[string]string{
		ChecksumCRC64NVME: be(0xae8b14860a799888, 64),
		ChecksumCRC32C:    be(0xe3069283, 32),
		ChecksumCRC32:     be(0xcbf43926, 32),
		ChecksumSHA256:    "FeKw08M4keuw8e9gnsQZQgwg4yDOlMZfvIwzEkSOsiU=",
	} {
		if got := Sum(alg, []byte("123456789")); got != (Checksum{Algorithm: alg, Value: want}) {
			t.Errorf("%s of \"123456789\" = %s, want %s", alg, got.Value, want)
		}
	}
}

// crc64NVMEReference is CRC-64/NVME by hash/crc64's portable code: the reflected polynomial
// 0x9a6c9329ac4bc9b5, initial value and final XOR all ones (hash/crc64 does both).
var crc64NVMEReference = crc64.MakeTable(0x9a6c9329ac4bc9b5)

// NewHash's CRC-64/NVME (a SIMD implementation with paths chosen by length and alignment:
// under 128 bytes, 128-byte blocks, 1 KiB for AVX-512, an unaligned head) agrees with
// hash/crc64 on random data of every length around those steps, at every alignment, and
// when the data comes in Writes of random sizes.
func TestCRC64NVMEAgreesWithHashCRC64(t *testing.T) {
	rng := rand.New(rand.NewPCG(61, 62))
	buf := make([]byte, 3<<20+256)
	for i := range buf {
		buf[i] = byte(rng.Uint32())
	}
	var lengths []int
	for n := range 300 {
		lengths = append(lengths, n)
	}
	for _, step := range []int{1024, 2048, 4096, 1 << 20, 3 << 20} {
		lengths = append(lengths, step-129, step-128, step-1, step, step+1, step+127, step+128)
	}
	for range 50 {
		lengths = append(lengths, rng.IntN(len(buf)-16))
	}
	for _, n := range lengths {
		for _, off := range []int{0, 1, 7, 8, 15} {
			p := buf[off : off+n]
			want := binary.BigEndian.AppendUint64(nil, crc64.Checksum(p, crc64NVMEReference))
			h, err := NewHash(ChecksumCRC64NVME)
			if err != nil {
				t.Fatal(err)
			}
			h.Write(p)
			if got := h.Sum(nil); !bytes.Equal(got, want) {
				t.Fatalf("length %d at offset %d: %x, hash/crc64 %x", n, off, got, want)
			}
			// The same bytes in Writes of random sizes.
			h.Reset()
			for rest := p; len(rest) > 0; {
				k := min(len(rest), 1+rng.IntN(5000))
				h.Write(rest[:k])
				rest = rest[k:]
			}
			if got := h.Sum(nil); !bytes.Equal(got, want) {
				t.Fatalf("length %d at offset %d in pieces: %x, hash/crc64 %x", n, off, got, want)
			}
		}
	}
}

// Each algorithm name gets a hash of the size S3 expects; an unknown name gets none.
func TestNewHashSizes(t *testing.T) {
	for alg, size := range map[string]int{ChecksumCRC32C: 4, ChecksumCRC32: 4, ChecksumCRC64NVME: 8,
		ChecksumSHA256: 32, ChecksumSHA1: 20, ChecksumMD5: 16} {
		if h, err := NewHash(alg); err != nil || h.Size() != size {
			t.Errorf("%s: %v, want a hash of %d bytes", alg, err, size)
		}
	}
	if _, err := NewHash("CRC16"); err == nil {
		t.Error("NewHash accepted an unknown algorithm")
	}
	if Sum("CRC16", nil) != (Checksum{}) {
		t.Error("Sum of an unknown algorithm is not the zero Checksum")
	}
}

// BenchmarkHash hashes 64 MiB with each algorithm, in one Write and in Writes of 256 KiB
// (as haul's file reads come), and with hash/crc64's NVME table, which NewHash used before
// minio/crc64nvme. MB/s is the figure to read.
func BenchmarkHash(b *testing.B) {
	data := make([]byte, 64<<20)
	_, _ = rand.NewChaCha8([32]byte{69}).Read(data)
	algs := []string{ChecksumCRC64NVME, "hash/crc64", ChecksumCRC32C, ChecksumCRC32, ChecksumSHA256, ChecksumSHA1, ChecksumMD5}
	for _, write := range []int{len(data), 256 << 10} {
		for _, alg := range algs {
			b.Run(fmt.Sprintf("%s/write=%dKiB", strings.ReplaceAll(alg, "/", "-"), write>>10), func(b *testing.B) {
				h, err := NewHash(alg)
				if alg == "hash/crc64" {
					h, err = crc64.New(crc64NVMEReference), nil
				}
				if err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(data)))
				for b.Loop() {
					h.Reset()
					for p := data; len(p) > 0; p = p[write:] {
						h.Write(p[:write])
					}
				}
			})
		}
	}
}
