package dev.rpzgate.operator;

import dev.rpzgate.config.RpzgateConfig;
import dev.rpzgate.policy.SkippedRecord;
import dev.rpzgate.source.PolicyReloader;
import dev.rpzgate.source.PolicyReloader.RuntimeZoneStatus;
import dev.rpzgate.source.RuntimeZoneKey;
import dev.rpzgate.source.ZoneLoadException;
import dev.rpzgate.source.ZoneSpec;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElector;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Applies PolicyZones to this replica's policy and, while this replica holds the leader Lease,
 * writes their status and events. Plain Java with its collaborators passed in, so that a test can
 * run a second replica beside the application.
 *
 * <p>Every replica enforces every PolicyZone it watches; the leader Lease only decides who
 * writes, because status written by several replicas would flap between their views. Status and
 * replica reports are written on one daemon thread, {@code rpzgate-policyzone-status}, never on
 * the reconciler's threads, so a slow API server delays status, not enforcement.
 */
public final class PolicyZoneController {

    private static final Logger LOG = Logger.getLogger(PolicyZoneController.class);

    /** Name of the Lease that elects the replica that writes status and events. */
    public static final String LEADER_LEASE = "rpzgate-leader";
    private static final int REPORTED_SKIPPED_RECORDS = 5;
    private static final Duration DELETED_UID_RETENTION = Duration.ofMinutes(10);
    private static final DateTimeFormatter RFC3339 = DateTimeFormatter.ISO_INSTANT;

    private final PolicyReloader reloader;
    private final KubernetesClient client;
    private final RpzgateConfig.Policy policy;
    private final String namespace;
    private final String pod;
    private final ReplicaLeases leases;
    private final Runnable afterChange;

    /** The latest version of each PolicyZone seen, by {@code namespace/name}. */
    private final Map<String, PolicyZone> resources = new ConcurrentHashMap<>();
    /** The last failure of each PolicyZone's current generation, by {@code namespace/name}. */
    private final Map<String, Failure> failures = new ConcurrentHashMap<>();
    /** Uids of deleted PolicyZones, so a reconcile that was queued before the deletion cannot bring one back. */
    private final Set<String> deletedUids = ConcurrentHashMap.newKeySet();
    /** The failure each PolicyZone last got an event for, so one failure gets one event. */
    private final Map<String, Failure> announced = new ConcurrentHashMap<>();

    private ScheduledExecutorService writer;
    private volatile boolean leader;
    private CompletableFuture<?> election;

    /** A generation that cannot be enforced, with the condition reason and a message naming the field or line. */
    record Failure(long generation, String reason, String message) {}

    /**
     * @param namespace the replica's namespace, where its Lease and the leader Lease live
     * @param pod the replica's pod name
     * @param afterChange runs after the policy changed, to pass a new NOTIFY dispatcher to the DNS server
     */
    public PolicyZoneController(PolicyReloader reloader, KubernetesClient client, RpzgateConfig.Policy policy,
                                String namespace, String pod, Runnable afterChange) {
        this.reloader = reloader;
        this.client = client;
        this.policy = policy;
        this.namespace = namespace;
        this.pod = pod;
        this.leases = new ReplicaLeases(client, namespace, pod);
        this.afterChange = afterChange;
    }

