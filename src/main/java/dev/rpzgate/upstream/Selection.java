package dev.rpzgate.upstream;

/** Policy that picks the first upstream a query goes to in its forward zone. Failover then tries the others. */
public enum Selection {
    /** The first healthy upstream in configured order, so a backup takes traffic only when needed. */
    SEQUENTIAL,
    /** A healthy upstream at random, spreading the load evenly. */
    RANDOM,
    /**
     * The healthy upstream with the lowest smoothed response time. One query in
     * {@link UpstreamGroup#EXPLORE_ONE_IN} goes to a random healthy upstream instead, so that the
     * times of the others stay current.
     */
    FASTEST
}
