package check

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer"
	"sigs.k8s.io/yaml"
)

const (
	chart = "../helpdesk-sync"
	// kubeVersion is what helm renders for: a go-installed helm defaults
	// to v1.20, below the chart's kubeVersion.
	kubeVersion = "1.31.0"
)

// helm runs the helm pinned in go.mod (go tool helm).
func helm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command("go", append([]string{"tool", "helm"}, args...)...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if err != nil {
		return stdout.String(), fmt.Errorf("helm %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String(), nil
}

func TestLint(t *testing.T) {
	out, err := helm(t, "lint", "--strict", "--kube-version", kubeVersion, chart)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "0 chart(s) failed") {
		t.Fatalf("helm lint:\n%s", out)
	}
}

// rendered is one release's manifests, each decoded strictly into its
// Kubernetes type.
type rendered struct {
	objects        []runtime.Object
	deployment     *appsv1.Deployment
	configMap      *corev1.ConfigMap
	service        *corev1.Service // public: webhooks, board
	adminService   *corev1.Service // metrics, readiness details, pprof
	serviceAccount *corev1.ServiceAccount
	pdb            *policyv1.PodDisruptionBudget
	serviceMonitor *monitoringv1.ServiceMonitor
}

// decoder refuses unknown and duplicate fields: a misspelt or misplaced
// key in a template is an error here, not a field the API server drops.
func decoder(t *testing.T) runtime.Decoder {
	t.Helper()
	scheme := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		appsv1.AddToScheme, corev1.AddToScheme, policyv1.AddToScheme, monitoringv1.AddToScheme,
	} {
		if err := add(scheme); err != nil {
			t.Fatal(err)
		}
	}
	return serializer.NewCodecFactory(scheme, serializer.EnableStrict).UniversalDeserializer()
}

