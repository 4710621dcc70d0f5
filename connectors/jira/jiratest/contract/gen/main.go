// Command gen cuts the subset of Atlassian's Jira Cloud OpenAPI document
// that the contract tests need: the operations helpdesk-sync and its
// simulator use, and every schema they reference, transitively. Run it from
// the contract package directory:
//
//	go generate ./connectors/jira/jiratest/contract
//
// The full document is not in the repository; tests read only the subset.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"sort"
	"strings"
)

// operations are the method and path of every operation the adapter sends
// or the simulator answers. v2 paths map onto these v3 operations.
var operations = map[string][]string{
	"/rest/api/3/search/jql":                        {"get", "post"},
	"/rest/api/3/search":                            {"get", "post"},
	"/rest/api/3/issue/{issueIdOrKey}":              {"get", "put"},
	"/rest/api/3/issue/{issueIdOrKey}/changelog":    {"get"},
	"/rest/api/3/issue/{issueIdOrKey}/comment":      {"get", "post"},
	"/rest/api/3/issue/{issueIdOrKey}/remotelink":   {"get", "post", "delete"},
	"/rest/api/3/myself":                            {"get"},
	"/rest/api/3/priority":                          {"get"},
	"/rest/api/3/field":                             {"get"},
	"/rest/api/3/project/{projectIdOrKey}":          {"get"},
	"/rest/api/3/project/{projectIdOrKey}/versions": {"get"},
	"/rest/api/3/project/{projectIdOrKey}/version":  {"get"},
	"/rest/api/3/version/{id}":                      {"get", "put"},
	"/rest/api/3/version":                           {"post"},
	"/rest/api/3/issue":                             {"post"},
	"/rest/api/3/statuscategory":                    {"get"},
	"/rest/api/3/serverInfo":                        {"get"},
}

func main() {
	src := flag.String("src", "", "Atlassian's full OpenAPI document (jira-cloud-platform.v3.openapi.json)")
	out := flag.String("out", "jira-v3-subset.json", "where to write the subset")
	flag.Parse()
	if *src == "" {
		log.Fatal("gen: -src is required")
	}
	raw, err := os.ReadFile(*src)
	if err != nil {
		log.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(raw, &doc); err != nil {
		log.Fatalf("gen: %s: %v", *src, err)
	}
	subset, err := cut(doc)
	if err != nil {
		log.Fatal(err)
	}
	b, err := json.MarshalIndent(subset, "", " ")
	if err != nil {
		log.Fatal(err)
	}
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("gen: %d operations, %d schemas → %s (%d bytes)\n", countOps(), len(subset["components"].(map[string]any)["schemas"].(map[string]any)), *out, len(b))
}

func countOps() int {
	n := 0
	for _, ms := range operations {
		n += len(ms)
	}
	return n
}

func cut(doc map[string]any) (map[string]any, error) {
	paths, _ := doc["paths"].(map[string]any)
	schemas, _ := doc["components"].(map[string]any)["schemas"].(map[string]any)
	keptPaths := map[string]any{}
	for _, p := range sortedKeys(operations) {
		item, ok := paths[p].(map[string]any)
		if !ok {
			return nil, fmt.Errorf("gen: the document has no path %s", p)
		}
		kept := map[string]any{}
		if params, ok := item["parameters"]; ok {
			kept["parameters"] = params
		}
		for _, m := range operations[p] {
			op, ok := item[m].(map[string]any)
			if !ok {
				return nil, fmt.Errorf("gen: the document has no %s %s", strings.ToUpper(m), p)
			}
			// Authentication is exercised by the simulator's own tests; the
			// contract is about shapes, so the OAuth/basic schemes go.
			delete(op, "security")
			delete(op, "x-atlassian-connect-scope")
			delete(op, "x-atlassian-oauth2-scopes")
			delete(op, "x-atlassian-data-security-policy")
			// A 204 has no body (RFC 9110 §15.3.5); the document still lists
			// an application/json {} content for some, which would demand a
			// Content-Type on an empty response.
			if r, ok := op["responses"].(map[string]any)["204"].(map[string]any); ok {
				delete(r, "content")
			}
			kept[m] = op
		}
		keptPaths[p] = kept
	}
	patchRemoteLinkList(keptPaths)

	keptSchemas := map[string]any{}
	var visit func(v any)
	visit = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				name := strings.TrimPrefix(ref, "#/components/schemas/")
				if _, seen := keptSchemas[name]; !seen {
					s, ok := schemas[name]
					if !ok {
						panic("gen: dangling reference " + ref)
					}
					keptSchemas[name] = s
					visit(s)
				}
			}
			for _, k := range sortedKeys(v) {
				visit(v[k])
			}
		case []any:
			for _, x := range v {
				visit(x)
			}
		}
	}
	visit(keptPaths)
	for _, name := range sortedKeys(keptSchemas) {
		untypedNullable(keptSchemas[name])
	}
	walkMediaSchemas(keptPaths)
	return map[string]any{
		"openapi":    doc["openapi"],
		"info":       map[string]any{"title": "Jira Cloud platform REST API (subset for helpdesk-sync)", "version": doc["info"].(map[string]any)["version"]},
		"servers":    []any{map[string]any{"url": "/"}},
		"paths":      keptPaths,
		"components": map[string]any{"schemas": keptSchemas},
	}, nil
}

// untypedNullable lets every schema without a type accept null. In JSON
// Schema an untyped schema accepts any value; OpenAPI 3.0 validators refuse
// null unless "nullable" is set, yet Jira sends null for unset fields
// (fields.resolution, custom fields) whose schema is {}.
func untypedNullable(v any) {
	s, ok := v.(map[string]any)
	if !ok {
		return
	}
	_, typed := s["type"]
	_, ref := s["$ref"]
	_, all := s["allOf"]
	_, one := s["oneOf"]
	_, anyOf := s["anyOf"]
	if !typed && !ref && !all && !one && !anyOf {
		s["nullable"] = true
	}
	if props, ok := s["properties"].(map[string]any); ok {
		for _, k := range sortedKeys(props) {
			untypedNullable(props[k])
		}
	}
	untypedNullable(s["additionalProperties"])
	untypedNullable(s["items"])
	untypedNullable(s["not"])
	for _, k := range []string{"allOf", "oneOf", "anyOf"} {
		if list, ok := s[k].([]any); ok {
			for _, x := range list {
				untypedNullable(x)
			}
		}
	}
}

// walkMediaSchemas applies untypedNullable to the inline schemas of
// parameters, request bodies and responses.
func walkMediaSchemas(v any) {
	switch v := v.(type) {
	case map[string]any:
		for _, k := range sortedKeys(v) {
			if k == "schema" {
				untypedNullable(v[k])
				continue
			}
			walkMediaSchemas(v[k])
		}
	case []any:
		for _, x := range v {
			walkMediaSchemas(x)
		}
	}
}

// patchRemoteLinkList fixes one known error of the document: GET
// …/remotelink without globalId returns an array of RemoteIssueLink (the
// document's own example, go-jira's remote_links.json mock), with globalId
// a single one; the document declares only the single object.
func patchRemoteLinkList(paths map[string]any) {
	op := paths["/rest/api/3/issue/{issueIdOrKey}/remotelink"].(map[string]any)["get"].(map[string]any)
	media := op["responses"].(map[string]any)["200"].(map[string]any)["content"].(map[string]any)["application/json"].(map[string]any)
	one := map[string]any{"$ref": "#/components/schemas/RemoteIssueLink"}
	media["schema"] = map[string]any{"oneOf": []any{one, map[string]any{"type": "array", "items": one}}}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