    /** Starts the replica report, the leader election and the periodic status refresh. */
    public void start() {
        writer = Executors.newSingleThreadScheduledExecutor(task -> {
            Thread thread = new Thread(task, "rpzgate-policyzone-status");
            thread.setDaemon(true);
            return thread;
        });
        reloader.setRuntimeZoneListener(id -> writer.execute(() -> guarded(() -> {
            reportReplica();
            writeStatus(id);
        })));
        long interval = ReplicaLeases.RENEW_INTERVAL.toMillis();
        writer.scheduleWithFixedDelay(() -> guarded(this::refreshAll), 0, interval, TimeUnit.MILLISECONDS);

        LeaderElector elector = client.leaderElector()
                .withConfig(new LeaderElectionConfigBuilder()
                        .withName("rpzgate")
                        .withLock(new LeaseLock(namespace, LEADER_LEASE, pod))
                        .withLeaseDuration(Duration.ofSeconds(15))
                        .withRenewDeadline(Duration.ofSeconds(10))
                        .withRetryPeriod(Duration.ofSeconds(2))
                        .withReleaseOnCancel(true)
                        .withLeaderCallbacks(new LeaderCallbacks(this::startLeading, this::stopLeading,
                                newLeader -> LOG.debugf("PolicyZone status is written by %s", newLeader)))
                        .build())
                .build();
        election = elector.start();
        LOG.infof("PolicyZone operator started as replica %s in namespace %s; the holder of Lease %s writes status",
                pod, namespace, LEADER_LEASE);
    }

    /** Stops writing, gives up the leader Lease and deletes this replica's Lease. */
    public void stop() {
        if (election != null) {
            election.cancel(true);
        }
        if (writer != null) {
            writer.shutdownNow();
            awaitWriter();
        }
        leases.delete();
    }

