// Command kstatus prints the verdict of sigs.k8s.io/cli-utils' kstatus library for each
// Kubernetes object it reads: the same verdict Flux, kpt and Helm's watcher act on. The
// tests use it so that they assert the library's own answer instead of a copy of its rules.
//
// Input on stdin: one object, a JSON array of objects, or a List (an object with "items").
// Output on stdout: one JSON line per object, in input order:
//
//	{"name":"iris","status":"InProgress","message":"..."}
//
// status is one of Current, InProgress, Failed, Terminating, Unknown, NotFound. When the
// library cannot read an object (a field of the wrong type), the line says Unknown with the
// library's error, as kstatus' own pollers do, and the command exits 0: the verdict is data.
// Unreadable input (not JSON, or neither an object nor an array) exits 2 with the reason.
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utiljson "k8s.io/apimachinery/pkg/util/json"
	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// verdict is one output line.
type verdict struct {
	Name    string `json:"name"`
	Status  string `json:"status"`
	Message string `json:"message"`
}

func main() {
	objects, err := readObjects(os.Stdin)
	if err != nil {
		fmt.Fprintf(os.Stderr, "kstatus: %v; pass one object, a JSON array or a List as JSON on stdin\n", err)
		os.Exit(2)
	}
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	for _, obj := range objects {
		if err := enc.Encode(compute(obj)); err != nil {
			fmt.Fprintf(os.Stderr, "kstatus: writing the verdict: %v\n", err)
			os.Exit(1)
		}
	}
	if err := out.Flush(); err != nil {
		fmt.Fprintf(os.Stderr, "kstatus: writing the verdicts: %v\n", err)
		os.Exit(1)
	}
}

// readObjects decodes stdin with apimachinery's JSON decoder, which turns whole numbers
// into int64 the way the API machinery does; the library reads metadata.generation and
// status.observedGeneration as int64 and reports an error for float64.
func readObjects(r io.Reader) ([]map[string]interface{}, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("reading stdin: %w", err)
	}
	var doc interface{}
	if err := utiljson.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("stdin is not JSON: %w", err)
	}
	switch v := doc.(type) {
	case []interface{}:
		return asObjects(v)
	case map[string]interface{}:
		if items, ok := v["items"].([]interface{}); ok {
			return asObjects(items)
		}
		return []map[string]interface{}{v}, nil
	default:
		return nil, fmt.Errorf("stdin holds a JSON %T, not an object or an array", doc)
	}
}

func asObjects(items []interface{}) ([]map[string]interface{}, error) {
	objects := make([]map[string]interface{}, 0, len(items))
	for i, item := range items {
		obj, ok := item.(map[string]interface{})
		if !ok {
			return nil, fmt.Errorf("item %d is a JSON %T, not an object", i, item)
		}
		objects = append(objects, obj)
	}
	return objects, nil
}

func compute(obj map[string]interface{}) verdict {
	u := &unstructured.Unstructured{Object: obj}
	res, err := status.Compute(u)
	if err != nil {
		return verdict{Name: u.GetName(), Status: string(status.UnknownStatus), Message: err.Error()}
	}
	return verdict{Name: u.GetName(), Status: string(res.Status), Message: res.Message}
}
