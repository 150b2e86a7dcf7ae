package dev.rpzgate.packaging;

import static dev.rpzgate.packaging.RenderedChart.NAMESPACE;
import static dev.rpzgate.packaging.RenderedChart.at;
import static dev.rpzgate.packaging.RenderedChart.list;
import static dev.rpzgate.packaging.RenderedChart.map;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Renders the chart with {@code helm template}, once with only the required values and once with
 * every value changed, and checks the objects that Kubernetes would receive.
 */
class HelmChartTemplateTest {

    static final Path MINIMAL_VALUES = Path.of("src/test/resources/packaging/minimal-values.yaml");
    static final Path CUSTOM_VALUES = Path.of("src/test/resources/packaging/custom-values.yaml");
    private static final String FULLNAME = "dns-rpzgate";

    private static final List<Map<String, Object>> POLICY_ZONE_RULES = List.of(
            rule("rpzgate.dev", "policyzones", "get", "list", "watch"),
            rule("rpzgate.dev", "policyzones/status", "get", "update", "patch"),
            Map.of("apiGroups", List.of(""), "resources", List.of("configmaps", "secrets"),
                    "verbs", List.of("get", "list", "watch")),
            rule("", "events", "create", "patch"));

    private static final List<Map<String, Object>> LEASE_RULES = List.of(
            rule("coordination.k8s.io", "leases", "get", "list", "watch", "create", "update", "patch", "delete"));

    private static RenderedChart defaults;
    private static RenderedChart custom;

    @TempDir
    Path temp;

    @BeforeAll
    static void render() {
        defaults = RenderedChart.render(MINIMAL_VALUES);
        custom = RenderedChart.render(CUSTOM_VALUES);
    }

    private static Map<String, Object> rule(String apiGroup, String resource, String... verbs) {
        return Map.of("apiGroups", List.of(apiGroup), "resources", List.of(resource), "verbs", List.of(verbs));
    }

    private static Map<String, Object> container(RenderedChart chart) {
        Map<String, Object> deployment = chart.get("Deployment", FULLNAME);
        List<Object> containers = list(at(deployment, "spec", "template", "spec", "containers"));
        assertThat(containers).hasSize(1);
        return map(containers.get(0));
    }

    private static Map<String, Object> podSpec(RenderedChart chart) {
        return map(at(chart.get("Deployment", FULLNAME), "spec", "template", "spec"));
    }

    /** Environment variables of the container by name, each as its {@code value} or {@code valueFrom}. */
    private static Map<String, Object> env(RenderedChart chart) {
        Map<String, Object> byName = new LinkedHashMap<>();
        for (Object entry : list(container(chart).get("env"))) {
            Map<String, Object> variable = map(entry);
            Object previous = byName.put((String) variable.get("name"),
                    variable.containsKey("value") ? variable.get("value") : variable.get("valueFrom"));
            assertThat(previous).as("environment variable %s set twice", variable.get("name")).isNull();
        }
        return byName;
    }

    @Test
    void defaultsRenderExpectedObjects() {
        assertThat(defaults.kindsAndNames()).containsExactly(
                "ConfigMap/dns-rpzgate in rpzgate-system",
                "Deployment/dns-rpzgate in rpzgate-system",
                "PodDisruptionBudget/dns-rpzgate in rpzgate-system",
                "Role/dns-rpzgate in rpzgate-system",
                "Role/dns-rpzgate-leases in rpzgate-system",
                "RoleBinding/dns-rpzgate in rpzgate-system",
                "RoleBinding/dns-rpzgate-leases in rpzgate-system",
                "Service/dns-rpzgate in rpzgate-system",
                "ServiceAccount/dns-rpzgate in rpzgate-system");
    }

    @Test
    void deploymentRunsTwoReplicasWithoutDowntime() {
        Map<String, Object> spec = map(defaults.get("Deployment", FULLNAME).get("spec"));

        assertThat(spec.get("replicas")).isEqualTo(2);
        assertThat(at(spec, "strategy", "rollingUpdate", "maxUnavailable")).isEqualTo(0);
        assertThat(at(spec, "selector", "matchLabels")).isEqualTo(
                Map.of("app.kubernetes.io/name", "rpzgate", "app.kubernetes.io/instance", "dns"));
        assertThat(at(spec, "template", "metadata", "annotations", "checksum/config")).asString().hasSize(64);
        assertThat(container(defaults).get("image")).isEqualTo("rpzgate:0.1.0");
    }

