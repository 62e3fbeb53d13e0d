package e2e

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/haul-s3/haul/internal/s3test"
)

// listedTree is a local tree and a list of some of its files for --files-from: names
// with spaces (at either end too), '+', '#' inside a name and non-ASCII, some files left
// out of the list, some listed names that do not exist, comments, blank lines and CRLFs.
type listedTree struct {
	dir      string
	listed   []string // names listed that exist, in the list's order
	missing  []string // names listed that do not exist
	unlisted []string // files in the tree not listed
	lines    int      // lines of the newline list
}

// filesFromLines is how many lines the list of TestCpFilesFrom has on each server: 4,000,
// but 1,000 on moto, whose Python server answers some 200 requests a second here (10,000
// names up and down, 30,000 requests, took it 144 s; MinIO and versitygw 37 and 40 s).
// Enough for 40 (on moto 10) missing names among the listed ones, spread over the list;
// it was 10,000 and 2,000, the longest test of the e2e package.
func filesFromLines(srv *s3test.Server) int {
	if srv.Kind == "moto" {
		return 1_000
	}
	return 4_000
}

func makeListedTree(t *testing.T, lines int) listedTree {
	t.Helper()
	lt := listedTree{dir: t.TempDir()}
	special := []string{"with space.txt", " lead and trail ", "a+b+c.txt", "100%+plus #hash.txt", "café/ü ñ.txt", "日本/データ 1.txt", "emoji 🎉.txt"}
	write := func(name string) {
		p := filepath.Join(lt.dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("bytes of "+name), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, n := range special {
		write(n)
		lt.listed = append(lt.listed, n)
	}
	for i := range 20 {
		n := fmt.Sprintf("unlisted/u%02d.txt", i)
		write(n)
		lt.unlisted = append(lt.unlisted, n)
	}
	write("d00/f00000 skipped.txt") // a neighbour of listed files, not listed
	lt.unlisted = append(lt.unlisted, "d00/f00000 skipped.txt")
	// 4 lines of comments and blanks; the rest names, one in 100 of them missing.
	for i := 0; len(lt.listed)+len(lt.missing)+4 < lines; i++ {
		n := fmt.Sprintf("d%02d/f%05d.txt", i%50, i)
		if i%100 == 7 {
			lt.missing = append(lt.missing, "missing "+n)
			continue
		}
		write(n)
		lt.listed = append(lt.listed, n)
	}
	return lt
}

// list writes the list in its newline form (nul false: comments, blank lines, some lines
// ended by CRLF, missing names among the rest) or NUL-separated, and returns its path.
func (lt listedTree) list(t *testing.T, nul bool) string {
	t.Helper()
	var b bytes.Buffer
	sep := "\n"
	if nul {
		sep = "\x00"
	} else {
		b.WriteString("# made by TestCpFilesFrom\n\n")
	}
	mi := 0
	for i, n := range lt.listed {
		end := sep
		if !nul && i%3 == 0 {
			end = "\r\n"
		}
		b.WriteString(n + end)
		if i%99 == 50 && mi < len(lt.missing) {
			b.WriteString(lt.missing[mi] + sep)
			mi++
		}
	}
	for ; mi < len(lt.missing); mi++ {
		b.WriteString(lt.missing[mi] + sep)
	}
	if !nul {
		b.WriteString("# the end\n\r\n")
		if n := strings.Count(b.String(), "\n"); n != lt.lines && lt.lines != 0 {
			t.Fatalf("the list has %d lines, want %d", n, lt.lines)
		}
	}
	p := filepath.Join(t.TempDir(), "list")
	if err := os.WriteFile(p, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// failedSrcs returns the src of each failed event of a --json run, sorted, and its
// summary's done and failed counts.
func failedSrcs(t *testing.T, stdout string) (srcs []string, done, failed int) {
	t.Helper()
	for _, ev := range jsonLines[struct {
		Event, Src   string
		Done, Failed *int
	}](t, stdout) {
		switch ev.Event {
		case "failed":
			srcs = append(srcs, ev.Src)
		case "summary":
			if ev.Done != nil {
				done = *ev.Done
			}
			if ev.Failed != nil {
				failed = *ev.Failed
			}
		}
	}
	slices.Sort(srcs)
	return srcs, done, failed
}

// TestCpFilesFrom copies 4,000 listed names (1,000 on moto) up with --files-from and down with
// --files-from0: exactly the listed files arrive, byte for byte; every missing name is a
// failed item named by its path or URL, the others go on, and the exit code is 1.
func TestCpFilesFrom(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		lt := makeListedTree(t, filesFromLines(srv))
		lt.lines = filesFromLines(srv)
		list, list0 := lt.list(t, false), lt.list(t, true)
		bucket := srv.NewBucket(t)
		r := haul(t, srv, nil, "--json", "cp", "-r", "--files-from", list, lt.dir, "s3://"+bucket+"/up/")
		if r.code != 1 {
			t.Fatalf("upload: exit %d, want 1\nstderr: %s", r.code, r.stderr)
		}
		var want []string
		for _, n := range lt.missing {
			want = append(want, filepath.Join(lt.dir, filepath.FromSlash(n)))
		}
		slices.Sort(want)
		srcs, done, failed := failedSrcs(t, r.stdout)
		if !slices.Equal(srcs, want) || done != len(lt.listed) || failed != len(lt.missing) {
			t.Fatalf("upload: done %d, failed %d %q; want %d done and the %d missing named", done, failed, srcs[:min(len(srcs), 5)], len(lt.listed), len(lt.missing))
		}
		got := keys(t, srv, bucket, "up/")
		wantKeys := make([]string, 0, len(lt.listed))
		for _, n := range lt.listed {
			wantKeys = append(wantKeys, "up/"+n)
		}
		slices.Sort(wantKeys)
		slices.Sort(got)
		if !slices.Equal(got, wantKeys) {
			t.Fatalf("upload: %d keys, want exactly the %d listed", len(got), len(wantKeys))
		}

		dst := filepath.Join(t.TempDir(), "down")
		r = haul(t, srv, nil, "--json", "cp", "-r", "--files-from0", list0, "s3://"+bucket+"/up", dst)
		if r.code != 1 {
			t.Fatalf("download: exit %d, want 1\nstderr: %s", r.code, r.stderr)
		}
		want = want[:0]
		for _, n := range lt.missing {
			want = append(want, "s3://"+bucket+"/up/"+n)
		}
		slices.Sort(want)
		srcs, done, failed = failedSrcs(t, r.stdout)
		if !slices.Equal(srcs, want) || done != len(lt.listed) || failed != len(lt.missing) {
			t.Fatalf("download: done %d, failed %d %q; want %d done and the %d missing named", done, failed, srcs[:min(len(srcs), 5)], len(lt.listed), len(lt.missing))
		}
		files := treeFiles(t, dst)
		if len(files) != len(lt.listed) {
			t.Fatalf("download: %d files, want the %d listed", len(files), len(lt.listed))
		}
		for _, n := range lt.listed {
			if string(files[n]) != "bytes of "+n {
				t.Fatalf("download: %q holds %q", n, files[n])
			}
		}
	})
}

// TestCpFilesFromCopyPlanAndRules reads the list from standard input, copies between two
// prefixes of one server (the server copies), applies --exclude to the listed names,
// refuses a name that would leave the root with its line number, and plans with --dry-run
// (the plan printed, the missing names failed, nothing sent); and the usage errors.
func TestCpFilesFromCopyPlanAndRules(t *testing.T) {
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := t.TempDir()
		for _, n := range []string{"a.txt", "sub/b c+d.txt", "x.tmp", "unlisted.txt"} {
			randomFile(t, filepath.Join(dir, filepath.FromSlash(n)), 100)
		}
		must(t, srv, "cp", "-r", dir, "s3://"+bucket+"/src/")
		list := "a.txt\n../escape\nmissing.txt\nsub/b c+d.txt\nx.tmp\n"

		plan := haul(t, srv, strings.NewReader(list), "cp", "-r", "--dry-run", "--files-from", "-", "--exclude", "*.tmp", dir, "s3://"+bucket+"/plan/")
		if plan.code != 1 {
			t.Fatalf("dry run: exit %d, want 1\nstdout: %s\nstderr: %s", plan.code, plan.stdout, plan.stderr)
		}
		for _, want := range []string{"plan: upload: " + filepath.Join(dir, "a.txt") + " -> s3://" + bucket + "/plan/a.txt",
			"plan: upload: " + filepath.Join(dir, "sub", "b c+d.txt") + " -> s3://" + bucket + "/plan/sub/b c+d.txt"} {
			if !strings.Contains(plan.stdout, want) {
				t.Errorf("dry run: no %q in\n%s", want, plan.stdout)
			}
		}
		for _, want := range []string{filepath.Join(dir, "missing.txt") + ": no such file", `entry 2 of the list ("../escape"): refused`, "dry run: 2 items", "2 would fail"} {
			if !strings.Contains(plan.stderr, want) {
				t.Errorf("dry run: no %q in\n%s", want, plan.stderr)
			}
		}
		if strings.Contains(plan.stdout+plan.stderr, "x.tmp") {
			t.Errorf("dry run: the excluded x.tmp is in the plan\n%s%s", plan.stdout, plan.stderr)
		}
		if ks := keys(t, srv, bucket, "plan/"); len(ks) != 0 {
			t.Errorf("dry run sent %q", ks)
		}

		r := haul(t, srv, strings.NewReader(list), "--json", "cp", "-r", "--files-from", "-", "--exclude", "*.tmp", "s3://"+bucket+"/src", "s3://"+bucket+"/dst/")
		srcs, done, failed := failedSrcs(t, r.stdout)
		if want := []string{"s3://" + bucket + "/src/../escape", "s3://" + bucket + "/src/missing.txt"}; r.code != 1 || !slices.Equal(srcs, want) || done != 2 || failed != 2 {
			t.Fatalf("copy: exit %d, done %d, failed %d %q; want 1, 2, 2 %q\n%s", r.code, done, failed, srcs, want, r.stderr)
		}
		got := keys(t, srv, bucket, "dst/")
		slices.Sort(got)
		if want := []string{"dst/a.txt", "dst/sub/b c+d.txt"}; !slices.Equal(got, want) {
			t.Errorf("copy: keys %q, want %q", got, want)
		}

		for _, args := range [][]string{
			{"cp", "--files-from", "-", dir, "s3://" + bucket + "/u/"},
			{"cp", "-r", "--files-from", "-", "--files-from0", "-", dir, "s3://" + bucket + "/u/"},
			{"cp", "-r", "--files-from", filepath.Join(dir, "no such list"), dir, "s3://" + bucket + "/u/"},
			{"cp", "-r", "--files-from", "-", filepath.Join(dir, "a.txt"), "s3://" + bucket + "/u/"},
			{"cp", "-r", "--files-from", "-", "--no-follow-symlinks", dir, "s3://" + bucket + "/u/"},
			{"sync", "--files-from", "-", "--no-follow-symlinks", dir, "s3://" + bucket + "/u/"},
		} {
			if r := haul(t, srv, strings.NewReader(list), args...); r.code != 2 {
				t.Errorf("%q: exit %d, want 2 (usage)\n%s", args, r.code, r.stderr)
			}
		}
		if ks := keys(t, srv, bucket, "u/"); len(ks) != 0 {
			t.Errorf("a refused command sent %q", ks)
		}
	})
}

