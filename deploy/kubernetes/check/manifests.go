// Package check reads haul's Kubernetes manifests (the YAML files of deploy/kubernetes)
// into the Kubernetes API types, strictly (a field the types do not have is an error), so
// that its tests can hold them to the rules haul relies on and run their commands as local
// processes. It is a module of its own so that haul's module carries no Kubernetes
// dependency.
package check

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"
)

// Manifests are the objects of a directory of manifests, each map by object name.
type Manifests struct {
	Jobs       map[string]*batchv1.Job
	ConfigMaps map[string]*corev1.ConfigMap
	Secrets    map[string]*corev1.Secret
	Claims     map[string]*corev1.PersistentVolumeClaim
	// File is the file each object came from, by kind and name ("Job/haul-sync").
	File map[string]string
}

// Load decodes every *.yaml file in dir (a file may hold several documents, split by
// "---" lines). A document of a kind Load does not know, of another apiVersion than its
// kind's, with a field its type lacks, or with a name taken by another of its kind is an
// error.
func Load(dir string) (*Manifests, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("load manifests: no *.yaml file in %s", dir)
	}
	m := &Manifests{
		Jobs:       map[string]*batchv1.Job{},
		ConfigMaps: map[string]*corev1.ConfigMap{},
		Secrets:    map[string]*corev1.Secret{},
		Claims:     map[string]*corev1.PersistentVolumeClaim{},
		File:       map[string]string{},
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		for i, doc := range documents(data) {
			if err := m.add(doc, filepath.Base(f)); err != nil {
				return nil, fmt.Errorf("%s, document %d: %w", filepath.Base(f), i+1, err)
			}
		}
	}
	return m, nil
}

// documents splits a YAML stream at its "---" lines and drops the documents that hold
// nothing but comments and blank lines.
func documents(data []byte) [][]byte {
	var docs [][]byte
	for _, d := range regexp.MustCompile(`(?m)^---[ \t]*$`).Split(string(data), -1) {
		for _, line := range strings.Split(d, "\n") {
			if t := strings.TrimSpace(line); t != "" && !strings.HasPrefix(t, "#") {
				docs = append(docs, []byte(d))
				break
			}
		}
	}
	return docs
}

// Decode decodes one document strictly into the type of its kind and returns it
// (*batchv1.Job, *corev1.ConfigMap, *corev1.Secret or *corev1.PersistentVolumeClaim).
func Decode(doc []byte) (any, error) {
	var tm metav1.TypeMeta
	if err := yaml.Unmarshal(doc, &tm); err != nil {
		return nil, err
	}
	var obj any
	want := "v1"
	switch tm.Kind {
	case "Job":
		obj, want = &batchv1.Job{}, "batch/v1"
	case "ConfigMap":
		obj = &corev1.ConfigMap{}
	case "Secret":
		obj = &corev1.Secret{}
	case "PersistentVolumeClaim":
		obj = &corev1.PersistentVolumeClaim{}
	default:
		return nil, fmt.Errorf("kind %q: not one of Job, ConfigMap, Secret, PersistentVolumeClaim", tm.Kind)
	}
	if tm.APIVersion != want {
		return nil, fmt.Errorf("%s with apiVersion %q, want %q", tm.Kind, tm.APIVersion, want)
	}
	if err := yaml.UnmarshalStrict(doc, obj); err != nil {
		return nil, fmt.Errorf("%s: %w", tm.Kind, err)
	}
	return obj, nil
}

func (m *Manifests) add(doc []byte, file string) error {
	obj, err := Decode(doc)
	if err != nil {
		return err
	}
	var kind, name string
	var dup bool
	switch o := obj.(type) {
	case *batchv1.Job:
		kind, name = "Job", o.Name
		_, dup = m.Jobs[name]
		m.Jobs[name] = o
	case *corev1.ConfigMap:
		kind, name = "ConfigMap", o.Name
		_, dup = m.ConfigMaps[name]
		m.ConfigMaps[name] = o
	case *corev1.Secret:
		kind, name = "Secret", o.Name
		_, dup = m.Secrets[name]
		m.Secrets[name] = o
	case *corev1.PersistentVolumeClaim:
		kind, name = "PersistentVolumeClaim", o.Name
		_, dup = m.Claims[name]
		m.Claims[name] = o
	}
	if name == "" {
		return fmt.Errorf("a %s with no metadata.name", kind)
	}
	if dup {
		return fmt.Errorf("a second %s named %q (the first is in %s)", kind, name, m.File[kind+"/"+name])
	}
	m.File[kind+"/"+name] = file
	return nil
}

