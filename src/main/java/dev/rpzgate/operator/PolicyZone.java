package dev.rpzgate.operator;

import io.fabric8.crd.generator.annotation.AdditionalPrinterColumn;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.ShortNames;
import io.fabric8.kubernetes.model.annotation.Version;

/**
 * A response policy zone managed as a Kubernetes object: {@code kubectl apply} a PolicyZone and
 * every rpzgate replica that watches its namespace enforces it.
 */
@Group(PolicyZone.GROUP)
@Version(PolicyZone.VERSION)
@ShortNames("pz")
@AdditionalPrinterColumn(name = "Priority", type = AdditionalPrinterColumn.Type.INTEGER, jsonPath = ".spec.priority")
@AdditionalPrinterColumn(name = "Serial", type = AdditionalPrinterColumn.Type.INTEGER, jsonPath = ".status.serial")
@AdditionalPrinterColumn(name = "Rules", type = AdditionalPrinterColumn.Type.INTEGER, jsonPath = ".status.rules")
@AdditionalPrinterColumn(name = "Ready", type = AdditionalPrinterColumn.Type.STRING,
        jsonPath = ".status.conditions[?(@.type==\"Ready\")].status")
@AdditionalPrinterColumn(name = "Replicas", type = AdditionalPrinterColumn.Type.STRING, jsonPath = ".status.replicas")
@AdditionalPrinterColumn(name = "Age", type = AdditionalPrinterColumn.Type.DATE, jsonPath = ".metadata.creationTimestamp")
public class PolicyZone extends CustomResource<PolicyZoneSpec, PolicyZoneStatus> implements Namespaced {

    public static final String GROUP = "rpzgate.dev";
    public static final String VERSION = "v1alpha1";

    /** Returns {@code namespace/name}, how logs, events and replica reports name this resource. */
    public String id() {
        return getMetadata().getNamespace() + "/" + getMetadata().getName();
    }
}