    @Test
    void podRunsUnprivileged() {
        Map<String, Object> pod = podSpec(defaults);

        assertThat(at(pod, "securityContext", "runAsNonRoot")).isEqualTo(true);
        assertThat(at(pod, "securityContext", "runAsUser")).isEqualTo(1001);
        assertThat(at(pod, "securityContext", "seccompProfile", "type")).isEqualTo("RuntimeDefault");

        Map<String, Object> security = map(container(defaults).get("securityContext"));
        assertThat(security.get("readOnlyRootFilesystem")).isEqualTo(true);
        assertThat(security.get("allowPrivilegeEscalation")).isEqualTo(false);
        assertThat(security.get("runAsNonRoot")).isEqualTo(true);
        assertThat(at(security, "capabilities", "drop")).isEqualTo(List.of("ALL"));
        assertThat(at(security, "capabilities", "add")).isNull();
    }

    @Test
    void writableDirectoriesAreEmptyDirs() {
        Map<String, Object> mounts = new LinkedHashMap<>();
        for (Object mount : list(container(defaults).get("volumeMounts"))) {
            mounts.put((String) map(mount).get("name"), map(mount).get("mountPath"));
        }
        assertThat(mounts).containsExactly(
                Map.entry("config", "/work/config"),
                Map.entry("cache", "/var/cache/rpzgate"),
                Map.entry("tmp", "/tmp"));

        List<Object> volumes = list(podSpec(defaults).get("volumes"));
        assertThat(volumes).containsExactly(
                Map.of("name", "config", "configMap", Map.of("name", FULLNAME)),
                Map.of("name", "cache", "emptyDir", Map.of()),
                Map.of("name", "tmp", "emptyDir", Map.of()));
    }

    @Test
    void portsAndProbes() {
        Map<String, Object> container = container(defaults);

        assertThat(list(container.get("ports"))).containsExactly(
                Map.of("name", "dns", "containerPort", 5353, "protocol", "UDP"),
                Map.of("name", "dns-tcp", "containerPort", 5353, "protocol", "TCP"),
                Map.of("name", "management", "containerPort", 8080, "protocol", "TCP"));
        assertThat(at(container, "readinessProbe", "httpGet"))
                .isEqualTo(Map.of("path", "/q/health/ready", "port", "management"));
        assertThat(at(container, "livenessProbe", "httpGet"))
                .isEqualTo(Map.of("path", "/q/health/live", "port", "management"));
        assertThat(at(container, "readinessProbe", "periodSeconds")).isEqualTo(5);
        assertThat(at(container, "resources", "limits", "memory")).isEqualTo("512Mi");
    }

    @Test
    void configFileInWorkingDirectory() {
        // Quarkus reads config/application.yaml relative to the working directory.
        assertThat(container(defaults).get("workingDir")).isEqualTo("/work");
        assertThat(container(defaults).get("volumeMounts")).asList()
                .contains(Map.of("name", "config", "mountPath", "/work/config", "readOnly", true));
    }

    @Test
    void environmentNamesPodAndNamespaces() {
        assertThat(env(defaults)).containsExactly(
                Map.entry("POD_NAME", Map.of("fieldRef", Map.of("fieldPath", "metadata.name"))),
                Map.entry("POD_NAMESPACE", Map.of("fieldRef", Map.of("fieldPath", "metadata.namespace"))),
                Map.entry("QUARKUS_OPERATOR_SDK_CONTROLLERS_POLICYZONE_NAMESPACES", NAMESPACE));
    }

    @Test
    void podsSpreadAcrossZonesAndNodes() {
        Map<String, Object> pod = podSpec(defaults);
        Map<String, String> selector = Map.of("app.kubernetes.io/name", "rpzgate", "app.kubernetes.io/instance", "dns");

        assertThat(list(pod.get("topologySpreadConstraints"))).containsExactly(Map.of(
                "maxSkew", 1,
                "topologyKey", "topology.kubernetes.io/zone",
                "whenUnsatisfiable", "ScheduleAnyway",
                "labelSelector", Map.of("matchLabels", selector)));
        assertThat(list(at(pod, "affinity", "podAntiAffinity", "preferredDuringSchedulingIgnoredDuringExecution")))
                .containsExactly(Map.of("weight", 100, "podAffinityTerm",
                        Map.of("topologyKey", "kubernetes.io/hostname", "labelSelector", Map.of("matchLabels", selector))));
        assertThat(pod.get("dnsPolicy")).isEqualTo("Default");

        Map<String, Object> budget = defaults.get("PodDisruptionBudget", FULLNAME);
        assertThat(at(budget, "spec", "maxUnavailable")).isEqualTo(1);
        assertThat(at(budget, "spec", "selector", "matchLabels")).isEqualTo(selector);
    }