// Env returns the environment Kubernetes gives container c from its env entries: plain
// values, and values from the ConfigMaps and Secrets of m. A reference to an object or a
// key m does not hold is an error, unless the reference is optional. envFrom and the
// downward API are not read: an entry that uses them is an error.
func (m *Manifests) Env(c *corev1.Container) (map[string]string, error) {
	if len(c.EnvFrom) > 0 {
		return nil, errors.New("envFrom is not read by this check: name each variable under env")
	}
	env := map[string]string{}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			env[e.Name] = Expand(e.Value, env)
		case e.ValueFrom.ConfigMapKeyRef != nil:
			r := e.ValueFrom.ConfigMapKeyRef
			cm, ok := m.ConfigMaps[r.Name]
			v, has := "", false
			if ok {
				v, has = cm.Data[r.Key]
			}
			if !has {
				if r.Optional != nil && *r.Optional {
					continue
				}
				return nil, fmt.Errorf("env %s: no key %q in a ConfigMap %q", e.Name, r.Key, r.Name)
			}
			env[e.Name] = v
		case e.ValueFrom.SecretKeyRef != nil:
			r := e.ValueFrom.SecretKeyRef
			v, has := m.secretValue(r.Name, r.Key)
			if !has {
				if r.Optional != nil && *r.Optional {
					continue
				}
				return nil, fmt.Errorf("env %s: no key %q in a Secret %q", e.Name, r.Key, r.Name)
			}
			env[e.Name] = v
		default:
			return nil, fmt.Errorf("env %s: a valueFrom this check does not read", e.Name)
		}
	}
	return env, nil
}

func (m *Manifests) secretValue(name, key string) (string, bool) {
	s, ok := m.Secrets[name]
	if !ok {
		return "", false
	}
	if v, ok := s.StringData[key]; ok {
		return v, true
	}
	v, ok := s.Data[key]
	return string(v), ok
}

// Expand expands the variable references of a container's command, args or env value as
// Kubernetes does: $(NAME) becomes the value of NAME when env holds it and stays as it is
// otherwise, $$ becomes $, and any other $ stays (so '$JOB_COMPLETION_INDEX/8' reaches the
// program unchanged).
func Expand(s string, env map[string]string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] != '$' || i+1 == len(s) {
			b.WriteByte(s[i])
			continue
		}
		switch s[i+1] {
		case '$':
			b.WriteByte('$')
			i++
		case '(':
			end := strings.IndexByte(s[i+2:], ')')
			if end < 0 {
				b.WriteString(s[i:])
				return b.String()
			}
			name := s[i+2 : i+2+end]
			if v, ok := env[name]; ok {
				b.WriteString(v)
			} else {
				b.WriteString(s[i : i+3+end])
			}
			i += 2 + end
		default:
			b.WriteByte('$')
		}
	}
	return b.String()
}

// References returns the names of the $(NAME) references in s, in order.
func References(s string) []string {
	var names []string
	for _, m := range regexp.MustCompile(`\$\$|\$\(([^)]*)\)`).FindAllStringSubmatch(s, -1) {
		if m[0] != "$$" {
			names = append(names, m[1])
		}
	}
	return names
}

// Flag returns the value of the flag name (--name VALUE or --name=VALUE) in args.
func Flag(args []string, name string) (string, bool) {
	for i, a := range args {
		if a == name && i+1 < len(args) {
			return args[i+1], true
		}
		if v, ok := strings.CutPrefix(a, name+"="); ok {
			return v, true
		}
	}
	return "", false
}

// ShardCount returns N of a --shard '$VAR/N' argument, and VAR.
func ShardCount(args []string) (n int, variable string, err error) {
	v, ok := Flag(args, "--shard")
	if !ok {
		return 0, "", errors.New("no --shard")
	}
	idx, count, ok := strings.Cut(v, "/")
	variable, isVar := strings.CutPrefix(idx, "$")
	if !ok || !isVar {
		return 0, "", fmt.Errorf("--shard %q: want $VAR/N, the index from a variable", v)
	}
	variable = strings.TrimSuffix(strings.TrimPrefix(variable, "{"), "}")
	n, err = strconv.Atoi(count)
	if err != nil || n < 1 {
		return 0, "", fmt.Errorf("--shard %q: N is not a whole number of 1 or more", v)
	}
	return n, variable, nil
}

// ReceiptName returns the name of shard i of n's receipt for --receipt file, as haul
// names it: .shard-I-of-N before the extension.
func ReceiptName(file string, i, n int) string {
	ext := filepath.Ext(file)
	return fmt.Sprintf("%s.shard-%d-of-%d%s", strings.TrimSuffix(file, ext), i, n, ext)
}

// Positional returns the arguments of args that are neither flags nor flag values, given
// the flags of args that take no value.
func Positional(args []string, boolFlags ...string) []string {
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		switch {
		case !strings.HasPrefix(a, "-") || a == "-":
			out = append(out, a)
		case strings.Contains(a, "=") || slices.Contains(boolFlags, a):
		default:
			i++ // its value
		}
	}
	return out
}
