/**
 * Forwarding to upstream resolvers: the forward zone of a query picks its upstreams, a selection
 * policy picks one of those that are up, and failover tries the others within the query's time
 * budget. Plain DNS, DNS over TLS and DNS over HTTPS are transports beside each other.
 *
 * <p>The design fact to know: a {@link dev.rpzgate.upstream.UpstreamResolver} belongs to one event
 * loop and needs no lock, while the health of each upstream ({@link dev.rpzgate.upstream.UpstreamState})
 * is shared by every loop through atomic fields, so that all loops agree on which upstream is down.
 */
package dev.rpzgate.upstream;
