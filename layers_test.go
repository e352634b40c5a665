// The dependency rule of ARCHITECTURE.md, checked with `go list -deps`:
// presentation → domain ← data → core, mocks → domain and core/network;
// internal/ holds utilities every layer but domain may import, and imports
// nothing else of ours.
package chatwire_test

import (
	"os/exec"
	"strings"
	"testing"
)

const module = "github.com/chatwire/chatwire"

// allowed maps a package pattern (a prefix of the import path after the
// module, or an exact path) to the prefixes of ours it may depend on.
var allowed = []struct {
	pkg      string
	mayUse   []string
	isPrefix bool
}{
	{pkg: "domain", mayUse: []string{"domain"}},
	{pkg: "domain/", isPrefix: true, mayUse: []string{"domain"}},
	{pkg: "internal", isPrefix: true, mayUse: []string{"internal"}},
	{pkg: "core/", isPrefix: true, mayUse: []string{"core/", "internal"}},
	{pkg: "presentation", mayUse: []string{"presentation", "domain", "internal"}},
	{pkg: "data", mayUse: []string{"data", "domain", "core/", "internal"}},
	{pkg: "data/", isPrefix: true, mayUse: []string{"data", "domain", "core/", "internal"}},
	{pkg: "mocks/", isPrefix: true, mayUse: []string{"mocks/", "domain", "core/network", "internal"}},
}

func TestDependencyRule(t *testing.T) {
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, "./...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, ok := strings.CutPrefix(fields[0], module+"/")
		if !ok {
			continue
		}
		for _, rule := range allowed {
			if !(pkg == rule.pkg || rule.isPrefix && strings.HasPrefix(pkg, rule.pkg)) {
				continue
			}
			checked++
			for _, dep := range fields[1:] {
				ours, ok := strings.CutPrefix(dep, module+"/")
				if !ok || permitted(ours, rule.mayUse) {
					continue
				}
				t.Errorf("%s imports %s: the dependency rule forbids it", pkg, ours)
			}
		}
	}
	if checked < 3 {
		t.Fatalf("checked only %d packages; is the module layout intact?", checked)
	}
}

func permitted(dep string, prefixes []string) bool {
	for _, p := range prefixes {
		if dep == p || strings.HasSuffix(p, "/") && strings.HasPrefix(dep, p) || strings.HasPrefix(dep, p+"/") {
			return true
		}
	}
	return false
}