// TestSyncFilesFrom syncs up and down with a list (unsorted, 300 names with spaces, '+'
// and non-ASCII): only listed names are looked at on both sides. Without --delete a listed
// name the source lacks is a failed item (exit 1) and nothing is deleted; the plan of
// --dry-run --delete shows the one deletion; with --delete the listed name only the
// destination holds is deleted, what is not listed stays, and what is unchanged is not sent.
func TestSyncFilesFrom(t *testing.T) {
	const syncListed = 300 // enough to keep Options.Checks HEADs in flight; the scale is TestCpFilesFrom's
	forEachServer(t, func(t *testing.T, srv *s3test.Server) {
		bucket := srv.NewBucket(t)
		dir := t.TempDir()
		var listed []string
		for i := range syncListed {
			n := fmt.Sprintf("d%d/f %03d+ü.txt", i%10, syncListed-1-i) // written, and listed, out of order
			randomFile(t, filepath.Join(dir, filepath.FromSlash(n)), 10)
			listed = append(listed, n)
		}
		randomFile(t, filepath.Join(dir, "unlisted.txt"), 10)
		for _, k := range []string{"p/gone.txt", "p/kept unlisted.txt"} {
			if _, err := srv.Client(t).PutObject(t.Context(), putInput(bucket, k)); err != nil {
				t.Fatal(err)
			}
		}
		list := filepath.Join(t.TempDir(), "list")
		text := strings.Join(listed[:150], "\n") + "\ngone.txt\nmissing.txt\n" + strings.Join(listed[150:], "\r\n") + "\n"
		if err := os.WriteFile(list, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		url := "s3://" + bucket + "/p/"
		wantKeys := func(extra ...string) []string {
			ks := append([]string{"p/kept unlisted.txt"}, extra...)
			for _, n := range listed {
				ks = append(ks, "p/"+n)
			}
			slices.Sort(ks)
			return ks
		}
		sortedKeys := func() []string {
			ks := keys(t, srv, bucket, "p/")
			slices.Sort(ks)
			return ks
		}

		r := haul(t, srv, nil, "--json", "sync", "--no-state", "--files-from", list, dir, url)
		srcs, _, _ := failedSrcs(t, r.stdout)
		if want := []string{filepath.Join(dir, "gone.txt"), filepath.Join(dir, "missing.txt")}; r.code != 1 || !slices.Equal(srcs, want) {
			t.Fatalf("sync up: exit %d, failed %q; want 1 and %q\n%s", r.code, srcs, want, r.stderr)
		}
		if got := sortedKeys(); !slices.Equal(got, wantKeys("p/gone.txt")) {
			t.Fatalf("sync up: %d keys, want the %d listed and the 2 there before", len(got), syncListed)
		}

		plan := haul(t, srv, nil, "sync", "--no-state", "--dry-run", "--delete", "--files-from", list, dir, url)
		if plan.code != 0 || !strings.Contains(plan.stdout, "delete") || !strings.Contains(plan.stdout, url+"gone.txt") ||
			strings.Contains(plan.stdout, "upload") || strings.Contains(plan.stdout, "kept unlisted") {
			t.Fatalf("dry run: exit %d, want 0 and one deletion, of gone.txt\nstdout: %s\nstderr: %s", plan.code, plan.stdout, plan.stderr)
		}

		r = haul(t, srv, nil, "--debug", "sync", "--no-state", "--delete", "--files-from", list, dir, url)
		if r.code != 0 {
			t.Fatalf("sync up --delete: exit %d\n%s", r.code, r.stderr)
		}
		if ops := countOps(r.stderr); ops["PutObject"] != 0 || ops["ListObjectsV2"] != 0 || ops["DeleteObjects"] != 1 || ops["HeadObject"] < syncListed+2 {
			t.Errorf("sync up --delete: requests %v; want no PutObject, no listing, a HEAD per listed name, 1 DeleteObjects", ops)
		}
		if got := sortedKeys(); !slices.Equal(got, wantKeys()) {
			t.Fatalf("sync up --delete: %d keys, want the listed %d and the unlisted one kept", len(got), syncListed)
		}

		// Down, NUL-separated: a listed local file the prefix lacks is removed, an unlisted
		// one stays.
		down := t.TempDir()
		randomFile(t, filepath.Join(down, "local only.txt"), 5)
		randomFile(t, filepath.Join(down, "local unlisted.txt"), 5)
		list0 := filepath.Join(t.TempDir(), "list0")
		if err := os.WriteFile(list0, []byte(strings.Join(append(slices.Clone(listed[:100]), "local only.txt"), "\x00")), 0o644); err != nil {
			t.Fatal(err)
		}
		r = haul(t, srv, nil, "sync", "--no-state", "--delete", "--files-from0", list0, url, down)
		if r.code != 0 {
			t.Fatalf("sync down: exit %d\n%s", r.code, r.stderr)
		}
		files := treeFiles(t, down)
		if _, ok := files["local only.txt"]; ok || len(files) != 101 {
			t.Fatalf("sync down: %d files (local only.txt there: %v), want the 100 listed and local unlisted.txt", len(files), ok)
		}
		for _, n := range listed[:100] {
			want, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(n)))
			if err != nil || !bytes.Equal(files[n], want) {
				t.Fatalf("sync down: %q differs (%v)", n, err)
			}
		}

		// Between two prefixes, the list from standard input.
		r = haul(t, srv, strings.NewReader(listed[0]+"\nmissing.txt\n"+listed[1]+"\n"), "sync", "--files-from", "-", url, "s3://"+bucket+"/c/")
		got := keys(t, srv, bucket, "c/")
		slices.Sort(got)
		want := []string{"c/" + listed[0], "c/" + listed[1]}
		slices.Sort(want)
		if r.code != 1 || !slices.Equal(got, want) || !strings.Contains(r.stderr, url+"missing.txt") {
			t.Fatalf("sync between prefixes: exit %d, keys %q; want 1 (missing.txt failed) and %q\n%s", r.code, got, want, r.stderr)
		}
	})
}
