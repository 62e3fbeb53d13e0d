package transfer

import (
	"context"
	"fmt"
	"strings"

	"github.com/haul-s3/haul/localfs"
	"github.com/haul-s3/haul/object"
)

// FullObjectCompleter is the optional capability of completing an upload created with a
// full-object checksum (object.Options.FullObject) with the whole object's checksum and
// size, which the server checks. Without it such an upload is completed without them.
type FullObjectCompleter interface {
	CompleteFullObject(ctx context.Context, ref object.Ref, uploadID string, parts []object.Part, whole object.Checksum, size int64) (object.Written, error)
}

// Completion is what CompleteShared did: the object's layout and ETag, the full-object
// checksum given to the server to check at completion (zero when the upload has none), and
// what the object was checked against afterwards (Verified): "CRC32C (full object)", the
// server's whole-object checksum; "CRC32C (haul-checksum)", the checksum recorded in the
// object's metadata when the upload was created; "md5 (multipart ETag)"; or "parts", when
// nothing but each part's checksum or ETag, compared before completing, could be.
type Completion struct {
	Layout   Layout
	ETag     string
	Whole    object.Checksum
	Verified string
}

// PartsError is an upload that cannot be completed as it is: parts of the file's layout
// the server does not hold (Missing), or holds with other bytes than the file's (Wrong:
// their checksum or MD5 ETag differ). The upload is left as it was; the runs that own
// those parts (Layout.Owner) are to be run again.
type PartsError struct {
	Ref      object.Ref
	UploadID string
	Layout   Layout
	Missing  []int32
	Wrong    []int32
}

func (e *PartsError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "complete %s (upload ID %s): of the %d parts, ", e.Ref, e.UploadID, e.Layout.Parts)
	if len(e.Missing) > 0 {
		fmt.Fprintf(&b, "%d missing (%s)", len(e.Missing), PartNumbers(e.Missing))
	}
	if len(e.Wrong) > 0 {
		if len(e.Missing) > 0 {
			b.WriteString(" and ")
		}
		fmt.Fprintf(&b, "%d held with other bytes than the file's (%s)", len(e.Wrong), PartNumbers(e.Wrong))
	}
	return b.String()
}

// PartNumbers writes ascending part numbers with runs as ranges: "1-4, 7, 9-10".
func PartNumbers(nums []int32) string {
	var parts []string
	for i := 0; i < len(nums); {
		j := i
		for j+1 < len(nums) && nums[j+1] == nums[j]+1 {
			j++
		}
		if j == i {
			parts = append(parts, fmt.Sprint(nums[i]))
		} else {
			parts = append(parts, fmt.Sprintf("%d-%d", nums[i], nums[j]))
		}
		i = j + 1
	}
	return strings.Join(parts, ", ")
}

// CompleteShared completes the multipart upload uploadID of the file at path to dst, whose
// parts runs with a Share sent: it lists the parts, reads the file once to check that
// every part of its layout (NewLayout with Options.PartSize) is there with the file's
// bytes (each part's checksum where the server lists one, else its MD5 ETag, else its
// size), and fails with a *PartsError or a *LayoutError, leaving the upload as it was,
// when one is not. It then completes the upload (with the whole file's CRC, combined from
// the parts', when the upload keeps a full-object checksum), asks for the object (HEAD)
// and checks its size and whatever whole-object checksum it has against the file.
func (e *Engine) CompleteShared(ctx context.Context, path string, dst object.Ref, uploadID string, opts ...CallOption) (Completion, error) {
	r, ctx := e.newRun(ctx, collect(opts))
	defer r.stop(nil)
	t := &task{run: r, it: Item{Op: Upload, Path: path, Object: dst}}
	return t.completeShared(ctx, path, dst, uploadID)
}

func (t *task) completeShared(ctx context.Context, path string, dst object.Ref, id string) (Completion, error) {
	f, err := localfs.Open(path)
	if err != nil {
		return Completion{}, &SourceError{Path: path, Err: err}
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return Completion{}, &SourceError{Path: path, Err: err}
	}
	lay, err := NewLayout(fi.Size(), t.e.opts.PartSize)
	if err != nil {
		return Completion{}, fmt.Errorf("complete %s: %w", dst, err)
	}
	listed, err := t.listUpload(ctx, dst, id)
	if err != nil {
		return Completion{}, err
	}
	if err := lay.checkLayout(listed.Parts); err != nil {
		return Completion{}, fmt.Errorf("complete %s (upload ID %s): %w", dst, id, err)
	}
	plan := completePlan(listed, t.objectOptions(ctx, "").Checksum)
	digests, err := digestParts(ctx, f, lay, 1, int32(lay.Parts)+1, plan)
	if err != nil {
		return Completion{}, err
	}
	if err := checkUnchanged(f, fi.Size(), fi.ModTime()); err != nil {
		return Completion{}, err
	}
	parts, perr := partsToComplete(lay, listed.Parts, digests)
	if perr != nil {
		perr.Ref, perr.UploadID = dst, id
		return Completion{}, perr
	}
	pieces := make([]pieceCRC, len(digests))
	for i := range digests {
		pieces[i] = digests[i].piece
	}
	whole := combinePieces(plan.whole, pieces)
	c := Completion{Layout: lay}
	fo, canFull := t.e.store.(FullObjectCompleter)
	do := func(ctx context.Context) (object.Written, error) {
		return t.e.store.CompleteMultipartUpload(ctx, dst, id, parts)
	}
	if listed.FullObject && canFull {
		c.Whole = whole
		do = func(ctx context.Context) (object.Written, error) {
			return fo.CompleteFullObject(ctx, dst, id, parts, whole, lay.Size)
		}
	}
	if err := t.completeWith(ctx, dst, parts, whole, do); err != nil {
		return c, err
	}
	c.ETag = t.etag
	c.Verified, err = t.checkCompleted(ctx, dst, lay, parts, whole)
	return c, err
}

