package dev.rpzgate.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import com.marcnuri.helm.Helm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The objects that {@code helm template} renders from the chart in {@code helm/rpzgate}, parsed
 * into maps. Rendering runs Helm's own Go code through helm-java, so templates, functions and the
 * values schema behave as with the {@code helm} command.
 */
final class RenderedChart {

    static final Path CHART = Path.of("helm", "rpzgate");
    static final String RELEASE = "dns";
    static final String NAMESPACE = "rpzgate-system";

    private final List<Map<String, Object>> objects;

    private RenderedChart(List<Map<String, Object>> objects) {
        this.objects = objects;
    }

    /** Renders the chart as release {@link #RELEASE} in {@link #NAMESPACE} with one values file. */
    static RenderedChart render(Path valuesFile) {
        assertThat(CHART.resolve("Chart.yaml")).as("chart under the working directory").exists();
        String manifest = new Helm(CHART).template()
                .withName(RELEASE)
                .withNamespace(NAMESPACE)
                .withValuesFile(valuesFile)
                .call();
        return new RenderedChart(parse(manifest));
    }

    /** Renders the chart with values given as YAML text. */
    static RenderedChart render(Path directory, String valuesYaml) throws Exception {
        Path values = Files.writeString(Files.createTempFile(directory, "values", ".yaml"), valuesYaml);
        return render(values);
    }

    private static List<Map<String, Object>> parse(String manifest) {
        Yaml yaml = new Yaml(new SafeConstructor(new LoaderOptions()));
        List<Map<String, Object>> parsed = new ArrayList<>();
        for (Object document : yaml.loadAll(manifest)) {
            if (document != null) {
                parsed.add(map(document));
            }
        }
        return parsed;
    }

    List<Map<String, Object>> objects() {
        return objects;
    }

    List<String> kindsAndNames() {
        return objects.stream().map(o -> o.get("kind") + "/" + name(o) + namespaceSuffix(o)).sorted().toList();
    }

    private static String namespaceSuffix(Map<String, Object> object) {
        Object namespace = map(object.get("metadata")).get("namespace");
        return namespace == null ? "" : " in " + namespace;
    }

    Optional<Map<String, Object>> find(String kind, String name, String namespace) {
        return objects.stream()
                .filter(o -> kind.equals(o.get("kind")) && name.equals(name(o)))
                .filter(o -> namespace == null || namespace.equals(map(o.get("metadata")).get("namespace")))
                .findFirst();
    }

    /** Returns the object of that kind and name in {@link #NAMESPACE}, failing the test when there is none. */
    Map<String, Object> get(String kind, String name) {
        return find(kind, name, NAMESPACE).orElseThrow(() -> new AssertionError(
                "no " + kind + " " + name + " in namespace " + NAMESPACE + " among " + kindsAndNames()));
    }

    /** Returns the object of that kind and name, cluster-scoped or in any namespace. */
    Map<String, Object> getAnywhere(String kind, String name) {
        return find(kind, name, null).orElseThrow(() -> new AssertionError(
                "no " + kind + " " + name + " among " + kindsAndNames()));
    }

    static String name(Map<String, Object> object) {
        return (String) map(object.get("metadata")).get("name");
    }

    /** Follows a path of map keys and list indexes, as {@code at(deployment, "spec", "template")}. */
    static Object at(Object node, Object... path) {
        Object current = node;
        for (Object step : path) {
            if (step instanceof Integer index) {
                assertThat(current).as("list at %s", step).isInstanceOf(List.class);
                current = ((List<?>) current).get(index);
            } else {
                assertThat(current).as("map at %s", step).isInstanceOf(Map.class);
                current = ((Map<?, ?>) current).get(step);
            }
        }
        return current;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object node) {
        assertThat(node).isInstanceOf(Map.class);
        return (Map<String, Object>) node;
    }

    @SuppressWarnings("unchecked")
    static List<Object> list(Object node) {
        assertThat(node).isInstanceOf(List.class);
        return (List<Object>) node;
    }
}
