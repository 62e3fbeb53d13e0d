package syncplan

import "testing"

func TestNamesFindsWhatALocalDirectoryCannotHold(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fold  bool
		keys  []string
		clash map[string]string // key -> the key it clashes with
	}{
		{"distinct", true, []string{"A-b", "a/x", "a/y", "b"}, nil},
		{"file then dir", false, []string{"a", "a-b", "a/b", "a/c"}, map[string]string{"a/b": "a", "a/c": "a"}},
		{"case, same dir", true, []string{"README.md", "RZ/x", "Readme.md"}, map[string]string{"Readme.md": "README.md"}},
		{"case-sensitive keeps both", false, []string{"README.md", "Readme.md"}, nil},
		{"case of a directory", true, []string{"A/x", "B", "a/y"}, map[string]string{"a/y": "A"}},
		{"case deep", true, []string{"d/e/F", "d/e/f", "d/g"}, map[string]string{"d/e/f": "d/e/F"}},
		{"left directory forgotten, root kept", true, []string{"d/x", "e/X", "e/x"}, map[string]string{"e/x": "e/X"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n := newNameCheck(tc.fold)
			for _, k := range tc.keys {
				c := n.check(k, true)
				want, clash := tc.clash[k]
				switch {
				case clash && (c == nil || c.With != want):
					t.Errorf("%s: conflict %v, want one with %s", k, c, want)
				case !clash && c != nil:
					t.Errorf("%s: conflict %v, want none", k, c)
				}
			}
		})
	}
}
