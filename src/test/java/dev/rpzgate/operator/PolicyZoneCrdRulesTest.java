package dev.rpzgate.operator;

import dev.cel.common.CelAbstractSyntaxTree;
import dev.cel.common.CelValidationException;
import dev.cel.common.types.CelType;
import dev.cel.common.types.ListType;
import dev.cel.common.types.MapType;
import dev.cel.common.types.SimpleType;
import dev.cel.compiler.CelCompiler;
import dev.cel.compiler.CelCompilerFactory;
import dev.cel.parser.CelStandardMacro;
import dev.cel.runtime.CelEvaluationException;
import dev.cel.runtime.CelRuntime;
import dev.cel.runtime.CelRuntimeFactory;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.api.model.apiextensions.v1.ValidationRule;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Evaluates the {@code x-kubernetes-validations} rules of the shipped PolicyZone CRD with Google's
 * CEL for Java, because the Fabric8 mock API server of the other operator tests ignores them.
 *
 * <p>Each rule is compiled as the API server compiles it: with {@code self} bound to the value at
 * the rule's level of the schema (a map for an object, a list for an array), and evaluated only
 * where that value is present. Kubernetes adds library functions to standard CEL (such as
 * {@code isURL}, {@code isCIDR}, {@code quantity} and the string extensions); CEL for Java 0.14.0
 * has none of them, so a rule that starts using one fails to compile here and this test must then
 * declare the function. The rules in the CRD today use only standard CEL.
 *
 * <p>The API server also estimates each rule's cost on the largest object the schema allows, and
 * rejects a CRD whose estimate exceeds its budget. CEL for Java has no such estimate, so this test
 * checks only the usual cause: a rule over a list whose items or length the schema does not bound.
 */
class PolicyZoneCrdRulesTest {

    private static final Path SHIPPED_CRD = Path.of("k8s/crd/policyzones.rpzgate.dev-v1.yml");

    private static final String ONE_SOURCE = "set exactly one of spec.source.rules, spec.source.configMapRef, "
            + "spec.source.url or spec.source.transfer";
    private static final String TRANSFER_ORIGIN = "spec.origin is required for a transfer source, which requests the "
            + "zone from the primaries by name";
    private static final String DRY_RUN_POLICY = "spec.dryRun replaces spec.policy; remove spec.policy or set it to "
            + "given";
    private static final String TRANSFER_FORMAT = "spec.format: a zone transfer carries an RPZ zone; remove format "
            + "or set it to rpz";
    private static final String LIST_ONLY = "spec.action and spec.subdomains apply to the hosts and domains formats "
            + "only";
    private static final String SOME_PRIMARY = "list at least one primary";
    private static final String PRIMARY_FORM = "every primary must be IPv4[:port] or [IPv6]:port";
    private static final String CIDR_FORM = "every entry must be an IP address or a CIDR such as 10.0.0.0/8";

    private static final KubernetesSerialization YAML = new KubernetesSerialization();
    private static final CelRuntime RUNTIME = CelRuntimeFactory.standardCelRuntimeBuilder().build();

    /** A compiled rule and where in the spec it applies. */
    record Rule(List<String> path, JSONSchemaProps schema, String message, String expression,
                CelRuntime.Program program) {}

    private static List<Rule> rules;

    @BeforeAll
    static void compileShippedRules() throws IOException {
        CustomResourceDefinition crd;
        try (InputStream in = Files.newInputStream(SHIPPED_CRD)) {
            crd = YAML.unmarshal(in, CustomResourceDefinition.class);
        }
        JSONSchemaProps spec = crd.getSpec().getVersions().get(0).getSchema().getOpenAPIV3Schema()
                .getProperties().get("spec");
        rules = new ArrayList<>();
        collect(spec, new ArrayList<>(), rules);
    }

