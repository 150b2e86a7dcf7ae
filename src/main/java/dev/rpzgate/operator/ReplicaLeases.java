package dev.rpzgate.operator;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.NonDeletingOperation;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The replica reports: every replica keeps a Lease {@code rpzgate-replica-POD} in its namespace
 * whose annotation {@value #ENFORCED_ANNOTATION} maps each PolicyZone ({@code namespace/name}) to
 * the generation the replica enforces. The leader reads them to count replicas in sync.
 */
final class ReplicaLeases {

    private static final Logger LOG = Logger.getLogger(ReplicaLeases.class);

    static final String PREFIX = "rpzgate-replica-";
    static final String ENFORCED_ANNOTATION = "rpzgate.dev/enforced";
    static final Map<String, String> LABELS = Map.of("app.kubernetes.io/name", "rpzgate", "rpzgate.dev/role", "replica");
    /** Time between two renewals of a replica's Lease. */
    static final Duration RENEW_INTERVAL = Duration.ofSeconds(10);
    /** A Lease not renewed for this long belongs to a replica that is gone. */
    static final Duration EXPIRY = Duration.ofSeconds(30);

    private static final ObjectMapper JSON = new ObjectMapper();

    /** One replica's report. */
    record Report(String pod, Instant renewed, Map<String, Long> enforced) {}

    private final KubernetesClient client;
    private final String namespace;
    private final String pod;

    ReplicaLeases(KubernetesClient client, String namespace, String pod) {
        this.client = client;
        this.namespace = namespace;
        this.pod = pod;
    }

    /** Creates or renews this replica's Lease with what it enforces now. */
    void renew(Map<String, Long> enforced) throws KubernetesClientException {
        String annotation;
        try {
            annotation = JSON.writeValueAsString(new TreeMap<>(enforced));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the enforced generations as JSON", e);
        }
        ZonedDateTime now = ZonedDateTime.now(ZoneOffset.UTC);
        Lease lease = new LeaseBuilder()
                .withNewMetadata()
                .withName(PREFIX + pod)
                .withNamespace(namespace)
                .withLabels(LABELS)
                .withAnnotations(Map.of(ENFORCED_ANNOTATION, annotation))
                .endMetadata()
                .withNewSpec()
                .withHolderIdentity(pod)
                .withLeaseDurationSeconds((int) EXPIRY.toSeconds())
                .withRenewTime(now)
                .endSpec()
                .build();
        // Replacing the whole object keeps the report exact; no other writer touches this replica's Lease.
        client.leases().inNamespace(namespace).resource(lease).createOr(NonDeletingOperation::update);
    }

    /** Deletes this replica's Lease, so the leader stops counting it at once. */
    void delete() {
        try {
            client.leases().inNamespace(namespace).withName(PREFIX + pod).delete();
        } catch (KubernetesClientException e) {
            LOG.debugf("cannot delete Lease %s/%s%s: %s", namespace, PREFIX, pod, e.getMessage());
        }
    }

    /** Returns the reports renewed within {@link #EXPIRY} of {@code now}. */
    List<Report> live(Instant now) {
        List<Report> reports = new ArrayList<>();
        for (Lease lease : client.leases().inNamespace(namespace).withLabels(LABELS).list().getItems()) {
            if (lease.getSpec() == null || lease.getSpec().getRenewTime() == null) {
                continue;
            }
            Instant renewed = lease.getSpec().getRenewTime().toInstant();
            if (renewed.plus(EXPIRY).isBefore(now)) {
                continue;
            }
            reports.add(new Report(lease.getSpec().getHolderIdentity(), renewed, enforced(lease)));
        }
        return reports;
    }

    private static Map<String, Long> enforced(Lease lease) {
        Map<String, String> annotations = lease.getMetadata().getAnnotations();
        String text = annotations == null ? null : annotations.get(ENFORCED_ANNOTATION);
        if (text == null) {
            return Map.of();
        }
        try {
            return JSON.readValue(text, new TypeReference<Map<String, Long>>() { });
        } catch (JsonProcessingException e) {
            LOG.warnf("Lease %s: annotation %s is not a JSON map of generations; the replica counts as enforcing "
                    + "nothing: %s", lease.getMetadata().getName(), ENFORCED_ANNOTATION, e.getOriginalMessage());
            return Map.of();
        }
    }
}
