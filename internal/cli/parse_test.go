package cli

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/haul-s3/haul/internal/bytesize"
	"github.com/haul-s3/haul/transfer"
	"github.com/spf13/pflag"
)

func TestParseMetadata(t *testing.T) {
	tests := []struct {
		name  string
		pairs []string
		want  map[string]string
	}{
		{"none", nil, nil},
		{"empty list", []string{}, nil},
		{"one pair", []string{"k=v"}, map[string]string{"k": "v"}},
		{"value keeps '='", []string{"a=b=c"}, map[string]string{"a": "b=c"}},
		{"key lowercased", []string{"K=v"}, map[string]string{"k": "v"}},
		{"mixed-case key lowercased", []string{"X-Amz-Thing=Value"}, map[string]string{"x-amz-thing": "Value"}},
		{"value case kept", []string{"k=VaLuE"}, map[string]string{"k": "VaLuE"}},
		{"empty value", []string{"k="}, map[string]string{"k": ""}},
		{"key characters", []string{"a-b_c.d9=1"}, map[string]string{"a-b_c.d9": "1"}},
		{"value printable ASCII", []string{"k= !\"#$%&'()*+,-./:;<>?@[\\]^_`{|}~"}, map[string]string{"k": " !\"#$%&'()*+,-./:;<>?@[\\]^_`{|}~"}},
		{"several pairs", []string{"a=1", "b=2", "c=3"}, map[string]string{"a": "1", "b": "2", "c": "3"}},
		{"later pair wins", []string{"a=1", "a=2"}, map[string]string{"a": "2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMetadata(tt.pairs)
			if err != nil {
				t.Fatalf("parseMetadata(%q) error: %v", tt.pairs, err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("parseMetadata(%q) = %q, want %q", tt.pairs, got, tt.want)
			}
		})
	}
}

func TestParseMetadataErrors(t *testing.T) {
	tests := []struct {
		name    string
		pairs   []string
		wantErr string
	}{
		{"no '='", []string{"novalue"}, "key=value"},
		{"empty key", []string{"=v"}, "key=value"},
		{"empty pair", []string{""}, "key=value"},
		{"only '='", []string{"="}, "key=value"},
		{"space in key", []string{"k y=v"}, "a key may hold only"},
		{"slash in key", []string{"a/b=v"}, "a key may hold only"},
		{"non-ASCII key", []string{"ké=v"}, "a key may hold only"},
		{"control character in value", []string{"k=\x01"}, "printable ASCII"},
		{"newline in value", []string{"k=a\nb"}, "printable ASCII"},
		{"tab in value", []string{"k=a\tb"}, "printable ASCII"},
		{"DEL in value", []string{"k=\x7f"}, "printable ASCII"},
		{"non-ASCII value", []string{"k=é"}, "printable ASCII"},
		{"invalid UTF-8 value", []string{"k=\xff"}, "printable ASCII"},
		{"bad pair after good ones", []string{"a=1", "b"}, "key=value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMetadata(tt.pairs)
			if err == nil {
				t.Fatalf("parseMetadata(%q) = %q, want an error mentioning %q", tt.pairs, got, tt.wantErr)
			}
			var ue *usageError
			if !errors.As(err, &ue) {
				t.Errorf("parseMetadata(%q) error %v is a %T, want a *usageError", tt.pairs, err, err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("parseMetadata(%q) error = %q, want it to mention %q", tt.pairs, err, tt.wantErr)
			}
			if got != nil {
				t.Errorf("parseMetadata(%q) = %q with an error, want nil", tt.pairs, got)
			}
		})
	}
}

// goodCpFlags returns the flags as cpCommand sets them by default.
func goodCpFlags() cpFlags {
	return cpFlags{
		concurrency: transfer.DefaultConcurrency,
		threshold:   transfer.DefaultMultipartThreshold,
		memory:      transfer.DefaultMemoryBudget,
		retries:     transfer.DefaultRetries,
		checksum:    "crc32c",
		verify:      verifyOn,
	}
}

func TestChecksumFlag(t *testing.T) {
	for name, want := range checksumNames {
		f := goodCpFlags()
		f.checksum = name
		o, err := f.options()
		if err != nil || o.Object.Checksum != want {
			t.Errorf("--checksum %s: %q, %v; want %q", name, o.Object.Checksum, err, want)
		}
	}
	f := goodCpFlags()
	f.checksum = "crc16"
	var ue *usageError
	if _, err := f.options(); !errors.As(err, &ue) {
		t.Errorf("--checksum crc16: %v, want a usage error", err)
	}
}

func TestCpFlagsOptions(t *testing.T) {
	tests := []struct {
		name   string
		change func(f *cpFlags)
		check  func(t *testing.T, o transfer.Options)
	}{
		{"defaults", func(f *cpFlags) {}, func(t *testing.T, o transfer.Options) {
			if o.Concurrency != transfer.DefaultConcurrency || o.PartSize != 0 || o.Retries != transfer.DefaultRetries ||
				o.MultipartThreshold != transfer.DefaultMultipartThreshold || o.MemoryBudget != transfer.DefaultMemoryBudget {
				t.Errorf("options = %+v, want the defaults", o)
			}
			if o.Object.Metadata != nil {
				t.Errorf("Metadata = %v, want nil", o.Object.Metadata)
			}
		}},
		{"concurrency 1", func(f *cpFlags) { f.concurrency = 1 }, func(t *testing.T, o transfer.Options) {
			if o.Concurrency != 1 {
				t.Errorf("Concurrency = %d, want 1", o.Concurrency)
			}
		}},
		{"part size 5MiB", func(f *cpFlags) { f.partSize = 5 * bytesize.MiB }, func(t *testing.T, o transfer.Options) {
			if o.PartSize != 5*bytesize.MiB {
				t.Errorf("PartSize = %d, want 5MiB", o.PartSize)
			}
		}},
		{"part size 5GiB", func(f *cpFlags) { f.partSize = 5 * bytesize.GiB }, func(t *testing.T, o transfer.Options) {
			if o.PartSize != 5*bytesize.GiB {
				t.Errorf("PartSize = %d, want 5GiB", o.PartSize)
			}
		}},
		{"retries 0 means none", func(f *cpFlags) { f.retries = 0 }, func(t *testing.T, o transfer.Options) {
			if o.Retries != -1 {
				t.Errorf("Retries = %d, want -1 (no retries; 0 would be the engine's default)", o.Retries)
			}
		}},
		{"object options", func(f *cpFlags) {
			f.acl, f.sse, f.kmsKey = "bucket-owner-full-control", "aws:kms", "key-id"
			f.storageClass, f.contentType, f.cacheControl = "STANDARD_IA", "text/plain", "no-cache"
			f.metadata = []string{"Owner=me"}
		}, func(t *testing.T, o transfer.Options) {
			ob := o.Object
			if ob.ACL != "bucket-owner-full-control" || ob.SSE != "aws:kms" || ob.SSEKMSKeyID != "key-id" ||
				ob.StorageClass != "STANDARD_IA" || ob.ContentType != "text/plain" || ob.CacheControl != "no-cache" ||
				!reflect.DeepEqual(ob.Metadata, map[string]string{"owner": "me"}) {
				t.Errorf("Object = %+v", ob)
			}
		}},
		{"kms key with dsse", func(f *cpFlags) { f.sse, f.kmsKey = "aws:kms:dsse", "k" }, func(t *testing.T, o transfer.Options) {
			if o.Object.SSE != "aws:kms:dsse" || o.Object.SSEKMSKeyID != "k" {
				t.Errorf("Object = %+v", o.Object)
			}
		}},
		{"AES256", func(f *cpFlags) { f.sse = "AES256" }, func(t *testing.T, o transfer.Options) {
			if o.Object.SSE != "AES256" {
				t.Errorf("SSE = %q", o.Object.SSE)
			}
		}},
	}
	for _, acl := range cannedACLs {
		tests = append(tests, struct {
			name   string
			change func(f *cpFlags)
			check  func(t *testing.T, o transfer.Options)
		}{"acl " + acl, func(f *cpFlags) { f.acl = acl }, func(t *testing.T, o transfer.Options) {
			if o.Object.ACL != acl {
				t.Errorf("ACL = %q, want %q", o.Object.ACL, acl)
			}
		}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := goodCpFlags()
			tt.change(&f)
			o, err := f.options()
			if err != nil {
				t.Fatalf("options() error: %v", err)
			}
			tt.check(t, o)
		})
	}
}

func TestCpFlagsOptionsErrors(t *testing.T) {
	tests := []struct {
		name    string
		change  func(f *cpFlags)
		wantErr string
	}{
		{"concurrency 0", func(f *cpFlags) { f.concurrency = 0 }, "--concurrency 0"},
		{"concurrency -1", func(f *cpFlags) { f.concurrency = -1 }, "--concurrency -1"},
		{"part size 1MiB", func(f *cpFlags) { f.partSize = bytesize.MiB }, "--part-size"},
		{"part size just under 5MiB", func(f *cpFlags) { f.partSize = 5*bytesize.MiB - 1 }, "--part-size"},
		{"part size 6GiB", func(f *cpFlags) { f.partSize = 6 * bytesize.GiB }, "--part-size"},
		{"part size just over 5GiB", func(f *cpFlags) { f.partSize = 5*bytesize.GiB + 1 }, "--part-size"},
		{"retries -1", func(f *cpFlags) { f.retries = -1 }, "--retries"},
		{"bad acl", func(f *cpFlags) { f.acl = "public" }, "--acl"},
		{"acl wrong case", func(f *cpFlags) { f.acl = "Private" }, "--acl"},
		{"bad sse", func(f *cpFlags) { f.sse = "aes256" }, "--sse"},
		{"sse kms typo", func(f *cpFlags) { f.sse = "kms" }, "--sse"},
		{"kms key without sse", func(f *cpFlags) { f.kmsKey = "k" }, "--sse-kms-key-id"},
		{"kms key with AES256", func(f *cpFlags) { f.sse, f.kmsKey = "AES256", "k" }, "--sse-kms-key-id"},
		{"bad metadata", func(f *cpFlags) { f.metadata = []string{"novalue"} }, "--metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := goodCpFlags()
			tt.change(&f)
			o, err := f.options()
			if err == nil {
				t.Fatalf("options() = %+v, want an error mentioning %q", o, tt.wantErr)
			}
			var ue *usageError
			if !errors.As(err, &ue) {
				t.Errorf("options() error %v is a %T, want a *usageError", err, err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("options() error = %q, want it to mention %q", err, tt.wantErr)
			}
		})
	}
}

// The same checks, through the command line: each is a usage error (exit 2) reported before
// anything is read or any connection made.
func TestCpBadFlagsExitUsage(t *testing.T) {
	src := filepath.Join(t.TempDir(), "missing-file")
	tests := []struct {
		name    string
		flags   []string
		wantErr string
	}{
		{"concurrency 0", []string{"--concurrency", "0"}, "--concurrency 0"},
		{"concurrency -1", []string{"--concurrency=-1"}, "--concurrency -1"},
		{"part size 1MiB", []string{"--part-size", "1MiB"}, "--part-size"},
		{"part size 6GiB", []string{"--part-size", "6GiB"}, "--part-size"},
		{"part size not a size", []string{"--part-size", "lots"}, "not a size"},
		{"bad acl", []string{"--acl", "everyone"}, "--acl"},
		{"bad sse", []string{"--sse", "rot13"}, "--sse"},
		{"kms key without aws:kms", []string{"--sse", "AES256", "--sse-kms-key-id", "k"}, "--sse-kms-key-id"},
		{"bad metadata", []string{"--metadata", "k=é"}, "--metadata"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append(append([]string{"cp"}, tt.flags...), src, "s3://bucket/key")
			code := run(context.Background(), args, strings.NewReader(""), &stdout, &stderr)
			if code != ExitUsage {
				t.Errorf("haul %q exit code = %d, want %d (stderr %q)", args, code, ExitUsage, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Errorf("haul %q stderr = %q, want it to mention %q", args, stderr.String(), tt.wantErr)
			}
		})
	}
}

func FuzzParseMetadata(f *testing.F) {
	for _, s := range []string{"k=v", "a=b=c", "K=v", "novalue", "=v", "k y=v", "k=\x01", "k=é", "k=", "a-b_c.d=~ !"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, pair string) {
		m, err := parseMetadata([]string{pair})
		if err != nil {
			var ue *usageError
			if !errors.As(err, &ue) {
				t.Errorf("parseMetadata(%q) error %v is a %T, want a *usageError", pair, err, err)
			}
			if m != nil {
				t.Errorf("parseMetadata(%q) = %q with an error", pair, m)
			}
			return
		}
		if len(m) != 1 {
			t.Fatalf("parseMetadata(%q) = %q, want one entry", pair, m)
		}
		for k, v := range m {
			if k == "" {
				t.Errorf("parseMetadata(%q): empty key", pair)
			}
			for _, c := range k {
				if !strings.ContainsRune("abcdefghijklmnopqrstuvwxyz0123456789-_.", c) {
					t.Errorf("parseMetadata(%q): key %q holds %q, not a lowercase letter, digit, '-', '_' or '.'", pair, k, c)
				}
			}
			for i := 0; i < len(v); i++ {
				if v[i] < ' ' || v[i] > '~' {
					t.Errorf("parseMetadata(%q): value %q holds byte %#x, not printable ASCII", pair, v, v[i])
				}
			}
			if !strings.EqualFold(k+"="+v, pair) {
				t.Errorf("parseMetadata(%q) = %q=%q, not the pair as given", pair, k, v)
			}
		}
	})
}

// --concurrency left out gives the engine 0, its default (of which fewer may be parts);
// given, even at the default's value, it is passed on and parts may take all of it.
func TestConcurrencyGivenOrDefault(t *testing.T) {
	for _, c := range []struct {
		args []string
		want int
	}{{nil, 0}, {[]string{"--concurrency", "16"}, 16}, {[]string{"--concurrency=3"}, 3}} {
		f := goodCpFlags()
		fs := pflag.NewFlagSet("cp", pflag.ContinueOnError)
		f.register(fs, "checksum", "")
		if err := fs.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		o, err := f.options()
		if err != nil {
			t.Fatal(err)
		}
		if o.Concurrency != c.want {
			t.Errorf("%q: Options.Concurrency = %d, want %d", c.args, o.Concurrency, c.want)
		}
	}
}
