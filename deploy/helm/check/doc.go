// Package check holds the Helm chart's tests: helm itself (pinned in this
// module's go.mod as a tool) lints and renders the chart, and every
// rendered manifest must decode strictly into its Kubernetes API type.
//
// It is a module of its own, so that the service's module does not depend
// on Kubernetes and Helm. Run it with deploy/check.sh, or:
//
//	cd deploy/helm/check && go test ./...
package check
