// Built inside an Ignition checkout (copy to cmd/mergetool/main.go, then
// `go build -mod=vendor -o mergetool ./cmd/mergetool`): reads lines [parent, child] of
// 3.6.0 JSON configs and prints Ignition's merge of each, for check_merge_against_head.py.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	v36 "github.com/coreos/ignition/v2/config/v3_6"
)

// reads lines [parentJSON, childJSON], prints merged JSON per line (or ERR)
func main() {
	sc := bufio.NewScanner(os.Stdin)
	sc.Buffer(make([]byte, 64*1024*1024), 64*1024*1024)
	w := bufio.NewWriter(os.Stdout)
	defer w.Flush()
	for sc.Scan() {
		var pair []json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &pair); err != nil {
			fmt.Fprintln(w, "ERR", err)
			continue
		}
		a, _, err := v36.Parse(pair[0])
		if err != nil {
			fmt.Fprintln(w, "ERR parent", err)
			continue
		}
		b, _, err := v36.Parse(pair[1])
		if err != nil {
			fmt.Fprintln(w, "ERR child", err)
			continue
		}
		out, _ := json.Marshal(v36.Merge(a, b))
		w.Write(out)
		w.WriteString("\n")
	}
}