    @Test
    void serviceMapsPort53ToListeners() {
        Map<String, Object> spec = map(defaults.get("Service", FULLNAME).get("spec"));

        assertThat(spec.get("type")).isEqualTo("ClusterIP");
        assertThat(spec).doesNotContainKey("clusterIP");
        assertThat(list(spec.get("ports"))).containsExactly(
                Map.of("name", "dns", "port", 53, "targetPort", "dns", "protocol", "UDP"),
                Map.of("name", "dns-tcp", "port", 53, "targetPort", "dns-tcp", "protocol", "TCP"));
    }

    @Test
    void rbacIsNamespacedByDefault() {
        Map<String, Object> role = defaults.get("Role", FULLNAME);
        assertThat(role.get("rules")).isEqualTo(POLICY_ZONE_RULES);

        Map<String, Object> leases = defaults.get("Role", FULLNAME + "-leases");
        assertThat(leases.get("rules")).isEqualTo(LEASE_RULES);

        Map<String, Object> serviceAccount = Map.of("kind", "ServiceAccount", "name", FULLNAME, "namespace", NAMESPACE);
        for (String binding : List.of(FULLNAME, FULLNAME + "-leases")) {
            Map<String, Object> roleBinding = defaults.get("RoleBinding", binding);
            assertThat(roleBinding.get("subjects")).as(binding).isEqualTo(List.of(serviceAccount));
            assertThat(roleBinding.get("roleRef")).as(binding)
                    .isEqualTo(Map.of("apiGroup", "rbac.authorization.k8s.io", "kind", "Role", "name", binding));
        }
        assertThat(defaults.find("ClusterRole", FULLNAME + "-" + NAMESPACE, null)).isEmpty();
    }

    @Test
    void rbacCoversEveryWatchedNamespace() {
        for (String namespace : List.of(NAMESPACE, "team-a")) {
            Map<String, Object> role = custom.find("Role", FULLNAME, namespace)
                    .orElseThrow(() -> new AssertionError("no Role in " + namespace + ": " + custom.kindsAndNames()));
            assertThat(role.get("rules")).as(namespace).isEqualTo(POLICY_ZONE_RULES);
            Map<String, Object> binding = custom.find("RoleBinding", FULLNAME, namespace).orElseThrow();
            assertThat(at(binding, "subjects", 0, "namespace")).as(namespace).isEqualTo(NAMESPACE);
        }
        assertThat(custom.find("Role", FULLNAME + "-leases", "team-a")).isEmpty();
        assertThat(env(custom).get("QUARKUS_OPERATOR_SDK_CONTROLLERS_POLICYZONE_NAMESPACES"))
                .isEqualTo(NAMESPACE + ",team-a");
    }

    @Test
    void watchAllNamespacesUsesClusterRole() throws Exception {
        RenderedChart chart = RenderedChart.render(temp, "upstreams: [192.0.2.53]\nwatchAllNamespaces: true\n");
        String clusterName = FULLNAME + "-" + NAMESPACE;

        assertThat(chart.getAnywhere("ClusterRole", clusterName).get("rules")).isEqualTo(POLICY_ZONE_RULES);
        Map<String, Object> binding = chart.getAnywhere("ClusterRoleBinding", clusterName);
        assertThat(binding.get("roleRef"))
                .isEqualTo(Map.of("apiGroup", "rbac.authorization.k8s.io", "kind", "ClusterRole", "name", clusterName));
        assertThat(binding.get("subjects"))
                .isEqualTo(List.of(Map.of("kind", "ServiceAccount", "name", FULLNAME, "namespace", NAMESPACE)));

        assertThat(chart.find("Role", FULLNAME, null)).isEmpty();
        assertThat(chart.get("Role", FULLNAME + "-leases").get("rules")).isEqualTo(LEASE_RULES);
        assertThat(env(chart).get("QUARKUS_OPERATOR_SDK_CONTROLLERS_POLICYZONE_NAMESPACES"))
                .isEqualTo("JOSDK_ALL_NAMESPACES");
    }

    @Test
    void customValuesReachDeployment() {
        Map<String, Object> container = container(custom);
        Map<String, Object> pod = podSpec(custom);

        assertThat(at(custom.get("Deployment", FULLNAME), "spec", "replicas")).isEqualTo(3);
        assertThat(container.get("image")).isEqualTo("registry.example/rpzgate:0.2.0");
        assertThat(list(container.get("ports"))).extracting(port -> map(port).get("containerPort"))
                .containsExactly(5300, 5300, 9000);
        assertThat(env(custom).get("RPZ_TSIG_SECRET"))
                .isEqualTo(Map.of("secretKeyRef", Map.of("name", "rpz-tsig", "key", "secret")));
        assertThat(pod).doesNotContainKey("topologySpreadConstraints");
        assertThat(at(pod, "affinity", "podAntiAffinity", "requiredDuringSchedulingIgnoredDuringExecution", 0,
                "topologyKey")).isEqualTo("kubernetes.io/hostname");
        assertThat(at(custom.get("Service", FULLNAME), "spec", "clusterIP")).isEqualTo("10.100.0.53");
    }

