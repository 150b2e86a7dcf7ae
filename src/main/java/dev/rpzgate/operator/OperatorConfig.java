package dev.rpzgate.operator;

import io.smallrye.config.ConfigMapping;

import java.util.Optional;

/** Settings of the PolicyZone operator, {@code rpzgate.operator.*}; docs/operator.md repeats them. */
@ConfigMapping(prefix = "rpzgate.operator")
public interface OperatorConfig {

    /**
     * Whether rpzgate watches PolicyZone resources. When unset, the operator is on inside a pod
     * ({@code KUBERNETES_SERVICE_HOST} and a service account token) and when
     * {@code quarkus.kubernetes-client.api-server-url} or {@code KUBECONFIG} names an API server,
     * and off otherwise.
     */
    Optional<Boolean> enabled();
}