    /** Walks the schema and compiles every rule with {@code self} typed as the schema at that level. */
    private static void collect(JSONSchemaProps schema, List<String> path, List<Rule> into) {
        for (ValidationRule rule : schema.getXKubernetesValidations()) {
            into.add(new Rule(List.copyOf(path), schema, rule.getMessage(), rule.getRule(),
                    compile(rule.getRule(), celType(schema), path)));
        }
        if (schema.getProperties() != null) {
            schema.getProperties().forEach((name, property) -> {
                List<String> child = new ArrayList<>(path);
                child.add(name);
                collect(property, child, into);
            });
        }
        if (schema.getItems() != null && schema.getItems().getSchema() != null
                && !schema.getItems().getSchema().getXKubernetesValidations().isEmpty()) {
            throw new AssertionError("spec." + String.join(".", path) + ": rules on array items are not walked by "
                    + "this test yet; extend evaluate() to apply them to every element");
        }
    }

    private static CelType celType(JSONSchemaProps schema) {
        return switch (schema.getType()) {
            case "object" -> MapType.create(SimpleType.STRING, SimpleType.DYN);
            case "array" -> ListType.create(schema.getItems().getSchema().getType().equals("string")
                    ? SimpleType.STRING : SimpleType.DYN);
            case "string" -> SimpleType.STRING;
            case "integer" -> SimpleType.INT;
            case "boolean" -> SimpleType.BOOL;
            default -> SimpleType.DYN;
        };
    }

    private static CelRuntime.Program compile(String expression, CelType self, List<String> path) {
        CelCompiler compiler = CelCompilerFactory.standardCelCompilerBuilder()
                .setStandardMacros(CelStandardMacro.STANDARD_MACROS)
                .addVar("self", self)
                .setResultType(SimpleType.BOOL)
                .build();
        try {
            CelAbstractSyntaxTree ast = compiler.compile(expression).getAst();
            return RUNTIME.createProgram(ast);
        } catch (CelValidationException e) {
            throw new AssertionError("spec." + String.join(".", path) + ": rule " + expression + " does not compile "
                    + "in standard CEL; if it calls a function of the Kubernetes CEL libraries, declare that "
                    + "function here: " + e.getMessage(), e);
        } catch (CelEvaluationException e) {
            throw new AssertionError("spec." + String.join(".", path) + ": rule " + expression
                    + " cannot be planned: " + e.getMessage(), e);
        }
    }

    /**
     * Returns the messages of the rules that reject {@code spec}. A rule applies where the value at
     * its path is present, as in the API server. A rule that fails with an error, rather than
     * returning false, fails the test, because the API server would report the error, not the message.
     */
    private static Set<String> rejections(Map<String, Object> spec) {
        Set<String> messages = new LinkedHashSet<>();
        for (Rule rule : rules) {
            Object self = at(spec, rule.path());
            if (self == null) {
                continue;
            }
            Object result;
            try {
                result = rule.program().eval(Map.of("self", self));
            } catch (CelEvaluationException e) {
                throw new AssertionError("rule " + rule.expression() + " fails on " + self + ": " + e.getMessage(), e);
            }
            if (!Boolean.TRUE.equals(result)) {
                messages.add(rule.message());
            }
        }
        return messages;
    }

    @SuppressWarnings("unchecked")
    private static Object at(Map<String, Object> spec, List<String> path) {
        Object value = spec;
        for (String name : path) {
            if (!(value instanceof Map<?, ?> map)) {
                return null;
            }
            value = ((Map<String, Object>) map).get(name);
        }
        return value;
    }

    /** Parses a spec written in YAML into the maps, lists and CEL value types (long, not int) the API server gives CEL. */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> spec(String yaml) {
        // Under a key, because Fabric8 reads text that starts with a brace as JSON.
        Map<String, Object> parsed = YAML.unmarshal("spec: " + yaml, Map.class);
        return (Map<String, Object>) celValue(parsed.get("spec"));
    }