func render(t *testing.T, set ...string) rendered {
	t.Helper()
	args := []string{"template", "rel", chart, "--namespace", "support", "--kube-version", kubeVersion}
	for _, s := range set {
		args = append(args, "--set", s)
	}
	out, err := helm(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	dec := decoder(t)
	var r rendered
	for doc := range strings.SplitSeq(out, "\n---\n") {
		if strings.TrimSpace(strings.TrimPrefix(doc, "---")) == "" {
			continue
		}
		obj, gvk, err := dec.Decode([]byte(doc), nil, nil)
		if err != nil {
			t.Fatalf("manifest does not decode strictly: %v\n%s", err, doc)
		}
		r.objects = append(r.objects, obj)
		switch o := obj.(type) {
		case *appsv1.Deployment:
			r.deployment = o
		case *corev1.ConfigMap:
			r.configMap = o
		case *corev1.Service:
			if o.Labels["app.kubernetes.io/component"] == "admin" {
				r.adminService = o
			} else {
				r.service = o
			}
		case *corev1.ServiceAccount:
			r.serviceAccount = o
		case *policyv1.PodDisruptionBudget:
			r.pdb = o
		case *monitoringv1.ServiceMonitor:
			r.serviceMonitor = o
		default:
			t.Fatalf("unexpected kind %s", gvk)
		}
	}
	if r.deployment == nil || r.configMap == nil || r.service == nil || r.adminService == nil {
		t.Fatalf("rendered %d objects without a Deployment, ConfigMap, Service and admin Service", len(r.objects))
	}
	return r
}

func TestStrictDecodeUnknownField(t *testing.T) {
	// The decoder the chart is held to refuses a misplaced key.
	doc := "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\nspec:\n  replica: 2\n"
	if _, _, err := decoder(t).Decode([]byte(doc), nil, nil); err == nil || !strings.Contains(err.Error(), `unknown field "spec.replica"`) {
		t.Fatalf("strict decoding let a misspelt field through: %v", err)
	}
}

func TestRenderedDefaults(t *testing.T) {
	r := render(t)
	if r.serviceAccount == nil || r.pdb == nil || r.serviceMonitor != nil || len(r.objects) != 6 {
		t.Fatalf("default objects: %d, service account %v, PDB %v, ServiceMonitor %v",
			len(r.objects), r.serviceAccount != nil, r.pdb != nil, r.serviceMonitor != nil)
	}
	d := r.deployment
	pod := d.Spec.Template.Spec
	if *d.Spec.Replicas < 2 {
		t.Errorf("%d replicas: no standby to take the lease", *d.Spec.Replicas)
	}
	if ru := d.Spec.Strategy.RollingUpdate; ru == nil || ru.MaxUnavailable.IntValue() != 0 {
		t.Errorf("rolling update %+v may take every replica down", ru)
	}
	if !selects(d.Spec.Selector.MatchLabels, d.Spec.Template.Labels) || !selects(r.service.Spec.Selector, d.Spec.Template.Labels) ||
		!selects(r.adminService.Spec.Selector, d.Spec.Template.Labels) || !selects(r.pdb.Spec.Selector.MatchLabels, d.Spec.Template.Labels) {
		t.Error("a selector does not match the pod's labels")
	}
	if pod.AutomountServiceAccountToken == nil || *pod.AutomountServiceAccountToken {
		t.Error("the service account token is mounted; the service calls no Kubernetes API")
	}

	// Pod and container security.
	psc := pod.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 ||
		psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod security context %+v", psc)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers", len(pod.Containers))
	}
	c := pod.Containers[0]
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem || sc.AllowPrivilegeEscalation == nil ||
		*sc.AllowPrivilegeEscalation || sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("container security context %+v", sc)
	}
	if c.Resources.Requests.Cpu().IsZero() || c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources %+v", c.Resources)
	}

	// Two listeners: the public one (webhooks, board) behind the Service,
	// and the admin one (metrics, readiness details, pprof) behind a
	// ClusterIP Service of its own, which the probes use too.
	port, adminPort := containerPort(c, "http"), containerPort(c, "admin")
	if listen := env(c, "HELPDESK_SYNC_HTTP_LISTEN"); port == 0 || listen != fmt.Sprintf(":%d", port) {
		t.Errorf("http.listen %q is not the container port http %d", listen, port)
	}
	if listen := env(c, "HELPDESK_SYNC_HTTP_ADMIN_LISTEN"); adminPort == 0 || adminPort == port || listen != fmt.Sprintf(":%d", adminPort) {
		t.Errorf("http.admin_listen %q is not the container port admin %d (http is %d)", listen, adminPort, port)
	}
	if ports := r.service.Spec.Ports; len(ports) != 1 || ports[0].TargetPort.String() != "http" {
		t.Errorf("the public Service exposes %+v; want the http port alone", ports)
	}
	if ports := r.adminService.Spec.Ports; r.adminService.Spec.Type != corev1.ServiceTypeClusterIP || len(ports) != 1 ||
		ports[0].TargetPort.String() != "admin" {
		t.Errorf("the admin Service is %s with %+v; want ClusterIP with the admin port alone", r.adminService.Spec.Type, ports)
	}
	if p := c.LivenessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/healthz" || p.HTTPGet.Port.String() != "admin" {
		t.Errorf("liveness probe %+v", p)
	}
	if p := c.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/readyz" || p.HTTPGet.Port.String() != "admin" ||
		p.TimeoutSeconds < 2 {
		t.Errorf("readiness probe %+v; /readyz answers within 1s on the admin port", p)
	}

	// Writable /tmp only; the configuration and secrets mounted read-only.
	mounts := map[string]corev1.VolumeMount{}
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = m
	}
	if tmp, ok := volume(pod, "tmp"); mounts["tmp"].MountPath != "/tmp" || !ok || tmp.EmptyDir == nil {
		t.Errorf("no emptyDir on /tmp: %+v", mounts)
	}
	cfgMount := mounts["config"]
	if cfgVol, ok := volume(pod, "config"); !cfgMount.ReadOnly || cfgMount.MountPath != env(c, "HELPDESK_SYNC_CONFIG") ||
		!ok || cfgVol.ConfigMap == nil || cfgVol.ConfigMap.Name != r.configMap.Name {
		t.Errorf("configuration mount %+v, HELPDESK_SYNC_CONFIG %q", cfgMount, env(c, "HELPDESK_SYNC_CONFIG"))
	}
	secrets, ok := volume(pod, "secrets")
	if !ok || secrets.Secret == nil || len(secrets.Secret.Items) == 0 || !mounts["secrets"].ReadOnly {
		t.Fatalf("secrets volume %+v, mount %+v", secrets, mounts["secrets"])
	}
	for _, item := range secrets.Secret.Items {
		want := filepath.Join(mounts["secrets"].MountPath, item.Path)
		found := false
		for _, e := range c.Env {
			found = found || strings.HasSuffix(e.Name, "_FILE") && e.Value == want
		}
		if !found {
			t.Errorf("secret key %s is mounted at %s, and no *_FILE variable names it", item.Key, want)
		}
	}

	// The pod outlives the service's own shutdown grace.
	var cfg struct {
		Sync struct {
			ShutdownGrace string `json:"shutdown_grace"`
		} `json:"sync"`
	}
	if err := yaml.Unmarshal([]byte(r.configMap.Data["config.yaml"]), &cfg); err != nil {
		t.Fatal(err)
	}
	grace, err := time.ParseDuration(cfg.Sync.ShutdownGrace)
	if err != nil {
		t.Fatalf("sync.shutdown_grace in the ConfigMap: %v", err)
	}
	if tg := time.Duration(*pod.TerminationGracePeriodSeconds) * time.Second; tg <= grace {
		t.Errorf("terminationGracePeriodSeconds %s is not longer than sync.shutdown_grace %s", tg, grace)
	}
	if r.pdb.Spec.MaxUnavailable == nil || r.pdb.Spec.MaxUnavailable.IntValue() >= int(*d.Spec.Replicas) {
		t.Errorf("the PDB allows every replica down: %+v", r.pdb.Spec)
	}
}

