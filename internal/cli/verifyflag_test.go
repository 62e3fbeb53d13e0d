package cli

import "testing"

func TestVerifyFlag(t *testing.T) {
	for _, c := range []struct {
		arg            string
		skip, required bool
		bad            bool
	}{
		{"true", false, false, false},
		{"1", false, false, false},
		{"false", true, false, false},
		{"FALSE", true, false, false},
		{"required", false, true, false},
		{"Required", false, true, false},
		{"sometimes", false, false, true},
	} {
		f := goodCpFlags()
		err := f.verify.Set(c.arg)
		if c.bad {
			if err == nil {
				t.Errorf("--verify=%s accepted", c.arg)
			}
			continue
		}
		o, oerr := f.options()
		if err != nil || oerr != nil || o.SkipVerify != c.skip || o.VerifyRequired != c.required {
			t.Errorf("--verify=%s: skip %v, required %v (%v, %v); want %v, %v", c.arg, o.SkipVerify, o.VerifyRequired, err, oerr, c.skip, c.required)
		}
	}
}
