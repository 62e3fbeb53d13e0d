package object

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestParseGood(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		want  Ref
		isDir bool
	}{
		{"bucket only", "s3://bucket", Ref{Bucket: "bucket"}, true},
		{"bucket slash", "s3://bucket/", Ref{Bucket: "bucket"}, true},
		{"key", "s3://bucket/key.txt", Ref{Bucket: "bucket", Key: "key.txt"}, false},
		{"nested key", "s3://my-bucket/a/b/c.txt", Ref{Bucket: "my-bucket", Key: "a/b/c.txt"}, false},
		{"nested prefix", "s3://my.bucket.1/a/b/", Ref{Bucket: "my.bucket.1", Key: "a/b/"}, true},
		{"scheme any case", "S3://bucket/k", Ref{Bucket: "bucket", Key: "k"}, false},
		{"shortest bucket", "s3://abc/k", Ref{Bucket: "abc", Key: "k"}, false},
		{"longest bucket", "s3://" + strings.Repeat("a", 63) + "/k", Ref{Bucket: strings.Repeat("a", 63), Key: "k"}, false},
		{"digits bucket", "s3://123/k", Ref{Bucket: "123", Key: "k"}, false},
		{"key of max length", "s3://bucket/" + strings.Repeat("k", MaxKeyLen), Ref{Bucket: "bucket", Key: strings.Repeat("k", MaxKeyLen)}, false},
		{"unicode key", "s3://bucket/héllo/wörld", Ref{Bucket: "bucket", Key: "héllo/wörld"}, false},
		{"dots inside segment", "s3://bucket/a/.hidden/..b/c..", Ref{Bucket: "bucket", Key: "a/.hidden/..b/c.."}, false},
		{"empty segment", "s3://bucket/a//b", Ref{Bucket: "bucket", Key: "a//b"}, false},
		{"key with spaces and query chars", "s3://bucket/a b?c=d#e", Ref{Bucket: "bucket", Key: "a b?c=d#e"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseURL(tt.in)
			if err != nil {
				t.Fatalf("ParseURL(%q) error: %v", tt.in, err)
			}
			if got != tt.want {
				t.Fatalf("ParseURL(%q) = %+v, want %+v", tt.in, got, tt.want)
			}
			if got.IsDir() != tt.isDir {
				t.Errorf("ParseURL(%q).IsDir() = %v, want %v", tt.in, got.IsDir(), tt.isDir)
			}
			again, err := ParseURL(got.String())
			if err != nil || again != got {
				t.Errorf("ParseURL(%q) = %+v, %v; want %+v (round trip)", got.String(), again, err, got)
			}
		})
	}
}

func TestParseBad(t *testing.T) {
	tests := []struct {
		name, in, wantErr string
	}{
		{"empty", "", "not an S3 URL"},
		{"scheme only", "s3://", "no bucket name"},
		{"no bucket", "s3:///key", "no bucket name"},
		{"no scheme", "bucket/key", "not an S3 URL"},
		{"other scheme", "https://bucket/key", "not an S3 URL"},
		{"one slash", "s3:/bucket/key", "not an S3 URL"},
		{"uppercase bucket", "s3://MyBucket/key", "only lowercase letters"},
		{"underscore bucket", "s3://my_bucket/key", "only lowercase letters"},
		{"bucket too short", "s3://ab/key", "3 to 63 characters"},
		{"bucket of one char", "s3://a", "3 to 63 characters"},
		{"bucket too long", "s3://" + strings.Repeat("a", 64) + "/key", "3 to 63 characters"},
		{"bucket with two dots", "s3://my..bucket/key", "two dots in a row"},
		{"bucket starts with dot", "s3://.bucket/key", "start and end with a letter or digit"},
		{"bucket ends with hyphen", "s3://bucket-/key", "start and end with a letter or digit"},
		{"bucket starts with hyphen", "s3://-bucket", "start and end with a letter or digit"},
		{"IP address bucket", "s3://192.168.1.10/key", "IP address"},
		{"IP address bucket no key", "s3://10.0.0.1", "IP address"},
		{"port in bucket", "s3://bucket:9000/key", "only lowercase letters"},
		{"key too long", "s3://bucket/" + strings.Repeat("k", MaxKeyLen+1), "at most 1024"},
		{"invalid UTF-8 key", "s3://bucket/a\xffb", "not valid UTF-8"},
		{"dot-dot first segment", "s3://bucket/../x", `".." segment`},
		{"dot-dot only", "s3://bucket/..", `".." segment`},
		{"dot-dot last segment", "s3://bucket/a/..", `".." segment`},
		{"dot-dot prefix", "s3://bucket/a/../", `".." segment`},
		{"dot middle segment", "s3://bucket/a/./b", `"." segment`},
		{"dot only", "s3://bucket/.", `"." segment`},
		{"dot prefix", "s3://bucket/./", `"." segment`},
		{"NUL in key", "s3://bucket/a\x00b", "NUL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseURL(tt.in)
			if err == nil {
				t.Fatalf("ParseURL(%q) = %+v, want an error mentioning %q", tt.in, got, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseURL(%q) error = %q, want it to mention %q", tt.in, err, tt.wantErr)
			}
			if got != (Ref{}) {
				t.Errorf("ParseURL(%q) returned %+v with an error, want the zero URL", tt.in, got)
			}
		})
	}
}