    @Test
    void configChangeChangesPodChecksum() {
        Object defaultChecksum = at(defaults.get("Deployment", FULLNAME),
                "spec", "template", "metadata", "annotations", "checksum/config");
        Object customChecksum = at(custom.get("Deployment", FULLNAME),
                "spec", "template", "metadata", "annotations", "checksum/config");

        assertThat(customChecksum).isNotEqualTo(defaultChecksum);
    }

    @Test
    void serviceMonitorOnlyWhenEnabled() {
        assertThat(defaults.find("ServiceMonitor", FULLNAME, null)).isEmpty();
        assertThat(defaults.find("Service", FULLNAME + "-metrics", null)).isEmpty();

        Map<String, Object> monitor = custom.get("ServiceMonitor", FULLNAME);
        assertThat(at(monitor, "metadata", "labels", "release")).isEqualTo("prometheus");
        assertThat(at(monitor, "spec", "endpoints")).isEqualTo(List.of(
                Map.of("port", "management", "path", "/q/metrics", "interval", "30s", "scrapeTimeout", "10s")));
        Map<String, Object> metrics = custom.get("Service", FULLNAME + "-metrics");
        assertThat(at(metrics, "spec", "clusterIP")).isEqualTo("None");
        assertThat(at(metrics, "spec", "ports", 0, "port")).isEqualTo(9000);
        // The ServiceMonitor must select the metrics Service and not the DNS Service.
        Map<String, Object> selector = map(at(monitor, "spec", "selector", "matchLabels"));
        assertThat(map(at(metrics, "metadata", "labels"))).containsAllEntriesOf(selector);
        assertThat(map(at(custom.get("Service", FULLNAME), "metadata", "labels")))
                .doesNotContainKey("app.kubernetes.io/component");
    }

    @Test
    void missingUpstreamsFailsInstall() throws Exception {
        assertThatThrownBy(() -> RenderedChart.render(temp, "replicaCount: 2\n"))
                .hasMessageContaining("upstreams is required");
    }

    @Test
    void schemaRejectsLiteralTsigSecret() throws Exception {
        String values = """
                upstreams: [192.0.2.53]
                policy:
                  zones:
                    - origin: rpz.example
                      transfer: 192.0.2.60
                      tsig-key-name: key
                      tsig-secret: c2VjcmV0
                """;
        assertThatThrownBy(() -> RenderedChart.render(temp, values))
                .hasMessageContaining("policy.zones.0.tsig-secret: Does not match pattern");
    }

    @Test
    void schemaRejectsZoneWithTwoSources() throws Exception {
        String values = """
                upstreams: [192.0.2.53]
                policy:
                  zones:
                    - file: /zones/a.rpz
                      url: https://feeds.example/a.rpz
                """;
        assertThatThrownBy(() -> RenderedChart.render(temp, values))
                .hasMessageContaining("policy.zones.0: Must validate one and only one schema (oneOf)");
    }

    @Test
    void schemaRequiresOriginForInlineRules() throws Exception {
        String values = """
                upstreams: [192.0.2.53]
                policy:
                  zones:
                    - rules: malware.example
                """;
        assertThatThrownBy(() -> RenderedChart.render(temp, values))
                .hasMessageContaining("policy.zones.0: origin is required");
    }

    @Test
    void schemaRejectsUnknownZoneKey() throws Exception {
        String values = """
                upstreams: [192.0.2.53]
                policy:
                  zones:
                    - file: /zones/a.rpz
                      maxPolicyTtl: 10s
                """;
        assertThatThrownBy(() -> RenderedChart.render(temp, values))
                .hasMessageContaining("maxPolicyTtl");
    }

    @Test
    void schemaAcceptsEncryptedUpstreams() throws Exception {
        RenderedChart chart = RenderedChart.render(temp, """
                upstreams:
                  - tls://192.0.2.53#dns.example
                  - tls://[2001:db8::53]:8853
                  - https://192.0.2.54:8443/dns-query#doh.example
                """);

        assertThat(chart.get("ConfigMap", FULLNAME)).isNotNull();
    }

    @Test
    void schemaRejectsHostNameUpstream() throws Exception {
        assertThatThrownBy(() -> RenderedChart.render(temp, "upstreams: [dns.example]\n"))
                .hasMessageContaining("upstreams.0: Does not match pattern");
    }
}
