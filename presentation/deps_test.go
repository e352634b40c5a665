package presentation

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestImportsDomainOnly enforces the layering rule: presentation's
// non-test code imports the standard library, chatwire's domain and the
// module's internal utilities only.
func TestImportsDomainOnly(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		af, err := parser.ParseFile(token.NewFileSet(), f, src, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		checked++
		for _, imp := range af.Imports {
			path, _ := strconv.Unquote(imp.Path.Value)
			first, _, _ := strings.Cut(path, "/")
			switch {
			case path == "github.com/chatwire/chatwire/domain":
			case strings.HasPrefix(path, "github.com/chatwire/chatwire/internal/"):
			case !strings.Contains(first, "."): // the standard library
			default:
				t.Errorf("%s imports %s; presentation may import only domain, internal/ and the standard library", f, path)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no source files checked")
	}
}
