// Command conformance-ref is the reference renderer for the TypeScript template engine: Go's text/template with
// the function map ESO builds (Sprig's TxtFuncMap minus env, expandenv and getHostByName, plus ESO's functions,
// implemented here on Go's standard library, go-pkcs12 and sigs.k8s.io/yaml), executed with missingkey=error.
//
// Batch mode: a JSON array of cases on stdin, a JSON array of results on stdout, one process for all cases.
package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
)

type testCase struct {
	ID       int               `json:"id"`
	Name     string            `json:"name"`
	Template string            `json:"template"`
	Data     map[string]string `json:"data"` // values base64-encoded, so binary data survives
}

type result struct {
	ID     int    `json:"id"`
	OK     bool   `json:"ok"`
	Output string `json:"output,omitempty"` // base64
	Phase  string `json:"phase,omitempty"`  // "parse" or "exec"
	Error  string `json:"error,omitempty"`
}

func funcMap() template.FuncMap {
	m := sprig.TxtFuncMap()
	// ESO removes these: they leak the environment or reach the network.
	delete(m, "env")
	delete(m, "expandenv")
	delete(m, "getHostByName")
	for k, v := range esoFuncs() {
		m[k] = v
	}
	return m
}

func run(fm template.FuncMap, c testCase) (r result) {
	r.ID = c.ID
	defer func() {
		if p := recover(); p != nil {
			r.OK = false
			r.Phase = "panic"
			r.Error = fmt.Sprint(p)
		}
	}()
	data := make(map[string]string, len(c.Data))
	for k, v := range c.Data {
		b, err := base64.StdEncoding.DecodeString(v)
		if err != nil {
			r.Phase, r.Error = "input", err.Error()
			return
		}
		data[k] = string(b)
	}
	name := c.Name
	if name == "" {
		name = "template"
	}
	t, err := template.New(name).Option("missingkey=error").Funcs(fm).Parse(c.Template)
	if err != nil {
		r.Phase, r.Error = "parse", err.Error()
		return
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, data); err != nil {
		r.Phase, r.Error = "exec", err.Error()
		return
	}
	r.OK = true
	r.Output = base64.StdEncoding.EncodeToString(buf.Bytes())
	return
}

func main() {
	var cases []testCase
	dec := json.NewDecoder(os.Stdin)
	if err := dec.Decode(&cases); err != nil {
		fmt.Fprintln(os.Stderr, "conformance-ref: reading cases:", err)
		os.Exit(2)
	}
	fm := funcMap()
	out := make([]result, 0, len(cases))
	for _, c := range cases {
		out = append(out, run(fm, c))
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(out); err != nil {
		fmt.Fprintln(os.Stderr, "conformance-ref: writing results:", err)
		os.Exit(2)
	}
}

var _ = strings.TrimSpace