// completePlan returns what to take of each part of a shared upload to complete it: its
// checksum with the algorithm the server lists parts with, its MD5 where some part has
// none listed (its ETag is then compared), and its CRC to combine into the whole file's,
// with the algorithm an upload with the upload's checksum algorithm (the one listed, else
// alg) records in its haul-checksum metadata: that algorithm itself when it is a CRC, as a
// full-object checksum must be.
func completePlan(listed object.PartList, alg string) digestPlan {
	if listed.Checksum != "" {
		alg = listed.Checksum
	}
	plan := digestPlan{whole: wholeAlgorithm(alg)}
	if plan.whole == "" {
		plan.whole = object.ChecksumCRC32C
	}
	for _, p := range listed.Parts {
		if p.Checksum.Value == "" {
			plan.md5 = true
		} else {
			plan.alg = p.Checksum.Algorithm
		}
	}
	return plan
}

// partsToComplete returns the parts to complete the upload with, in order, as the server
// lists them, or a *PartsError naming those missing or not holding the file's bytes.
func partsToComplete(lay Layout, listed []object.Part, digests []partDigest) ([]object.Part, *PartsError) {
	byNum := make(map[int32]object.Part, len(listed))
	for _, p := range listed {
		byNum[p.Number] = p
	}
	parts := make([]object.Part, 0, lay.Parts)
	var missing, wrong []int32
	for num := int32(1); int(num) <= lay.Parts; num++ {
		p, ok := byNum[num]
		switch {
		case !ok:
			missing = append(missing, num)
		case !digests[num-1].holds(p):
			wrong = append(wrong, num)
		default:
			parts = append(parts, p)
		}
	}
	if len(missing)+len(wrong) > 0 {
		return nil, &PartsError{Layout: lay, Missing: missing, Wrong: wrong}
	}
	return parts, nil
}

// CompletedError is an object that CompleteShared completed but found not to be the file
// when it asked for it afterwards (its size or a whole-object checksum differ).
type CompletedError struct {
	Ref       object.Ref
	What      string // what differs: "size", "full-object CRC32C", "haul-checksum"
	Want, Got string
}

func (e *CompletedError) Error() string {
	return fmt.Sprintf("completed %s, but its %s is %s where the file's is %s", e.Ref, e.What, e.Got, e.Want)
}

// checkCompleted asks for the completed object and checks it against the file: its size,
// then each whole-object checksum it has (the server's full-object one, haul's metadata)
// that is of the algorithm of whole, else its multipart ETag. It returns what it checked.
func (t *task) checkCompleted(ctx context.Context, dst object.Ref, lay Layout, parts []object.Part, whole object.Checksum) (string, error) {
	info, err := t.head(ctx, dst)
	if err != nil {
		return "", err
	}
	if info.Size != lay.Size {
		return "", &CompletedError{Ref: dst, What: "size", Want: fmt.Sprint(lay.Size), Got: fmt.Sprint(info.Size)}
	}
	var checked []string
	if c := info.Checksum; c.Value != "" && c.Algorithm == whole.Algorithm {
		if c != whole {
			return "", &CompletedError{Ref: dst, What: "full-object " + c.Algorithm, Want: whole.Value, Got: c.Value}
		}
		checked = append(checked, c.Algorithm+" (full object)")
	}
	if c, ok := StoredChecksum(info.Metadata); ok && c.Algorithm == whole.Algorithm {
		if c != whole {
			return "", &CompletedError{Ref: dst, What: ChecksumMetadata, Want: whole.Value, Got: c.Value}
		}
		checked = append(checked, c.Algorithm+" ("+ChecksumMetadata+")")
	}
	if etag, ok := multipartETag(parts); len(checked) == 0 && ok && sameETag(etag, info.ETag) {
		checked = append(checked, "md5 (multipart ETag)")
	}
	if len(checked) == 0 {
		return "parts", nil
	}
	return strings.Join(checked, ", "), nil
}