func TestIs(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"s3://", true},
		{"s3://bucket/key", true},
		{"S3://bucket", true},
		{"s3:/bucket", false},
		{"s3", false},
		{"", false},
		{"bucket/key", false},
		{"https://bucket", false},
		{"./s3://x", false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := IsURL(tt.in); got != tt.want {
				t.Errorf("IsURL(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func TestIsDir(t *testing.T) {
	tests := []struct {
		u    Ref
		want bool
	}{
		{Ref{Bucket: "b"}, true},
		{Ref{Bucket: "b", Key: "p/"}, true},
		{Ref{Bucket: "b", Key: "a/b/"}, true},
		{Ref{Bucket: "b", Key: "k"}, false},
		{Ref{Bucket: "b", Key: "a/b"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.u.String(), func(t *testing.T) {
			if got := tt.u.IsDir(); got != tt.want {
				t.Errorf("%+v.IsDir() = %v, want %v", tt.u, got, tt.want)
			}
		})
	}
}

func TestString(t *testing.T) {
	if got, want := (Ref{Bucket: "bucket", Key: "a/b"}).String(), "s3://bucket/a/b"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	if got, want := (Ref{Bucket: "bucket"}).String(), "s3://bucket/"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
}

func TestCheckBucket(t *testing.T) {
	good := []string{"abc", "a-b", "a.b", "a1.b-2.c3", "0ab", strings.Repeat("z", 63), "1.2.3"}
	for _, b := range good {
		t.Run("good/"+b, func(t *testing.T) {
			if err := CheckBucket(b); err != nil {
				t.Errorf("CheckBucket(%q) = %v, want nil", b, err)
			}
		})
	}
	bad := []struct{ in, wantErr string }{
		{"", "3 to 63"},
		{"ab", "3 to 63"},
		{strings.Repeat("z", 64), "3 to 63"},
		{"aBc", "lowercase"},
		{"a_c", "lowercase"},
		{"a c", "lowercase"},
		{"a/c", "lowercase"},
		{"ab\xff", "lowercase"},
		{"é12", "lowercase"},
		{".ab", "start and end"},
		{"ab.", "start and end"},
		{"-ab", "start and end"},
		{"ab-", "start and end"},
		{"a..b", "two dots"},
		{"127.0.0.1", "IP address"},
		{"255.255.255.255", "IP address"},
	}
	for _, tt := range bad {
		t.Run("bad/"+tt.in, func(t *testing.T) {
			err := CheckBucket(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("CheckBucket(%q) = %v, want an error mentioning %q", tt.in, err, tt.wantErr)
			}
		})
	}
}

func TestCheckKey(t *testing.T) {
	good := []string{"", "a", "a/", "a/b/c", "a//b", ".a", "a.", "...", "a/.../b", strings.Repeat("é", MaxKeyLen/2)}
	for _, k := range good {
		t.Run("good", func(t *testing.T) {
			if err := CheckKey(k); err != nil {
				t.Errorf("CheckKey(%q) = %v, want nil", k, err)
			}
		})
	}
	bad := []struct{ name, in, wantErr string }{
		{"too long", strings.Repeat("a", MaxKeyLen+1), "at most 1024"},
		{"too long multibyte", strings.Repeat("é", MaxKeyLen/2+1), "at most 1024"}, // bytes, not runes
		{"invalid UTF-8", "\xc3", "not valid UTF-8"},
		{"surrogate", "\xed\xa0\x80", "not valid UTF-8"},
		{"NUL", "\x00", "NUL"},
		{"dot", ".", `"." segment`},
		{"dot-dot", "..", `".." segment`},
		{"dot-dot in middle", "a/../b", `".." segment`},
		{"trailing dot", "a/.", `"." segment`},
		{"leading dot-dot then slash", "../", `".." segment`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckKey(tt.in)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("CheckKey(%q) = %v, want an error mentioning %q", tt.in, err, tt.wantErr)
			}
		})
	}
}

func FuzzParseURL(f *testing.F) {
	for _, s := range []string{
		"s3://bucket", "s3://bucket/", "s3://bucket/key", "s3://bucket/a/b/", "S3://bucket/k",
		"s3://", "s3:///key", "bucket/key", "s3://My_Bucket/k", "s3://1.2.3.4/k",
		"s3://bucket/../x", "s3://bucket/a/./b", "s3://bucket/a\x00b", "s3://bucket/\xff",
		"s3://a..b/k", "s3://bucket//", "s3://bucket/a//b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ParseURL(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("ParseURL(%q): empty error message", s)
			}
			return
		}
		if !IsURL(s) {
			t.Errorf("ParseURL(%q) succeeded but Is is false", s)
		}
		if err := CheckBucket(u.Bucket); err != nil {
			t.Errorf("ParseURL(%q) = %+v, but CheckBucket: %v", s, u, err)
		}
		if err := CheckKey(u.Key); err != nil {
			t.Errorf("ParseURL(%q) = %+v, but CheckKey: %v", s, u, err)
		}
		if !utf8.ValidString(u.Key) || len(u.Key) > MaxKeyLen {
			t.Errorf("ParseURL(%q) = %+v: key is not valid UTF-8 or too long", s, u)
		}
		again, err := ParseURL(u.String())
		if err != nil {
			t.Fatalf("ParseURL(%q) = %+v, but ParseURL(%q) fails: %v", s, u, u.String(), err)
		}
		if again != u {
			t.Errorf("round trip: ParseURL(%q) = %+v, ParseURL(%q) = %+v", s, u, u.String(), again)
		}
	})
}
