package syncplan

import (
	"fmt"
	"slices"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/haul-s3/haul/transfer"
)

// The same name can reach a sync in two Unicode forms: macOS (HFS+) writes names
// decomposed (NFD, "e" + U+0301), most other systems and tools composed (NFC, "é"). Keys are
// compared byte for byte, so without care a file uploaded from one and listed from the
// other would be sent again as a second object, and the first deleted with --delete.
//
// A key that one side holds, that is not in NFC, is held back until the merge reaches its
// NFC form: if the other side holds that form alone, the two are one entry (compared, and
// updated in place under the destination's name; a "twin" note says so). The decomposed
// form sorts before the composed one (its base letter is a smaller byte than the composed
// letter's lead byte), so the wait is short and few keys are held: only those not in NFC,
// and only until the merge passes their NFC form. A key whose NFC form would sort before
// it is not held (its twin, if any, has gone by).

// twinHold is the keys held back, sorted by their NFC form.
type twinHold struct {
	held []heldTwin
}

type heldTwin struct {
	nfc  string
	src  *Entry // one of src and dst is set: the side that holds it
	dst  *Entry
	slot *heldSlot // a source key's slot in the state, taken in key order
}

// heldSlot is a slot of the state taken, in key order, for a key decided later. The
// ordered goroutine takes it and later uses it (or closes it empty), so it needs no lock.
type heldSlot struct{ s *slot }

// take returns the held slot, or a new one when there is none (h nil: not held).
func (h *heldSlot) take(w *stateWriter) *slot {
	if h == nil || h.s == nil {
		return w.reserve()
	}
	sl := h.s
	h.s = nil
	return sl
}

// close closes a held slot that will not be used (its key went to a twin, or not to the
// state).
func (h *heldSlot) close(w *stateWriter) {
	if h != nil && h.s != nil {
		w.set(h.s, Record{}, false)
		h.s = nil
	}
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// twin looks at a key one side holds: it is held back (held), or it completes the pair of
// a key held back from the other side (the pair), or neither.
func (s *Sync) twin(p Pair, o *ordered) (pair *Pair, held bool) {
	if s.o.Dir == Copy || isASCII(p.Key) { // between S3 locations, two forms are two keys
		return nil, false
	}
	n := norm.NFC.String(p.Key)
	i, found := slices.BinarySearchFunc(s.held.held, n, func(h heldTwin, n string) int { return strings.Compare(h.nfc, n) })
	if n != p.Key {
		if found || n < p.Key {
			return nil, false
		}
		h := heldTwin{nfc: n}
		if p.Src != nil {
			e := *p.Src
			h.src = &e
			if s.out != nil { // its record's place in the state is here, in key order
				hs := &heldSlot{}
				h.slot = hs
				if !o.push(decided(func(func(transfer.Item) bool) bool { hs.s = s.out.reserve(); return true })) {
					return nil, true // the run stops
				}
			}
		} else {
			e := *p.Dst
			h.dst = &e
		}
		s.held.held = slices.Insert(s.held.held, i, h)
		return nil, true
	}
	if !found {
		return nil, false
	}
	h := s.held.held[i]
	if (h.src != nil) == (p.Src != nil) {
		return nil, false // the same side holds both forms: two names, two keys
	}
	s.held.held = slices.Delete(s.held.held, i, i+1)
	if s.out != nil && h.slot != nil { // twins are not recorded
		hs := h.slot
		o.push(decided(func(func(transfer.Item) bool) bool { hs.close(s.out); return true }))
	}
	out := &Pair{Key: p.Key, Src: h.src, Dst: p.Dst}
	if h.src == nil {
		out.Src, out.Dst = p.Src, h.dst
	}
	if s.o.Note != nil {
		s.o.Note(Note{Kind: "twin", Key: out.Dst.Key, Err: fmt.Errorf("the source's %q is the same name in another Unicode form (NFC/NFD): compared with it, not sent as a second name", out.Src.Key)})
	}
	return out, false
}

// releaseTwins lets go, as keys of one side, the held keys whose NFC form the merge has
// passed (before is the merge's current key), or all of them when all is set.
func (s *Sync) releaseTwins(before string, all bool, o *ordered) error {
	n := 0
	for n < len(s.held.held) && (all || s.held.held[n].nfc < before) {
		n++
	}
	rel := s.held.held[:n:n]
	s.held.held = s.held.held[n:]
	for _, h := range rel {
		key := h.src
		if key == nil {
			key = h.dst
		}
		if err := s.oneSided(key.Key, h.src, h.dst, o, h.slot); err != nil {
			return err
		}
	}
	return nil
}

// twinItem is the transfer between twins: under the destination's name.
func (s *Sync) twinItem(src, dst *Entry, reason string) transfer.Item {
	if s.o.Dir == Up {
		return transfer.Item{Op: transfer.Upload, Path: src.Path, Object: s.ref(dst.Key), Size: src.Size, Reason: reason}
	}
	return transfer.Item{Op: transfer.Download, Path: dst.Path, Object: s.ref(src.Key), Size: src.Size, ETag: src.ETag, LastModified: src.ModTime, Reason: reason}
}