func TestRenderedOptions(t *testing.T) {
	r := render(t, "serviceMonitor.enabled=true", "serviceMonitor.labels.release=prom", "podDisruptionBudget.enabled=false",
		"serviceAccount.create=false", "serviceAccount.name=sync", "secret.keys=null",
		"extraEnv.HELPDESK_SYNC_HTTP_PPROF=true", "image.tag=1.2.3")
	if r.serviceMonitor == nil || r.pdb != nil || r.serviceAccount != nil {
		t.Fatalf("ServiceMonitor %v, PDB %v, service account %v", r.serviceMonitor != nil, r.pdb != nil, r.serviceAccount != nil)
	}
	sm := r.serviceMonitor
	if sm.Labels["release"] != "prom" || !selects(sm.Spec.Selector.MatchLabels, r.adminService.Labels) ||
		len(sm.Spec.Endpoints) != 1 || sm.Spec.Endpoints[0].Port != r.adminService.Spec.Ports[0].Name || sm.Spec.Endpoints[0].Path != "/metrics" {
		t.Errorf("ServiceMonitor %+v does not scrape the admin Service's /metrics", sm.Spec)
	}
	if selects(sm.Spec.Selector.MatchLabels, r.service.Labels) {
		t.Errorf("ServiceMonitor %+v selects the public Service too, which has no /metrics", sm.Spec.Selector)
	}
	pod := r.deployment.Spec.Template.Spec
	c := pod.Containers[0]
	if pod.ServiceAccountName != "sync" || c.Image != "ghcr.io/helpdesk-sync/helpdesk-sync:1.2.3" || env(c, "HELPDESK_SYNC_HTTP_PPROF") != "true" {
		t.Errorf("service account %q, image %q, env %+v", pod.ServiceAccountName, c.Image, c.Env)
	}
	if _, ok := volume(pod, "secrets"); ok {
		t.Error("a secrets volume without secret keys")
	}
}

func TestRenderRefusesAMissingSecretName(t *testing.T) {
	_, err := helm(t, "template", "rel", chart, "--kube-version", kubeVersion, "--set", "secret.name=")
	if err == nil || !strings.Contains(err.Error(), "secret.name: name the Secret holding the credentials") {
		t.Fatalf("rendered without a Secret name: %v", err)
	}
}

// TestConfigValidates runs the binary's own validation over the chart's
// configuration, with the Deployment's environment and its secret files,
// when deploy/check.sh passes the binary in HELPDESK_SYNC_BIN: with the
// defaults, and with Slack webhooks from the Secret.
func TestConfigValidates(t *testing.T) {
	bin := os.Getenv("HELPDESK_SYNC_BIN")
	if bin == "" {
		t.Skip("HELPDESK_SYNC_BIN is not set (deploy/check.sh sets it)")
	}
	for name, set := range map[string][]string{
		"defaults": nil,
		"slack":    {"slack.webhookKey=slack-default", "slack.webhooks.eng=slack-eng"},
	} {
		t.Run(name, func(t *testing.T) { validates(t, bin, render(t, set...)) })
	}
}

