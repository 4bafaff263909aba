// Package helm checks the Helm chart in deploy/helm/elevate: helm lint
// passes, and the manifests helm template renders have what the chart's
// README promises (replicas, probes, security context, resources, secrets
// from an existing Secret, a config elevate accepts). `make chart-check`
// runs it after making sure helm is installed; `make test` runs it too.
package helm

import (
	"bytes"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/elevate-pim/elevate/core/config"
)

const chart = "elevate"

// helmBinary finds helm: $HELM, the PATH, or where go install puts it.
// Without it the test is skipped, or fails in CI (CI=true), where a skip
// would hide that the chart went unchecked.
func helmBinary(t *testing.T) string {
	t.Helper()
	if h := os.Getenv("HELM"); h != "" {
		return h
	}
	if h, err := exec.LookPath("helm"); err == nil {
		return h
	}
	if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
		h := filepath.Join(strings.TrimSpace(string(out)), "bin", "helm")
		if _, err := os.Stat(h); err == nil {
			return h
		}
	}
	msg := "helm not found: run `make chart-check` (it installs helm with go install)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// helm runs helm with args and returns its stdout, failing t on an error.
func helm(t *testing.T, args ...string) string {
	t.Helper()
	out, err := helmRun(t, args...)
	if err != nil {
		t.Fatalf("helm %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func helmRun(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(helmBinary(t), args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = append(os.Environ(), "HELM_CACHE_HOME="+t.TempDir(), "HELM_CONFIG_HOME="+t.TempDir(), "HELM_DATA_HOME="+t.TempDir())
	if err := cmd.Run(); err != nil {
		return stdout.String(), errors.Join(err, errors.New(stderr.String()))
	}
	return stdout.String(), nil
}

// manifest is one rendered Kubernetes object, as generic YAML.
type manifest = map[string]any

// render runs helm template with --set values and returns the objects by kind.
func render(t *testing.T, sets ...string) map[string]manifest {
	t.Helper()
	args := []string{"template", "rel", chart}
	for _, s := range sets {
		args = append(args, "--set", s)
	}
	out := helm(t, args...)
	objs := map[string]manifest{}
	dec := yaml.NewDecoder(strings.NewReader(out))
	for {
		var m manifest
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("rendered YAML: %v\n%s", err, out)
		}
		if m == nil {
			continue
		}
		kind, _ := m["kind"].(string)
		if _, dup := objs[kind]; dup {
			t.Fatalf("two %s objects rendered", kind)
		}
		objs[kind] = m
	}
	return objs
}

// at walks a path of map keys and list indexes through v.
func at(v any, path ...any) any {
	for _, p := range path {
		switch k := p.(type) {
		case string:
			m, ok := v.(map[string]any)
			if !ok {
				return nil
			}
			v = m[k]
		case int:
			l, ok := v.([]any)
			if !ok || k >= len(l) {
				return nil
			}
			v = l[k]
		}
	}
	return v
}

func TestChartLints(t *testing.T) {
	helm(t, "lint", "--strict", chart)
}

// TestRenderedDeployment: the default values render a Deployment of two
// non-root replicas with a read-only root filesystem, resource requests,
// /healthz and /readyz probes on the serving port, and the config mounted
// from a ConfigMap that elevate itself accepts.
func TestRenderedDeployment(t *testing.T) {
	objs := render(t, "existingSecret=elevate-secrets")
	for _, kind := range []string{"Deployment", "ConfigMap", "Service", "PodDisruptionBudget"} {
		if objs[kind] == nil {
			t.Fatalf("no %s rendered", kind)
		}
	}
	if objs["ServiceMonitor"] != nil {
		t.Error("a ServiceMonitor rendered though metrics.serviceMonitor.enabled is false")
	}
	d := objs["Deployment"]
	if r, _ := at(d, "spec", "replicas").(int); r < 2 {
		t.Errorf("replicas = %v, want at least 2", at(d, "spec", "replicas"))
	}
	pod := at(d, "spec", "template", "spec")
	c := at(pod, "containers", 0)
	checks := []struct {
		what string
		got  any
		want any
	}{
		{"pod runAsNonRoot", at(pod, "securityContext", "runAsNonRoot"), true},
		{"pod runAsUser", at(pod, "securityContext", "runAsUser"), 65532},
		{"readOnlyRootFilesystem", at(c, "securityContext", "readOnlyRootFilesystem"), true},
		{"allowPrivilegeEscalation", at(c, "securityContext", "allowPrivilegeEscalation"), false},
		{"dropped capabilities", at(c, "securityContext", "capabilities", "drop", 0), "ALL"},
		{"liveness path", at(c, "livenessProbe", "httpGet", "path"), "/healthz"},
		{"liveness port", at(c, "livenessProbe", "httpGet", "port"), "http"},
		{"readiness path", at(c, "readinessProbe", "httpGet", "path"), "/readyz"},
		{"readiness port", at(c, "readinessProbe", "httpGet", "port"), "http"},
		{"port named http", at(c, "ports", 0, "name"), "http"},
		{"secrets from the existing Secret", at(c, "envFrom", 0, "secretRef", "name"), "elevate-secrets"},
		{"config mounted read-only", at(c, "volumeMounts", 0, "readOnly"), true},
	}
	for _, ck := range checks {
		if ck.got != ck.want {
			t.Errorf("%s = %v, want %v", ck.what, ck.got, ck.want)
		}
	}
	for _, r := range []string{"cpu", "memory"} {
		if at(c, "resources", "requests", r) == nil {
			t.Errorf("no %s request", r)
		}
	}
	if env := envOf(c); env["ELEVATE_REDIS_URL"] == "" || env["ELEVATE_HTTP_ADDR"] != ":8080" {
		t.Errorf("env = %v: want the Redis URL and the HTTP address", env)
	}
	if port := at(c, "ports", 0, "containerPort"); port != 8080 {
		t.Errorf("containerPort = %v, want 8080 (ELEVATE_HTTP_ADDR)", port)
	}
	cfgText, _ := at(objs["ConfigMap"], "data", "elevate.yaml").(string)
	if _, err := config.Parse("configmap/elevate.yaml", []byte(cfgText), time.Now()); err != nil {
		t.Errorf("the rendered config is not one elevate accepts: %v\n%s", err, cfgText)
	}
}

// envOf maps a container's plain env values by name (a value from a
// Secret shows as "secret:NAME/KEY").
func envOf(c any) map[string]string {
	out := map[string]string{}
	list, _ := at(c, "env").([]any)
	for i := range list {
		name, _ := at(list[i], "name").(string)
		if v, ok := at(list[i], "value").(string); ok {
			out[name] = v
		} else if s, ok := at(list[i], "valueFrom", "secretKeyRef", "name").(string); ok {
			key, _ := at(list[i], "valueFrom", "secretKeyRef", "key").(string)
			out[name] = "secret:" + s + "/" + key
		}
	}
	return out
}

// TestRenderedOptions: the optional parts follow their values.
func TestRenderedOptions(t *testing.T) {
	objs := render(t, "replicaCount=3", "metrics.separatePort=true", "metrics.serviceMonitor.enabled=true",
		"podDisruptionBudget.enabled=false", "redis.urlFromSecret.name=redis-auth", "redis.urlFromSecret.key=url", "redis.mode=cluster")
	d := objs["Deployment"]
	if r := at(d, "spec", "replicas"); r != 3 {
		t.Errorf("replicas = %v, want 3", r)
	}
	if objs["PodDisruptionBudget"] != nil {
		t.Error("a PodDisruptionBudget rendered though disabled")
	}
	sm := objs["ServiceMonitor"]
	if sm == nil || at(sm, "spec", "endpoints", 0, "port") != "metrics" || at(sm, "spec", "endpoints", 0, "path") != "/metrics" {
		t.Errorf("ServiceMonitor = %v, want /metrics on the metrics port", sm)
	}
	c := at(d, "spec", "template", "spec", "containers", 0)
	env := envOf(c)
	for k, want := range map[string]string{"ELEVATE_METRICS_ADDR": ":9090", "ELEVATE_REDIS_URL": "secret:redis-auth/url", "ELEVATE_REDIS_MODE": "cluster"} {
		if env[k] != want {
			t.Errorf("%s = %q, want %q", k, env[k], want)
		}
	}
	if at(c, "envFrom") != nil {
		t.Error("envFrom rendered without existingSecret")
	}
}

// TestChartRefusesOneReplica: replicaCount 1 is refused with a reason.
func TestChartRefusesOneReplica(t *testing.T) {
	_, err := helmRun(t, "template", "rel", chart, "--set", "replicaCount=1")
	if err == nil || !strings.Contains(err.Error(), "replicaCount must be at least 2") {
		t.Fatalf("replicaCount=1: %v, want a refusal", err)
	}
}
