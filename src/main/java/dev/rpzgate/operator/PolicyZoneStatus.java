package dev.rpzgate.operator;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.kubernetes.api.model.Condition;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/** What the rpzgate replicas enforce of a PolicyZone, written by the replica that holds the leader Lease. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PolicyZoneStatus {

    @JsonPropertyDescription("metadata.generation of the spec that this status describes.")
    public Long observedGeneration;

    @JsonPropertyDescription("Ready is True when the current generation is loaded and enforced. Degraded is True when "
            + "the current generation cannot be loaded (reason and message name the field or line); the previous "
            + "version, if any, stays enforced.")
    public List<Condition> conditions = new ArrayList<>();

    @JsonPropertyDescription("Zone name in force, as hit logs and metrics show it.")
    public String zone;

    @JsonPropertyDescription("SOA serial of the zone in force.")
    public Long serial;

    @JsonPropertyDescription("Rules of the zone in force.")
    public Integer rules;

    @JsonPropertyDescription("Records or lines of the zone in force that were skipped because they cannot be policy.")
    public Integer skippedRecords;

    @JsonPropertyDescription("The first skipped records, each with its line number and reason.")
    public List<String> skippedReasons;

    @JsonPropertyDescription("When the leader last loaded the zone from its source, RFC 3339.")
    public String lastLoaded;

    @JsonPropertyDescription("Replicas that enforce the current generation, out of the replicas running, as N/M.")
    public String replicas;

    @Override
    public boolean equals(Object other) {
        if (!(other instanceof PolicyZoneStatus that)) {
            return false;
        }
        return Objects.equals(observedGeneration, that.observedGeneration)
                && Objects.equals(conditions, that.conditions)
                && Objects.equals(zone, that.zone)
                && Objects.equals(serial, that.serial)
                && Objects.equals(rules, that.rules)
                && Objects.equals(skippedRecords, that.skippedRecords)
                && Objects.equals(skippedReasons, that.skippedReasons)
                && Objects.equals(lastLoaded, that.lastLoaded)
                && Objects.equals(replicas, that.replicas);
    }

    @Override
    public int hashCode() {
        return Objects.hash(observedGeneration, conditions, serial, rules, replicas);
    }
}