func validates(t *testing.T, bin string, r rendered) {
	dir := t.TempDir()
	c := r.deployment.Spec.Template.Spec.Containers[0]
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, []byte(r.configMap.Data["config.yaml"]), 0o600); err != nil {
		t.Fatal(err)
	}
	// A secret file at path in the container, written under dir; a Slack
	// webhook file holds a URL.
	secretFile := func(path string) string {
		value := "s3cret\n"
		if strings.HasPrefix(path, slackDir) {
			value = "https://hooks.slack.com/services/T000/B000/s3cret\n"
		}
		file := filepath.Join(dir, filepath.Base(path))
		if err := os.WriteFile(file, []byte(value), 0o600); err != nil {
			t.Fatal(err)
		}
		return file
	}
	environ := []string{"PATH=/usr/bin:/bin"}
	for _, e := range c.Env {
		switch {
		case e.Name == "HELPDESK_SYNC_CONFIG":
			environ = append(environ, e.Name+"="+cfgPath)
		case strings.HasSuffix(e.Name, "_FILE"):
			environ = append(environ, e.Name+"="+secretFile(e.Value))
		case e.Name == "HELPDESK_SYNC_SLACK_WEBHOOK_FILES":
			var files []string
			for item := range strings.SplitSeq(e.Value, ",") {
				name, path, _ := strings.Cut(item, "=")
				files = append(files, name+"="+secretFile(path))
			}
			environ = append(environ, e.Name+"="+strings.Join(files, ","))
		case e.ValueFrom == nil:
			environ = append(environ, e.Name+"="+e.Value)
		}
	}
	cmd := exec.Command(bin, "validate")
	cmd.Env = environ
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the chart's configuration does not validate: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "configuration is valid") || strings.Contains(string(out), "s3cret") ||
		strings.Contains(string(out), "sets no configuration key") {
		t.Fatalf("validate:\n%s", out)
	}
}

// slackDir is where the Slack Secret's keys are mounted.
const slackDir = "/etc/helpdesk-sync/slack/"

// Slack webhooks come from their own Secret (or secret.name's), each key
// mounted once under slackDir and named by the configuration's file keys;
// without a webhook there is no volume and no variable.
func TestRenderedSlack(t *testing.T) {
	pod := render(t).deployment.Spec.Template.Spec
	if _, ok := volume(pod, "slack"); ok || env(pod.Containers[0], "HELPDESK_SYNC_SLACK_WEBHOOK_URL_FILE") != "" {
		t.Fatal("a Slack volume or variable without a webhook")
	}

	pod = render(t, "slack.secretName=hooks", "slack.webhookKey=slack-default",
		"slack.webhooks.eng=slack-eng", "slack.webhooks.sales=slack-default").deployment.Spec.Template.Spec
	c := pod.Containers[0]
	if got := env(c, "HELPDESK_SYNC_SLACK_WEBHOOK_URL_FILE"); got != slackDir+"slack-default" {
		t.Errorf("HELPDESK_SYNC_SLACK_WEBHOOK_URL_FILE = %q", got)
	}
	if got, want := env(c, "HELPDESK_SYNC_SLACK_WEBHOOK_FILES"), "eng="+slackDir+"slack-eng,sales="+slackDir+"slack-default"; got != want {
		t.Errorf("HELPDESK_SYNC_SLACK_WEBHOOK_FILES = %q, want %q", got, want)
	}
	v, ok := volume(pod, "slack")
	if !ok || v.Secret == nil || v.Secret.SecretName != "hooks" || len(v.Secret.Items) != 2 ||
		v.Secret.Items[0].Key != "slack-default" || v.Secret.Items[1].Key != "slack-eng" {
		t.Fatalf("slack volume %+v, want the Secret hooks' keys slack-default and slack-eng, once each", v)
	}
	mounted := slices.ContainsFunc(c.VolumeMounts, func(m corev1.VolumeMount) bool {
		return m.Name == "slack" && m.MountPath+"/" == slackDir && m.ReadOnly
	})
	if !mounted {
		t.Errorf("mounts %+v lack the slack volume read-only at %s", c.VolumeMounts, slackDir)
	}

	pod = render(t, "slack.webhookKey=slack-default").deployment.Spec.Template.Spec
	if v, _ := volume(pod, "slack"); v.Secret == nil || v.Secret.SecretName != "helpdesk-sync" {
		t.Errorf("slack volume %+v, want secret.name's Secret by default", v)
	}
}

func selects(selector, labels map[string]string) bool {
	if len(selector) == 0 {
		return false
	}
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func containerPort(c corev1.Container, name string) int32 {
	for _, p := range c.Ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	return 0
}

func env(c corev1.Container, name string) string {
	for _, e := range c.Env {
		if e.Name == name {
			return e.Value
		}
	}
	return ""
}

func volume(pod corev1.PodSpec, name string) (corev1.Volume, bool) {
	for _, v := range pod.Volumes {
		if v.Name == name {
			return v, true
		}
	}
	return corev1.Volume{}, false
}