    /** Waits for a renewal in flight, because it would create this replica's Lease again after the delete. */
    private void awaitWriter() {
        try {
            if (!writer.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warnf("the PolicyZone status thread of replica %s did not stop within 5 s; Lease %s/%s%s may "
                        + "stay until it expires after %d s", pod, namespace, ReplicaLeases.PREFIX, pod,
                        ReplicaLeases.EXPIRY.toSeconds());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Returns whether this replica is done with this generation of the PolicyZone: its content is
     * enforced, or it failed and the previous version, if any, stays in force. A generation whose
     * inline text is still being parsed, or whose download or transfer has not ended, is not done,
     * so that a replica is not reported ready before it enforces the PolicyZones that exist.
     */
    boolean applied(PolicyZone resource) {
        String id = resource.id();
        long generation = Objects.requireNonNullElse(resource.getMetadata().getGeneration(), 0L);
        Failure failure = failures.get(id);
        if (failure != null && failure.generation() == generation) {
            return true;
        }
        Optional<RuntimeZoneStatus> zone = reloader.runtimeStatus(id);
        if (zone.isEmpty()) {
            return false;
        }
        RuntimeZoneStatus state = zone.get();
        boolean enforced = state.inForce() != null && state.enforcedGeneration() == generation;
        boolean loadFailed = state.generation() == generation && state.lastError() != null;
        return enforced || loadFailed;
    }

    /**
     * Returns whether this PolicyZone lets the replica report ready: once its current generation is
     * {@linkplain #applied applied}, or while a previous version stays in force and the new one
     * loads. An update does not make replicas unready, because every replica answers with the
     * previous version meanwhile, and unready pods during each update would leave the Service
     * without endpoints.
     */
    boolean readyFor(PolicyZone resource) {
        if (applied(resource)) {
            return true;
        }
        return reloader.runtimeStatus(resource.id()).map(state -> state.inForce() != null).orElse(false);
    }

    /** Returns whether this replica writes status and events now. */
    public boolean leader() {
        return leader;
    }

    private void startLeading() {
        leader = true;
        LOG.infof("replica %s holds Lease %s/%s and writes PolicyZone status from now on", pod, namespace,
                LEADER_LEASE);
        writer.execute(() -> guarded(this::refreshAll));
    }

    private void stopLeading() {
        leader = false;
        LOG.infof("replica %s no longer holds Lease %s/%s; it enforces PolicyZones but writes no status", pod,
                namespace, LEADER_LEASE);
    }

    /**
     * Puts {@code resource} in force, or records why it cannot be, leaving what is in force. Runs on
     * a reconciler thread.
     */
    void apply(PolicyZone resource, Function<String, Optional<ConfigMap>> configMaps,
               Function<String, Optional<Secret>> secrets) {
        String id = resource.id();
        long generation = Objects.requireNonNullElse(resource.getMetadata().getGeneration(), 0L);
        if (deletedUids.contains(resource.getMetadata().getUid())) {
            return;
        }
        resources.put(id, resource);
        try {
            ZoneSpec spec = PolicyZoneSpecs.read(resource, policy, configMaps, secrets);
            int priority = resource.getSpec().priority == null ? 100 : resource.getSpec().priority;
            reloader.putRuntimeZone(new RuntimeZoneKey(priority, resource.getMetadata().getNamespace(),
                    resource.getMetadata().getName()), generation, spec);
            failures.remove(id);
        } catch (InvalidPolicyZoneException e) {
            fail(id, generation, e.reason(), e.getMessage());
        } catch (ZoneLoadException e) {
            fail(id, generation, "InvalidRules", e.getMessage());
        } catch (IllegalArgumentException e) {
            fail(id, generation, "InvalidSpec", e.getMessage());
        }
        if (deletedUids.contains(resource.getMetadata().getUid())) {
            // The deletion arrived on the informer thread while this version was loading, so remove() could not
            // take it out of force. Without this step a deleted PolicyZone would stay enforced until a restart.
            resources.remove(id, resource);
            failures.remove(id);
            reloader.removeRuntimeZone(id);
        }
        afterChange.run();
        writer.execute(() -> guarded(() -> {
            reportReplica();
            writeStatus(id);
        }));
    }

    /**
     * Takes a deleted PolicyZone out of force, unless a PolicyZone of the same name was created
     * again meanwhile (another uid). Runs on an informer thread.
     */
    void remove(PolicyZone deleted) {
        String id = deleted.id();
        PolicyZone seen = resources.get(id);
        if (seen != null && !Objects.equals(seen.getMetadata().getUid(), deleted.getMetadata().getUid())) {
            return;
        }
        String uid = deleted.getMetadata().getUid();
        if (uid != null) {
            deletedUids.add(uid);
            // A reconcile already running when the deletion arrives ends well within this time.
            writer.schedule(() -> deletedUids.remove(uid), DELETED_UID_RETENTION.toMinutes(), TimeUnit.MINUTES);
        }
        resources.remove(id);
        failures.remove(id);
        announced.remove(id);
        if (reloader.removeRuntimeZone(id)) {
            afterChange.run();
        }
        writer.execute(() -> guarded(this::reportReplica));
    }

    private void fail(String id, long generation, String reason, String message) {
        failures.put(id, new Failure(generation, reason, message));
        String inForce = reloader.runtimeStatus(id)
                .filter(status -> status.inForce() != null)
                .map(status -> "serial " + status.inForce().serial() + " of generation " + status.enforcedGeneration()
                        + " stays in force")
                .orElse("nothing of it is in force");
        LOG.errorf("PolicyZone %s generation %d: %s; %s, and rpzgate tries again when the PolicyZone or what it "
                + "refers to changes", id, generation, message, inForce);
    }

    /** Returns the generation this replica enforces of each PolicyZone it has in force. */
    Map<String, Long> enforced() {
        Map<String, Long> enforced = new HashMap<>();
        for (RuntimeZoneStatus status : reloader.runtimeStatuses()) {
            if (status.inForce() != null) {
                enforced.put(status.key().id(), status.enforcedGeneration());
            }
        }
        return enforced;
    }

    private void refreshAll() {
        reportReplica();
        if (leader) {
            // One list of the replica Leases serves every PolicyZone of this round.
            List<ReplicaLeases.Report> replicas = leases.live(Instant.now());
            for (String id : List.copyOf(resources.keySet())) {
                writeStatus(id, replicas);
            }
        }
    }

    private void reportReplica() {
        try {
            leases.renew(enforced());
        } catch (KubernetesClientException e) {
            LOG.warnf("cannot renew Lease %s/%s%s (%s); the leader counts this replica out after %d s unless a "
                    + "renewal succeeds", namespace, ReplicaLeases.PREFIX, pod, e.getMessage(),
                    ReplicaLeases.EXPIRY.toSeconds());
        }
    }

    /** Writes the status of PolicyZone {@code id} when this replica is the leader and the status changed. */
    private void writeStatus(String id) {
        if (leader && resources.containsKey(id)) {
            writeStatus(id, leases.live(Instant.now()));
        }
    }

    private void writeStatus(String id, List<ReplicaLeases.Report> replicas) {
        PolicyZone resource = resources.get(id);
        if (!leader || resource == null) {
            return;
        }
        PolicyZoneStatus next = status(resource, replicas);
        PolicyZoneStatus old = resource.getStatus();
        keepTransitionTimes(old, next);
        if (next.equals(old)) {
            return;
        }
        try {
            PolicyZone written = client.resources(PolicyZone.class).inNamespace(resource.getMetadata().getNamespace())
                    .withName(resource.getMetadata().getName())
                    .editStatus(current -> {
                        current.setStatus(next);
                        return current;
                    });
            resources.computeIfPresent(id, (key, seen) -> sameGeneration(seen, written) ? withStatus(seen, next) : seen);
        } catch (KubernetesClientException e) {
            LOG.warnf("cannot write the status of PolicyZone %s (%s); it is written again within %d s", id,
                    e.getMessage(), ReplicaLeases.RENEW_INTERVAL.toSeconds());
            return;
        }
        announce(resource);
    }

    private static boolean sameGeneration(PolicyZone seen, PolicyZone written) {
        return Objects.equals(seen.getMetadata().getGeneration(), written.getMetadata().getGeneration());
    }

    private static PolicyZone withStatus(PolicyZone seen, PolicyZoneStatus status) {
        seen.setStatus(status);
        return seen;
    }

    /** Builds the status from what this replica enforces and what the replica Leases report. */
    PolicyZoneStatus status(PolicyZone resource, List<ReplicaLeases.Report> replicas) {
        String id = resource.id();
        long generation = Objects.requireNonNullElse(resource.getMetadata().getGeneration(), 0L);
        Optional<RuntimeZoneStatus> zone = reloader.runtimeStatus(id);
        Failure failure = failures.get(id);
        if (failure != null && failure.generation() != generation) {
            failure = null;
        }

        PolicyZoneStatus status = new PolicyZoneStatus();
        status.observedGeneration = generation;
        zone.map(RuntimeZoneStatus::inForce).ifPresent(inForce -> {
            status.zone = inForce.name().toString(true);
            status.serial = inForce.serial();
            status.rules = inForce.ruleCount();
            status.skippedRecords = inForce.skipped().size();
            status.skippedReasons = inForce.skipped().stream().limit(REPORTED_SKIPPED_RECORDS)
                    .map(PolicyZoneController::describe).toList();
        });
        zone.filter(state -> state.lastSuccessSeconds() > 0).ifPresent(state ->
                status.lastLoaded = RFC3339.format(Instant.ofEpochSecond(state.lastSuccessSeconds())));

        boolean current = zone.isPresent() && zone.get().inForce() != null
                && zone.get().enforcedGeneration() == generation && failure == null;
        String loadError = zone.map(RuntimeZoneStatus::lastError).orElse(null);
        if (failure != null) {
            status.conditions.add(condition("Ready", false, failure.reason(), failure.message(), generation));
            status.conditions.add(condition("Degraded", true, failure.reason(), failure.message(), generation));
        } else if (loadError != null && !current) {
            status.conditions.add(condition("Ready", false, "LoadFailed", loadError, generation));
            status.conditions.add(condition("Degraded", true, "LoadFailed", loadError, generation));
        } else if (!current) {
            String message = zone.map(RuntimeZoneStatus::inForce)
                    .map(inForce -> "generation " + generation + " is loading; serial " + inForce.serial()
                            + " of generation " + zone.get().enforcedGeneration() + " stays in force")
                    .orElse("waiting for the first load from " + (zone.isPresent() ? "the source" : "the replicas"));
            status.conditions.add(condition("Ready", false, "Loading", message, generation));
            status.conditions.add(condition("Degraded", false, "Loading", message, generation));
        } else {
            String message = "serial " + status.serial + " with " + status.rules + " rules is enforced";
            status.conditions.add(condition("Ready", true, "Loaded", message, generation));
            if (loadError != null) {
                status.conditions.add(condition("Degraded", true, "RefreshFailed", loadError + "; " + message,
                        generation));
            } else {
                status.conditions.add(condition("Degraded", false, "Loaded", message, generation));
            }
        }

        long inSync = replicas.stream().filter(report -> report.enforced().getOrDefault(id, -1L) == generation).count();
        status.replicas = inSync + "/" + replicas.size();
        return status;
    }

    private static String describe(SkippedRecord record) {
        String what = record.owner() == null ? "" : " (" + record.owner() + ")";
        return "line " + record.line() + what + ": " + record.reason();
    }

    private static Condition condition(String type, boolean status, String reason, String message, long generation) {
        return new ConditionBuilder()
                .withType(type)
                .withStatus(status ? "True" : "False")
                .withReason(reason)
                .withMessage(message)
                .withObservedGeneration(generation)
                .withLastTransitionTime(RFC3339.format(Instant.now().truncatedTo(ChronoUnit.SECONDS)))
                .build();
    }

    /** Keeps each condition's lastTransitionTime while its status stays, as the API conventions ask. */
    private static void keepTransitionTimes(PolicyZoneStatus old, PolicyZoneStatus next) {
        if (old == null || old.conditions == null) {
            return;
        }
        for (Condition condition : next.conditions) {
            for (Condition before : old.conditions) {
                if (before.getType().equals(condition.getType()) && before.getStatus().equals(condition.getStatus())) {
                    condition.setLastTransitionTime(before.getLastTransitionTime());
                }
            }
        }
    }

    /** Records a Kubernetes Event for a failure not announced yet. */
    private void announce(PolicyZone resource) {
        String id = resource.id();
        Failure failure = failures.get(id);
        if (failure == null || failure.equals(announced.get(id))) {
            return;
        }
        String now = RFC3339.format(Instant.now().truncatedTo(ChronoUnit.SECONDS).atOffset(ZoneOffset.UTC));
        String message = failure.message().length() > 1000 ? failure.message().substring(0, 1000) + "..."
                : failure.message();
        try {
            client.v1().events().inNamespace(resource.getMetadata().getNamespace()).resource(new EventBuilder()
                    .withNewMetadata()
                    .withGenerateName(resource.getMetadata().getName() + ".")
                    .withNamespace(resource.getMetadata().getNamespace())
                    .endMetadata()
                    .withNewInvolvedObject()
                    .withApiVersion(resource.getApiVersion())
                    .withKind(resource.getKind())
                    .withName(resource.getMetadata().getName())
                    .withNamespace(resource.getMetadata().getNamespace())
                    .withUid(resource.getMetadata().getUid())
                    .withResourceVersion(resource.getMetadata().getResourceVersion())
                    .endInvolvedObject()
                    .withType("Warning")
                    .withReason(failure.reason())
                    .withMessage(message)
                    .withFirstTimestamp(now)
                    .withLastTimestamp(now)
                    .withCount(1)
                    .withNewSource().withComponent("rpzgate").withHost(pod).endSource()
                    .withReportingComponent("rpzgate.dev/policyzone")
                    .withReportingInstance(pod)
                    .build()).create();
            announced.put(id, failure);
        } catch (KubernetesClientException e) {
            LOG.warnf("cannot record an event for PolicyZone %s (%s); its status carries the same message", id,
                    e.getMessage());
        }
    }

    private static void guarded(Runnable task) {
        try {
            task.run();
        } catch (RuntimeException e) {
            LOG.error("PolicyZone status task failed; the policy in force stays and the task runs again within "
                    + ReplicaLeases.RENEW_INTERVAL.toSeconds() + " s", e);
        }
    }

    /** Returns the failures of current generations, for tests. */
    Map<String, Failure> failures() {
        return Map.copyOf(failures);
    }
}
