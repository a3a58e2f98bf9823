package sqllogic

import (
	"fmt"
	"strings"
)

// LineDiff renders a line diff of want ("-") against got ("+"), with unchanged
// lines prefixed by two spaces, every line indented by four spaces and no
// final newline. Output is capped at maxLines lines.
func LineDiff(want, got []string, maxLines int) string {
	var ops []string
	if len(want)*len(got) > 4_000_000 {
		for _, l := range want {
			ops = append(ops, "- "+l)
		}
		for _, l := range got {
			ops = append(ops, "+ "+l)
		}
	} else {
		// lcs[i][j] = length of the LCS of want[i:] and got[j:].
		n, m := len(want), len(got)
		lcs := make([][]int32, n+1)
		for i := range lcs {
			lcs[i] = make([]int32, m+1)
		}
		for i := n - 1; i >= 0; i-- {
			for j := m - 1; j >= 0; j-- {
				if want[i] == got[j] {
					lcs[i][j] = lcs[i+1][j+1] + 1
				} else {
					lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
				}
			}
		}
		i, j := 0, 0
		for i < n || j < m {
			switch {
			case i < n && j < m && want[i] == got[j]:
				ops = append(ops, "  "+want[i])
				i++
				j++
			case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
				ops = append(ops, "- "+want[i])
				i++
			default:
				ops = append(ops, "+ "+got[j])
				j++
			}
		}
	}
	if len(ops) == 0 {
		return "    (no rows)"
	}
	var b strings.Builder
	for k, op := range ops {
		if k == maxLines {
			fmt.Fprintf(&b, "    ... %d more lines\n", len(ops)-k)
			break
		}
		b.WriteString("    ")
		b.WriteString(op)
		b.WriteByte('\n')
	}
	return strings.TrimSuffix(b.String(), "\n")
}
