// Package lint holds tests that keep the architecture's import rules
// (docs/ARCHITECTURE.md, "Packages and imports").
package lint

import (
	"os/exec"
	"strings"
	"testing"
)

const mod = "github.com/cirrusdb/cirrus/"

// forbidden maps a package (and its subpackages) to import prefixes it must
// not use, directly or through anything it imports.
var forbidden = map[string][]string{
	"catalog":      {mod + "coordinator", mod + "participant", mod + "metad", mod + "executor", mod + "planner", mod + "storage"},
	"invalidation": {mod + "coordinator", mod + "participant", mod + "metad", mod + "executor", mod + "planner", mod + "storage"},
	"storage":      {mod + "coordinator", mod + "participant", mod + "metad", mod + "executor", mod + "planner"},
	"vec":          {mod + "coordinator", mod + "participant", mod + "metad", mod + "executor", mod + "planner", mod + "storage"},
	// The planner is pure: no network, etcd or object store access.
	"planner": {mod + "coordinator", mod + "participant", mod + "metad", mod + "executor", "go.etcd.io/", "google.golang.org/grpc", "github.com/minio/"},
	// The executor never looks anything up: fragments arrive resolved.
	"executor": {mod + "coordinator", mod + "participant", mod + "metad"},
	// Roles talk only through metad's API and the Flight exchange.
	"participant": {mod + "coordinator"},
	"coordinator": {mod + "participant"},
	"metad":       {mod + "coordinator", mod + "participant", mod + "executor", mod + "planner"},
}

func TestImportRules(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps=false", "-f", `{{.ImportPath}}{{range .Deps}} {{.}}{{end}}`, mod+"...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	checked := 0
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		fields := strings.Fields(line)
		pkg, deps := strings.TrimPrefix(fields[0], mod), fields[1:]
		for root, bad := range forbidden {
			if pkg != root && !strings.HasPrefix(pkg, root+"/") {
				continue
			}
			checked++
			for _, d := range deps {
				for _, b := range bad {
					if strings.HasPrefix(d, b) && !strings.HasPrefix(d, mod+pkg) {
						t.Errorf("%s depends on %s (forbidden: %s)", pkg, d, b)
					}
				}
			}
		}
	}
	if checked < len(forbidden) {
		t.Fatalf("checked only %d packages; is the module layout as expected?", checked)
	}
}