    private static Object celValue(Object value) {
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> converted = new LinkedHashMap<>();
            map.forEach((key, entry) -> converted.put((String) key, celValue(entry)));
            return converted;
        }
        if (value instanceof List<?> list) {
            return list.stream().map(PolicyZoneCrdRulesTest::celValue).toList();
        }
        if (value instanceof Integer || value instanceof Short) {
            return ((Number) value).longValue();
        }
        if (value instanceof Float) {
            return ((Float) value).doubleValue();
        }
        return value;
    }

    @Test
    void shippedCrdHasTheExpectedRules() {
        assertThat(rules).extracting(Rule::message).containsExactlyInAnyOrder(ONE_SOURCE, TRANSFER_ORIGIN,
                DRY_RUN_POLICY, TRANSFER_FORMAT, LIST_ONLY, SOME_PRIMARY, PRIMARY_FORM, CIDR_FORM);
    }

    @Test
    void listRulesHaveBoundedInput() {
        for (Rule rule : rules) {
            JSONSchemaProps schema = rule.schema();
            if (!"array".equals(schema.getType())) {
                continue;
            }
            String where = "spec." + String.join(".", rule.path());
            assertThat(schema.getMaxItems()).as("maxItems of %s, which rule %s reads", where, rule.expression())
                    .isNotNull();
            JSONSchemaProps items = schema.getItems().getSchema();
            if ("string".equals(items.getType())) {
                assertThat(items.getMaxLength()).as("maxLength of the items of %s", where).isNotNull();
            }
        }
    }

    @Test
    void everyExampleSatisfiesEveryRule() throws IOException {
        int zones = 0;
        try (var files = Files.list(Path.of("k8s/examples"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
                for (GenericKubernetesResource resource : objectsIn(file)) {
                    if (!"PolicyZone".equals(resource.getKind())) {
                        continue;
                    }
                    @SuppressWarnings("unchecked")
                    Map<String, Object> spec = (Map<String, Object>) celValue(resource.getAdditionalProperties()
                            .get("spec"));
                    assertThat(rejections(spec)).as("%s rejected by", file).isEmpty();
                    zones++;
                }
            }
        }
        assertThat(zones).as("PolicyZones in k8s/examples").isEqualTo(4);
    }

    /** Returns the objects of a multi-document YAML file. */
    private static List<GenericKubernetesResource> objectsIn(Path file) throws IOException {
        List<GenericKubernetesResource> objects = new ArrayList<>();
        for (String document : Files.readString(file).split("(?m)^---\\s*$")) {
            if (!document.isBlank()) {
                objects.add(YAML.unmarshal(document, GenericKubernetesResource.class));
            }
        }
        return objects;
    }

    @Test
    void validSpecsAreAccepted() {
        List<String> valid = List.of(
                "{source: {rules: 'a.test CNAME .'}}",
                "{dryRun: true, policy: given, source: {rules: 'a.test CNAME .'}}",
                "{dryRun: true, policy: disabled, source: {rules: 'a.test CNAME .'}}",
                "{dryRun: false, policy: nxdomain, source: {rules: 'a.test CNAME .'}}",
                "{format: hosts, action: drop, subdomains: true, source: {configMapRef: {name: lists, key: hosts}}}",
                "{format: domains, subdomains: false, source: {url: {url: 'https://feed.test/list'}}}",
                "{origin: rpz.test, format: rpz, source: {transfer: {primaries: ['192.0.2.1', '192.0.2.2:5300', "
                        + "'[2001:db8::53]:53']}}}",
                "{clientCIDRs: ['10.0.0.0/8', '192.0.2.7', '2001:db8::/32', '::1'], source: {rules: ''}}",
                "{clientCIDRs: [], source: {rules: 'a.test CNAME .'}}");
        for (String yaml : valid) {
            assertThat(rejections(spec(yaml))).as("rules that reject %s", yaml).isEmpty();
        }
    }

    @Test
    void noSourceIsRejected() {
        assertThat(rejections(spec("{source: {}}"))).containsExactly(ONE_SOURCE);
    }

    @Test
    void twoSourcesAreRejected() {
        assertThat(rejections(spec("{source: {rules: 'a.test CNAME .', url: {url: 'https://feed.test/'}}}")))
                .containsExactly(ONE_SOURCE);
        assertThat(rejections(spec("{source: {configMapRef: {name: lists}, rules: ''}}")))
                .as("an empty rules text still counts as a source")
                .containsExactly(ONE_SOURCE);
    }

    @Test
    void transferWithoutOriginIsRejected() {
        assertThat(rejections(spec("{source: {transfer: {primaries: ['192.0.2.1']}}}")))
                .containsExactly(TRANSFER_ORIGIN);
    }

    @Test
    void dryRunWithPolicyIsRejected() {
        assertThat(rejections(spec("{dryRun: true, policy: nxdomain, source: {rules: 'a.test CNAME .'}}")))
                .containsExactly(DRY_RUN_POLICY);
        assertThat(rejections(spec("{dryRun: true, policy: passthru, source: {rules: 'a.test CNAME .'}}")))
                .containsExactly(DRY_RUN_POLICY);
    }

    @Test
    void transferWithListFormatIsRejected() {
        assertThat(rejections(spec("{origin: rpz.test, format: hosts, source: {transfer: {primaries: ['192.0.2.1']}}}")))
                .containsExactly(TRANSFER_FORMAT);
    }

    @Test
    void actionOrSubdomainsWithRpzFormatAreRejected() {
        assertThat(rejections(spec("{action: drop, source: {rules: 'a.test CNAME .'}}")))
                .as("format defaults to rpz").containsExactly(LIST_ONLY);
        assertThat(rejections(spec("{format: rpz, subdomains: true, source: {rules: 'a.test CNAME .'}}")))
                .containsExactly(LIST_ONLY);
    }

    @Test
    void emptyPrimariesAreRejected() {
        assertThat(rejections(spec("{origin: rpz.test, source: {transfer: {primaries: []}}}")))
                .containsExactly(SOME_PRIMARY);
    }

    @Test
    void primaryHostNameIsRejected() {
        assertThat(rejections(spec("{origin: rpz.test, source: {transfer: {primaries: ['ns1.provider.test']}}}")))
                .containsExactly(PRIMARY_FORM);
        assertThat(rejections(spec("{origin: rpz.test, source: {transfer: {primaries: ['2001:db8::53']}}}")))
                .as("an IPv6 primary needs brackets").containsExactly(PRIMARY_FORM);
        assertThat(rejections(spec("{origin: rpz.test, source: {transfer: {primaries: ['[2001:db8::53]:53x']}}}")))
                .containsExactly(PRIMARY_FORM);
    }

    @Test
    void clientCidrNameIsRejected() {
        assertThat(rejections(spec("{clientCIDRs: ['10.0.0.0/8', 'lab.test'], source: {rules: ''}}")))
                .containsExactly(CIDR_FORM);
        assertThat(rejections(spec("{clientCIDRs: ['10.0.0.0/1234'], source: {rules: ''}}")))
                .containsExactly(CIDR_FORM);
    }

    @Test
    void everyRuleHasARejectedCase() {
        List<String> invalid = List.of(
                "{source: {}}",
                "{source: {transfer: {primaries: ['192.0.2.1']}}}",
                "{dryRun: true, policy: nxdomain, source: {rules: ''}}",
                "{origin: rpz.test, format: hosts, source: {transfer: {primaries: ['192.0.2.1']}}}",
                "{action: drop, source: {rules: ''}}",
                "{origin: rpz.test, source: {transfer: {primaries: []}}}",
                "{origin: rpz.test, source: {transfer: {primaries: ['ns1.provider.test']}}}",
                "{clientCIDRs: ['lab.test'], source: {rules: ''}}");
        Set<String> rejectedBy = new LinkedHashSet<>();
        for (String yaml : invalid) {
            rejectedBy.addAll(rejections(spec(yaml)));
        }
        assertThat(rejectedBy).as("a rule added to the CRD needs a rejected case here")
                .containsExactlyInAnyOrderElementsOf(rules.stream().map(Rule::message).toList());
    }
}
