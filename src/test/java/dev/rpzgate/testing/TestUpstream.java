package dev.rpzgate.testing;

import java.io.Closeable;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.BindException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.Predicate;

import org.jboss.logging.Logger;
import org.xbill.DNS.AAAARecord;
import org.xbill.DNS.ARecord;
import org.xbill.DNS.Address;
import org.xbill.DNS.DClass;
import org.xbill.DNS.ExtendedFlags;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * In-process authoritative DNS server on 127.0.0.1 that end-to-end tests use as the upstream
 * resolver. It listens on UDP and TCP on one port, answers from records that the test adds, and
 * can misbehave per name (delay, drop, truncate, empty TCP message, wrong ID, wrong question,
 * garbage, SERVFAIL, REFUSED) to exercise a forwarder's error handling. {@link #respond} lets other front ends, such
 * as the DNS over TLS and HTTPS ones of {@link EncryptedTestUpstream}, share its data and switches.
 *
 * <p>Answers carry AA=1 and RA=0, echo the ID, the question, the opcode and the RD and CD flags,
 * and carry an OPT record when the query had one. A name that does not exist gets NXDOMAIN with
 * the root SOA (negative TTL 300 s) unless {@link #answerAnyName} is set. Every method is
 * thread-safe.
 *
 * <pre>{@code
 * try (TestUpstream upstream = TestUpstream.start()) {
 *     upstream.add("www.example. 300 IN A 192.0.2.1").drop("slow.example.");
 *     // point the resolver under test at upstream.address()
 * }
 * }</pre>
 */
public final class TestUpstream implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(TestUpstream.class);

    /** 127.0.0.1 itself, because getLoopbackAddress() returns ::1 when IPv6 is preferred. */
    private static final InetAddress LOOPBACK = parseAddress("127.0.0.1", Address.IPv4);

    /** Attempts to find a port free for both UDP and TCP before start() gives up. */
    private static final int MAX_BIND_ATTEMPTS = 50;

    /** UDP payload size that the server advertises in its OPT record (the DNS Flag Day 2020 value). */
    private static final int ADVERTISED_UDP_PAYLOAD_SIZE = 1232;

    /** Largest UDP response to a query without EDNS (RFC 1035 section 4.2.1). */
    private static final int PLAIN_UDP_PAYLOAD_SIZE = 512;

    /** Entries kept in the query log, so that a long load test cannot exhaust the heap. */
    private static final int MAX_LOGGED_QUERIES = 100_000;

    /** Question sent back by {@link #wrongQuestion}, unless the query asked for this very name. */
    private static final Name WRONG_QUESTION_NAME = Name.fromConstantString("wrong-question.invalid.");
    private static final Name OTHER_WRONG_QUESTION_NAME = Name.fromConstantString("other-wrong-question.invalid.");

    private static final Duration THREAD_STOP_TIMEOUT = Duration.ofSeconds(5);

    /** Transport on which a query arrived. */
    public enum Transport {
        UDP,
        TCP,
        /** DNS over TLS, through {@link EncryptedTestUpstream}. */
        TLS,
        /** DNS over HTTPS, through {@link EncryptedTestUpstream}. */
        HTTPS
    }

    /**
     * Query as the server parsed it, with the transport and the client's address.
     *
     * @param message the query; callers must not change it
     */
    public record ReceivedQuery(Message message, Transport transport, InetSocketAddress source) {

        /** Returns the client's source port. */
        public int sourcePort() {
            return source.getPort();
        }
    }

    /** Misbehaviour set for a name; a name has at most one. */
    private enum Fault {
        DROP,
        TRUNCATE_OVER_UDP,
        EMPTY_OVER_TCP,
        WRONG_ID,
        WRONG_QUESTION,
        GARBAGE,
        SERVFAIL,
        REFUSED
    }

    private record CounterKey(Name name, int type, Transport transport) {}

    /** Open TCP connection and the thread that reads from it. */
    private record Connection(Socket socket, Thread reader) {}

    private final DatagramSocket udpSocket;
    private final ServerSocket tcpSocket;
    private final int port;
    private final ZoneData zone = new ZoneData();
    private final ScheduledExecutorService delayedReplies;
    private final Set<Connection> connections = ConcurrentHashMap.newKeySet();
    private final Thread udpReader;
    private final Thread tcpAcceptor;
    private volatile boolean closed;

    private final Map<Name, Fault> faultsByName = new ConcurrentHashMap<>();
    private volatile Fault faultForAllNames;
    private final Map<Name, Duration> delaysByName = new ConcurrentHashMap<>();
    private volatile Duration delayForAllNames = Duration.ZERO;

    private final Map<CounterKey, AtomicInteger> queryCounts = new ConcurrentHashMap<>();
    private final List<ReceivedQuery> queryLog = new ArrayList<>();

    private TestUpstream(DatagramSocket udpSocket, ServerSocket tcpSocket) {
        this.udpSocket = udpSocket;
        this.tcpSocket = tcpSocket;
        this.port = udpSocket.getLocalPort();
        this.delayedReplies = Executors.newSingleThreadScheduledExecutor(
                runnable -> daemonThread(runnable, "test-upstream-" + port + "-delayed"));
        this.udpReader = daemonThread(this::readUdp, "test-upstream-" + port + "-udp");
        this.tcpAcceptor = daemonThread(this::acceptTcp, "test-upstream-" + port + "-tcp-accept");
    }

    /**
     * Starts a server on 127.0.0.1 whose UDP and TCP listeners share one free port.
     *
     * @throws IOException if no port was free for both protocols after {@value #MAX_BIND_ATTEMPTS}
     *     attempts, or if a socket could not be opened
     */
    public static TestUpstream start() throws IOException {
        BindException lastFailure = null;
        for (int attempt = 0; attempt < MAX_BIND_ATTEMPTS; attempt++) {
            DatagramSocket udp = new DatagramSocket(new InetSocketAddress(LOOPBACK, 0));
            ServerSocket tcp = new ServerSocket();
            try {
                tcp.setReuseAddress(true);
                tcp.bind(new InetSocketAddress(LOOPBACK, udp.getLocalPort()));
            } catch (BindException e) {
                // Another socket has taken this port for TCP only, so take a new UDP port and try again.
                lastFailure = e;
                udp.close();
                tcp.close();
                continue;
            }

            TestUpstream upstream = new TestUpstream(udp, tcp);
            upstream.udpReader.start();
            upstream.tcpAcceptor.start();
            LOG.debugf("Test upstream started on %s", upstream.address());
            return upstream;
        }
        throw new IOException("No port on " + LOOPBACK.getHostAddress() + " was free for both UDP and TCP after "
                + MAX_BIND_ATTEMPTS + " attempts", lastFailure);
    }

    /** Returns the port of both the UDP and the TCP listener. */
    public int port() {
        return port;
    }

    /** Returns the server address as {@code 127.0.0.1:PORT}. */
    public String address() {
        return LOOPBACK.getHostAddress() + ":" + port;
    }

    /** Returns the server address as a socket address. */
    public InetSocketAddress socketAddress() {
        return new InetSocketAddress(LOOPBACK, port);
    }

    // ---- Data ----

    /**
     * Adds records given in master-file syntax, one per line, for example
     * {@code "www.example. 300 IN A 192.0.2.1"}. Names are absolute even without the final dot,
     * a line without a TTL gets 300 seconds, and owner {@code *.example.} is a wildcard as in
     * RFC 4592. An SOA replaces the SOA at its owner, so adding one for {@code .} changes the
     * negative answers; an SOA lower in the tree becomes the negative SOA for names under it.
     *
     * @throws IllegalArgumentException if the text does not parse, its class is not IN, or a
     *     CNAME would share its name with other data
     */
    public TestUpstream add(String zoneFileText) {
        ZoneData.parseZoneText(zoneFileText).forEach(zone::add);
        return this;
    }

    /**
     * Adds one record, as {@link #add(String)} does.
     *
     * @throws IllegalArgumentException if its class is not IN, or a CNAME would share its name
     *     with other data
     */
    public TestUpstream add(Record record) {
        zone.add(record);
        return this;
    }

    /**
     * Answers every name that does not exist in the data with an A and an AAAA record, as a
     * root zone with {@code *.} records would, but at every depth: a wildcard in the data still
     * takes precedence for names under its parent. Other types get NODATA.
     *
     * @param ipv4 the A address, or null to answer A queries with NODATA
     * @param ipv6 the AAAA address, or null to answer AAAA queries with NODATA
     * @param ttlSeconds TTL of the synthesized records
     * @throws IllegalArgumentException if an address is not a literal of its family
     */
    public TestUpstream answerAnyName(String ipv4, String ipv6, long ttlSeconds) {
        List<Record> records = new ArrayList<>();
        if (ipv4 != null) {
            records.add(new ARecord(Name.root, DClass.IN, ttlSeconds, parseAddress(ipv4, Address.IPv4)));
        }
        if (ipv6 != null) {
            records.add(new AAAARecord(Name.root, DClass.IN, ttlSeconds, parseAddress(ipv6, Address.IPv6)));
        }
        zone.setUnknownNameRecords(records);
        return this;
    }

    /** Answers every name that does not exist with NXDOMAIN and the negative SOA again (the default). */
    public TestUpstream answerNxdomainForUnknownNames() {
        zone.setUnknownNameRecords(List.of());
        return this;
    }

    /** Parses an address literal of {@code family} ({@link Address#IPv4} or {@link Address#IPv6}) without DNS. */
    private static InetAddress parseAddress(String literal, int family) {
        byte[] bytes = Address.toByteArray(literal, family);
        if (bytes == null) {
            throw new IllegalArgumentException("Invalid IPv" + (family == Address.IPv4 ? "4" : "6")
                    + " address literal: " + literal);
        }
        try {
            return InetAddress.getByAddress(bytes);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("A 4- or 16-byte address is always valid", e);
        }
    }

    // ---- Behaviour switches ----
    // A switch for a name applies to queries whose QNAME is exactly that name (not to names under
    // it) and takes precedence over the switch for all names. A name has one fault at a time: a
    // new one replaces the old. A delay combines with any fault.

    /** Sends the replies for {@code name} after {@code delay}, in a scheduler thread so other queries go on. */
    public TestUpstream delay(String name, Duration delay) {
        delaysByName.put(ZoneData.parseName(name), delay);
        return this;
    }

    /** Sends the replies for every name after {@code delay}. */
    public TestUpstream delay(Duration delay) {
        delayForAllNames = delay;
        return this;
    }

    /** Never answers queries for {@code name}, on either transport; they are still counted and logged. */
    public TestUpstream drop(String name) {
        return setFault(name, Fault.DROP);
    }

    /** Never answers any query. */
    public TestUpstream drop() {
        return setFaultForAllNames(Fault.DROP);
    }

    /** Answers {@code name} over UDP with TC=1 and no records, and over TCP in full. */
    public TestUpstream truncateOverUdp(String name) {
        return setFault(name, Fault.TRUNCATE_OVER_UDP);
    }

    /** Answers every name over UDP with TC=1 and no records, and over TCP in full. */
    public TestUpstream truncateOverUdp() {
        return setFaultForAllNames(Fault.TRUNCATE_OVER_UDP);
    }

    /**
     * Responds to {@code name} over UDP with TC=1 and no records, and over TCP with a zero-length
     * message: a 2-byte length prefix of 0 and nothing after it. The TCP connection stays open, so
     * a client that waits for more bytes waits until its own timeout.
     */
    public TestUpstream emptyMessageOverTcp(String name) {
        return setFault(name, Fault.EMPTY_OVER_TCP);
    }

    /** Responds to every name over UDP with TC=1, and over TCP with a zero-length message. */
    public TestUpstream emptyMessageOverTcp() {
        return setFaultForAllNames(Fault.EMPTY_OVER_TCP);
    }

    /**
     * Sends for {@code name} first the answer with the ID plus one, then the correct answer, as
     * an off-path spoofer racing the real server would. Both go to the same client address, and
     * over TCP both go on the same connection.
     */
    public TestUpstream wrongId(String name) {
        return setFault(name, Fault.WRONG_ID);
    }

    /** Sends for every name first an answer with a wrong ID, then the correct answer. */
    public TestUpstream wrongId() {
        return setFaultForAllNames(Fault.WRONG_ID);
    }

    /**
     * Sends for {@code name} first an answer with the right ID whose question is
     * {@code wrong-question.invalid.} (same type and class), then the correct answer.
     */
    public TestUpstream wrongQuestion(String name) {
        return setFault(name, Fault.WRONG_QUESTION);
    }

    /** Sends for every name first an answer with another question, then the correct answer. */
    public TestUpstream wrongQuestion() {
        return setFaultForAllNames(Fault.WRONG_QUESTION);
    }

    /**
     * Answers {@code name} with bytes that do not parse as a DNS message and nothing else. The
     * bytes start with the query's ID and a response header, so a client that matches IDs before
     * parsing still reaches its parser. The parser then fails on a question name that runs past
     * the end of the data.
     */
    public TestUpstream garbage(String name) {
        return setFault(name, Fault.GARBAGE);
    }

    /** Answers every query with bytes that do not parse as a DNS message. */
    public TestUpstream garbage() {
        return setFaultForAllNames(Fault.GARBAGE);
    }

    /** Answers {@code name} with SERVFAIL and no records. */
    public TestUpstream servfail(String name) {
        return setFault(name, Fault.SERVFAIL);
    }

    /** Answers every query with SERVFAIL and no records. */
    public TestUpstream servfail() {
        return setFaultForAllNames(Fault.SERVFAIL);
    }

    /** Answers {@code name} with REFUSED and no records, as a resolver that does not serve the client would. */
    public TestUpstream refused(String name) {
        return setFault(name, Fault.REFUSED);
    }

    /** Answers every query with REFUSED and no records. */
    public TestUpstream refused() {
        return setFaultForAllNames(Fault.REFUSED);
    }

    /**
     * Clears every behaviour switch, the counters and the query log. The records and the
     * unknown-name answer stay. A reply already scheduled by {@link #delay} is still sent.
     */
    public void reset() {
        faultsByName.clear();
        faultForAllNames = null;
        delaysByName.clear();
        delayForAllNames = Duration.ZERO;
        synchronized (queryLog) {
            queryCounts.clear();
            queryLog.clear();
        }
    }

    private TestUpstream setFault(String name, Fault fault) {
        faultsByName.put(ZoneData.parseName(name), fault);
        return this;
    }

    private TestUpstream setFaultForAllNames(Fault fault) {
        faultForAllNames = fault;
        return this;
    }

    // ---- Counters and query log ----
    // Every query that parses is counted and logged before the switches apply, so a dropped or
    // garbled query still counts. A message that does not parse, or that is a response, is not.

    /** Returns the number of queries received on both transports. */
    public int countQueries() {
        return sumCounts(key -> true);
    }

    /** Returns the number of queries received on {@code transport}. */
    public int countQueries(Transport transport) {
        return sumCounts(key -> key.transport() == transport);
    }

    /** Returns the number of queries for {@code name} and {@code type} (a {@link Type} constant) on both transports. */
    public int countQueries(String name, int type) {
        Name parsed = ZoneData.parseName(name);
        return sumCounts(key -> key.name().equals(parsed) && key.type() == type);
    }

    /** Returns the number of queries for {@code name} and {@code type} received on {@code transport}. */
    public int countQueries(String name, int type, Transport transport) {
        Name parsed = ZoneData.parseName(name);
        return sumCounts(key -> key.name().equals(parsed) && key.type() == type && key.transport() == transport);
    }

    /**
     * Returns a copy of the received queries in arrival order, for assertions on IDs and source
     * ports. Only the first {@value #MAX_LOGGED_QUERIES} since start or {@link #reset} are kept,
     * while the counters go on counting.
     */
    public List<ReceivedQuery> receivedQueries() {
        synchronized (queryLog) {
            return List.copyOf(queryLog);
        }
    }

    private int sumCounts(Predicate<CounterKey> filter) {
        synchronized (queryLog) {
            return queryCounts.entrySet().stream()
                    .filter(entry -> filter.test(entry.getKey()))
                    .mapToInt(entry -> entry.getValue().get())
                    .sum();
        }
    }

    private void recordQuery(Message query, Transport transport, InetSocketAddress source) {
        Record question = query.getQuestion();
        Name name = question == null ? Name.empty : question.getName();
        int type = question == null ? 0 : question.getType();
        synchronized (queryLog) {
            queryCounts.computeIfAbsent(new CounterKey(name, type, transport), key -> new AtomicInteger()).incrementAndGet();
            if (queryLog.size() < MAX_LOGGED_QUERIES) {
                queryLog.add(new ReceivedQuery(query, transport, source));
            }
        }
    }

    // ---- Query handling ----

    /**
     * Answers one request that arrived on another listener, such as the DNS over TLS or HTTPS
     * front end of {@link EncryptedTestUpstream}: it is counted, logged and subject to the switches
     * as a UDP or TCP query is, and {@code send} gets each reply, now or after the delay. A stream
     * transport gets answers in full, as TCP does.
     */
    public void respond(byte[] request, Transport transport, InetSocketAddress source, Consumer<byte[]> send) {
        handle(request, transport, source, send);
    }

    /**
     * Parses one request, counts it, applies the switches and passes the replies to
     * {@code send}, now or after the delay.
     */
    private void handle(byte[] request, Transport transport, InetSocketAddress source, Consumer<byte[]> send) {
        Message query;
        try {
            query = new Message(request);
        } catch (IOException e) {
            LOG.debugf("Unparseable %s request of %d bytes from %s: %s", transport, request.length, source, e.getMessage());
            if (request.length >= 12 && (request[2] & 0x80) == 0) {
                send.accept(formatErrorReply(request));
            }
            return;
        }
        if (query.getHeader().getFlag(Flags.QR)) {
            // Replying to a response could start a loop between two servers.
            return;
        }
        recordQuery(query, transport, source);

        Name qname = query.getQuestion() == null ? null : query.getQuestion().getName();
        Fault fault = qname == null ? null : faultsByName.getOrDefault(qname, faultForAllNames);
        Duration delay = qname == null ? delayForAllNames : delaysByName.getOrDefault(qname, delayForAllNames);
        if (fault == Fault.DROP) {
            return;
        }

        List<byte[]> replies = buildReplies(query, transport, fault);
        if (delay.isZero() || delay.isNegative()) {
            replies.forEach(send);
        } else {
            delayedReplies.schedule(() -> replies.forEach(send), delay.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private List<byte[]> buildReplies(Message query, Transport transport, Fault fault) {
        if (fault == null) {
            return List.of(fitForTransport(query, answer(query), transport));
        }
        switch (fault) {
            case TRUNCATE_OVER_UDP:
                Message full = answer(query);
                return List.of(transport == Transport.UDP ? truncated(query, full).toWire() : full.toWire());
            case EMPTY_OVER_TCP:
                // sendTcp frames the empty array as the length prefix 0x0000 alone.
                return List.of(transport == Transport.UDP ? truncated(query, answer(query)).toWire() : new byte[0]);
            case WRONG_ID: {
                Message spoofed = answer(query);
                spoofed.getHeader().setID((query.getHeader().getID() + 1) & 0xFFFF);
                return List.of(fitForTransport(query, spoofed, transport), fitForTransport(query, answer(query), transport));
            }
            case WRONG_QUESTION: {
                Message spoofed = answer(query);
                Record question = query.getQuestion();
                Name otherName = question.getName().equals(WRONG_QUESTION_NAME) ? OTHER_WRONG_QUESTION_NAME : WRONG_QUESTION_NAME;
                spoofed.removeAllRecords(Section.QUESTION);
                spoofed.addRecord(Record.newRecord(otherName, question.getType(), question.getDClass()), Section.QUESTION);
                return List.of(fitForTransport(query, spoofed, transport), fitForTransport(query, answer(query), transport));
            }
            case GARBAGE:
                return List.of(garbageReply(query));
            case SERVFAIL: {
                Message reply = emptyReply(query);
                reply.getHeader().setRcode(Rcode.SERVFAIL);
                return List.of(reply.toWire());
            }
            case REFUSED: {
                Message reply = emptyReply(query);
                reply.getHeader().setRcode(Rcode.REFUSED);
                return List.of(reply.toWire());
            }
            default:
                throw new IllegalStateException("No reply is built for fault " + fault);
        }
    }

    /** Builds the authoritative answer to {@code query} from the data. */
    private Message answer(Message query) {
        Message reply = emptyReply(query);
        Header header = reply.getHeader();
        List<Record> questions = query.getSection(Section.QUESTION);

        if (query.getHeader().getOpcode() != Opcode.QUERY) {
            header.setRcode(Rcode.NOTIMP);
            return reply;
        }
        if (questions.size() != 1) {
            header.setRcode(Rcode.FORMERR);
            return reply;
        }
        OPTRecord queryOpt = query.getOPT();
        if (queryOpt != null && queryOpt.getVersion() != 0) {
            // BADVERS (16) does not fit the 4-bit header field: its upper bits go in the OPT record.
            reply.removeAllRecords(Section.ADDITIONAL);
            reply.addRecord(new OPTRecord(ADVERTISED_UDP_PAYLOAD_SIZE, Rcode.BADVERS >>> 4, 0, 0), Section.ADDITIONAL);
            header.setRcode(Rcode.BADVERS & 0xF);
            return reply;
        }

        Record question = questions.get(0);
        if (question.getDClass() != DClass.IN) {
            header.unsetFlag(Flags.AA);
            header.setRcode(Rcode.REFUSED);
            return reply;
        }
        if (question.getType() == Type.AXFR || question.getType() == Type.IXFR) {
            header.setRcode(Rcode.NOTIMP);
            return reply;
        }

        ZoneData.Answer answer = zone.lookup(question.getName(), question.getType());
        header.setRcode(answer.rcode());
        answer.answer().forEach(record -> reply.addRecord(record, Section.ANSWER));
        if (queryOpt != null && (queryOpt.getFlags() & ExtendedFlags.DO) != 0) {
            // A signed zone sends its RRSIGs to clients that set DO (RFC 4035 section 3.1.1).
            for (Record record : answer.answer()) {
                zone.signatures(record.getName(), record.getType())
                        .forEach(signature -> reply.addRecord(signature, Section.ANSWER));
            }
        }
        answer.authority().forEach(record -> reply.addRecord(record, Section.AUTHORITY));
        return reply;
    }

    /**
     * Builds a reply with the query's ID, opcode, question and RD and CD flags, AA=1, RA=0, no
     * records and NOERROR, plus an OPT record when the query had one.
     */
    private static Message emptyReply(Message query) {
        Message reply = new Message(query.getHeader().getID());
        Header header = reply.getHeader();
        header.setFlag(Flags.QR);
        header.setFlag(Flags.AA);
        header.setOpcode(query.getHeader().getOpcode());
        for (int flag : new int[] {Flags.RD, Flags.CD}) {
            if (query.getHeader().getFlag(flag)) {
                header.setFlag(flag);
            }
        }
        for (Record question : query.getSection(Section.QUESTION)) {
            reply.addRecord(question, Section.QUESTION);
        }
        OPTRecord queryOpt = query.getOPT();
        if (queryOpt != null) {
            // RFC 3225 section 3: the DO bit is copied into the response.
            int flags = queryOpt.getFlags() & ExtendedFlags.DO;
            reply.addRecord(new OPTRecord(ADVERTISED_UDP_PAYLOAD_SIZE, 0, 0, flags), Section.ADDITIONAL);
        }
        return reply;
    }

    /** Serializes {@code reply}, replaced by a truncated reply if it exceeds the client's UDP payload size. */
    private static byte[] fitForTransport(Message query, Message reply, Transport transport) {
        byte[] wire = reply.toWire();
        if (transport != Transport.UDP) {
            return wire;
        }
        OPTRecord queryOpt = query.getOPT();
        int limit = queryOpt == null ? PLAIN_UDP_PAYLOAD_SIZE : Math.max(PLAIN_UDP_PAYLOAD_SIZE, queryOpt.getPayloadSize());
        return wire.length <= limit ? wire : truncated(query, reply).toWire();
    }

    /** Builds the reply that makes the client retry over TCP: TC=1, question and OPT only. */
    private static Message truncated(Message query, Message full) {
        Message reply = emptyReply(query);
        reply.getHeader().setFlag(Flags.TC);
        reply.getHeader().setRcode(full.getHeader().getRcode());
        return reply;
    }

    private static byte[] formatErrorReply(byte[] request) {
        Message reply = new Message(((request[0] & 0xFF) << 8) | (request[1] & 0xFF));
        reply.getHeader().setFlag(Flags.QR);
        reply.getHeader().setRcode(Rcode.FORMERR);
        return reply.toWire();
    }

    private static byte[] garbageReply(Message query) {
        int id = query.getHeader().getID();
        return new byte[] {
            (byte) (id >>> 8), (byte) id,
            (byte) 0x84, 0x00, // QR=1, AA=1, NOERROR
            0x00, 0x01, // QDCOUNT 1
            0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // ANCOUNT, NSCOUNT, ARCOUNT 0
            0x3F, 'b', 'a', 'd' // a 63-byte label of which 3 bytes follow
        };
    }

    // ---- UDP ----

    private void readUdp() {
        byte[] buffer = new byte[65535];
        while (!closed) {
            DatagramPacket packet = new DatagramPacket(buffer, buffer.length);
            try {
                udpSocket.receive(packet);
            } catch (IOException e) {
                if (!closed) {
                    LOG.errorf(e, "UDP receive on %s failed; the UDP listener stops", address());
                }
                return;
            }
            byte[] request = Arrays.copyOf(packet.getData(), packet.getLength());
            InetSocketAddress source = (InetSocketAddress) packet.getSocketAddress();
            try {
                handle(request, Transport.UDP, source, reply -> sendUdp(reply, source));
            } catch (RuntimeException e) {
                LOG.errorf(e, "Handling a UDP query from %s failed", source);
            }
        }
    }

    private void sendUdp(byte[] reply, InetSocketAddress destination) {
        try {
            udpSocket.send(new DatagramPacket(reply, reply.length, destination));
        } catch (IOException e) {
            if (!closed) {
                LOG.errorf(e, "Sending a UDP reply to %s failed", destination);
            }
        }
    }

    // ---- TCP ----

    private void acceptTcp() {
        while (!closed) {
            Socket socket;
            try {
                socket = tcpSocket.accept();
            } catch (IOException e) {
                if (!closed) {
                    LOG.errorf(e, "TCP accept on %s failed; the TCP listener stops", address());
                }
                return;
            }
            Connection[] self = new Connection[1];
            Thread reader = daemonThread(() -> readTcp(self[0]),
                    "test-upstream-" + port + "-tcp-" + socket.getPort());
            self[0] = new Connection(socket, reader);
            connections.add(self[0]);
            if (closed) {
                // close() may have run between accept() and add(), so it missed this socket.
                closeQuietly(socket);
                connections.remove(self[0]);
                return;
            }
            reader.start();
        }
    }

    /** Reads queries with their 2-byte length prefix (RFC 1035 section 4.2.2) until the client closes. */
    private void readTcp(Connection connection) {
        Socket socket = connection.socket();
        InetSocketAddress source = (InetSocketAddress) socket.getRemoteSocketAddress();
        try (socket) {
            DataInputStream in = new DataInputStream(socket.getInputStream());
            OutputStream out = socket.getOutputStream();
            while (!closed) {
                int length;
                try {
                    length = in.readUnsignedShort();
                } catch (EOFException e) {
                    return;
                }
                byte[] request = in.readNBytes(length);
                if (request.length < length) {
                    LOG.debugf("TCP client %s closed the connection in the middle of a %d-byte message", source, length);
                    return;
                }
                handle(request, Transport.TCP, source, reply -> sendTcp(out, reply, source));
            }
        } catch (IOException e) {
            if (!closed) {
                LOG.debugf("TCP connection from %s ended: %s", source, e.getMessage());
            }
        } catch (RuntimeException e) {
            LOG.errorf(e, "Handling a TCP query from %s failed; the connection is closed", source);
        } finally {
            connections.remove(connection);
        }
    }

    private void sendTcp(OutputStream out, byte[] reply, InetSocketAddress destination) {
        byte[] framed = new byte[reply.length + 2];
        framed[0] = (byte) (reply.length >>> 8);
        framed[1] = (byte) reply.length;
        System.arraycopy(reply, 0, framed, 2, reply.length);
        // Delayed replies come from the scheduler thread, so two writers may share one connection.
        synchronized (out) {
            try {
                out.write(framed);
                out.flush();
            } catch (IOException e) {
                if (!closed) {
                    LOG.debugf("Sending a TCP reply to %s failed: %s", destination, e.getMessage());
                }
            }
        }
    }

    // ---- Lifecycle ----

    /**
     * Stops the server: closes both listeners and every open connection, discards delayed
     * replies not yet sent and waits up to 5 seconds for each thread to end. Calling it again
     * does nothing.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        udpSocket.close();
        closeQuietly(tcpSocket);
        delayedReplies.shutdownNow();

        // Readers remove their connection from the set as they end, so take the threads first.
        List<Thread> threads = new ArrayList<>(List.of(udpReader, tcpAcceptor));
        for (Connection connection : List.copyOf(connections)) {
            threads.add(connection.reader());
            closeQuietly(connection.socket());
        }
        try {
            for (Thread thread : threads) {
                thread.join(THREAD_STOP_TIMEOUT.toMillis());
            }
            delayedReplies.awaitTermination(THREAD_STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        LOG.debugf("Test upstream on %s stopped", address());
    }

    private static void closeQuietly(Closeable closeable) {
        try {
            closeable.close();
        } catch (IOException e) {
            LOG.debugf("Closing %s failed: %s", closeable, e.getMessage());
        }
    }

    private static Thread daemonThread(Runnable task, String name) {
        Thread thread = new Thread(task, name);
        thread.setDaemon(true);
        return thread;
    }
}
