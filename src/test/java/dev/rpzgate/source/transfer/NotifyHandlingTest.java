package dev.rpzgate.source.transfer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.rpzgate.policy.ZoneSettings;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.TSIGRecord;
import org.xbill.DNS.Type;

/**
 * Tests the NOTIFY answers of {@link ZoneTransferSource} and {@link NotifyDispatcher} without a
 * primary: the sources are never started, so an accepted NOTIFY queues no check.
 */
class NotifyHandlingTest {

    private static final Name ZONE = Name.fromConstantString("rpz.test.");
    private static final Name OTHER_ZONE = Name.fromConstantString("other.test.");
    private static final InetAddress PRIMARY = address("127.0.0.1");

    private final List<ZoneTransferSource> sources = new ArrayList<>();

    @AfterEach
    void closeSources() {
        sources.forEach(ZoneTransferSource::close);
    }

    @Test
    void signedNotifyIsAcceptedAndAnswerSigned() throws IOException {
        TsigKey key = KnotPrimary.randomKey();
        ZoneTransferSource source = source(ZONE, key);
        Message notify = notify(ZONE, Opcode.NOTIFY);
        key.toTsig().apply(notify, null);
        TSIGRecord requestTsig = notify.getTSIG();

        byte[] answerWire = answer(source, notify, PRIMARY).toWire();
        Message answer = new Message(answerWire);

        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(answer.getHeader().getFlag(Flags.AA)).isTrue();
        assertThat(answer.getHeader().getFlag(Flags.QR)).isTrue();
        assertThat(answer.getHeader().getOpcode()).isEqualTo(Opcode.NOTIFY);
        assertThat(answer.getHeader().getID()).isEqualTo(notify.getHeader().getID());
        assertThat(answer.getQuestion()).isEqualTo(notify.getQuestion());
        assertThat(key.toTsig().verify(answer, answerWire, requestTsig)).isEqualTo(Rcode.NOERROR);
        assertThat(source.status().notifyAcceptedCount()).isEqualTo(1);
    }

    @Test
    void unsignedNotifyWithKeyIsNotAuth() throws IOException {
        ZoneTransferSource source = source(ZONE, KnotPrimary.randomKey());

        Message answer = answer(source, notify(ZONE, Opcode.NOTIFY), PRIMARY);

        assertThat(answer.getRcode()).isEqualTo(Rcode.NOTAUTH);
        assertThat(answer.getHeader().getFlag(Flags.AA)).isFalse();
        assertThat(source.status().notifyRejectedCount()).isEqualTo(1);
        assertThat(source.status().notifyAcceptedCount()).isZero();
    }

    @Test
    void badSignatureIsNotAuthWithBadsig() throws IOException {
        TsigKey key = KnotPrimary.randomKey();
        ZoneTransferSource source = source(ZONE, key);
        Message notify = notify(ZONE, Opcode.NOTIFY);
        new TsigKey(key.name(), key.algorithm(), KnotPrimary.randomKey().secret()).toTsig().apply(notify, null);

        Message answer = new Message(answer(source, notify, PRIMARY).toWire());

        assertThat(answer.getRcode()).isEqualTo(Rcode.NOTAUTH);
        assertThat(answer.getTSIG()).isNotNull();
        assertThat(answer.getTSIG().getError()).isEqualTo(Rcode.BADSIG);
        assertThat(answer.getTSIG().getSignature()).isEmpty();
    }

    @Test
    void otherKeyNameIsNotAuth() throws IOException {
        TsigKey key = KnotPrimary.randomKey();
        ZoneTransferSource source = source(ZONE, key);
        Message notify = notify(ZONE, Opcode.NOTIFY);
        new TsigKey(Name.fromString("other-key."), key.algorithm(), key.secret()).toTsig().apply(notify, null);

        Message answer = answer(source, notify, PRIMARY);

        assertThat(answer.getRcode()).isEqualTo(Rcode.NOTAUTH);
    }

    @Test
    void signedNotifyWithoutKeyIsNotAuth() throws IOException {
        ZoneTransferSource source = source(ZONE, null);
        Message notify = notify(ZONE, Opcode.NOTIFY);
        KnotPrimary.randomKey().toTsig().apply(notify, null);

        Message answer = answer(source, notify, PRIMARY);

        assertThat(answer.getRcode()).isEqualTo(Rcode.NOTAUTH);
    }

    @Test
    void unsignedNotifyWithoutKeyIsAccepted() throws IOException {
        ZoneTransferSource source = source(ZONE, null);

        Message answer = answer(source, notify(ZONE, Opcode.NOTIFY), PRIMARY);

        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(answer.getHeader().getFlag(Flags.AA)).isTrue();
    }

    @Test
    void notifyFromOtherAddressIsRefused() throws IOException {
        ZoneTransferSource source = source(ZONE, null);

        Message answer = answer(source, notify(ZONE, Opcode.NOTIFY), address("127.0.0.2"));

        assertThat(answer.getRcode()).isEqualTo(Rcode.REFUSED);
        assertThat(source.status().notifyRejectedCount()).isEqualTo(1);
    }

    @Test
    void configuredSourcesReplacePrimaries() throws IOException {
        ZoneTransferSource source = startable(config(ZONE, null).withNotifySources(List.of(address("127.0.0.2"))));

        Message fromPrimary = answer(source, notify(ZONE, Opcode.NOTIFY), PRIMARY);
        Message fromAllowed = answer(source, notify(ZONE, Opcode.NOTIFY), address("127.0.0.2"));

        assertThat(fromPrimary.getRcode()).isEqualTo(Rcode.REFUSED);
        assertThat(fromAllowed.getRcode()).isEqualTo(Rcode.NOERROR);
    }

    @Test
    void notifyForOtherZoneIsRefused() throws IOException {
        ZoneTransferSource source = source(ZONE, null);

        Message answer = answer(source, notify(OTHER_ZONE, Opcode.NOTIFY), PRIMARY);

        assertThat(answer.getRcode()).isEqualTo(Rcode.REFUSED);
    }

    @Test
    void queryOpcodeIsFormErr() throws IOException {
        ZoneTransferSource source = source(ZONE, null);

        Message answer = answer(source, notify(ZONE, Opcode.QUERY), PRIMARY);

        assertThat(answer.getRcode()).isEqualTo(Rcode.FORMERR);
    }

    @Test
    void dispatcherRoutesByZone() throws IOException {
        ZoneTransferSource first = source(ZONE, null);
        ZoneTransferSource second = source(OTHER_ZONE, null);
        NotifyDispatcher dispatcher = new NotifyDispatcher(List.of(first, second));
        Message notify = notify(OTHER_ZONE, Opcode.NOTIFY);
        byte[] wire = notify.toWire();

        Message answer = dispatcher.handleNotify(new Message(wire), wire, PRIMARY);

        assertThat(answer.getRcode()).isEqualTo(Rcode.NOERROR);
        assertThat(second.status().notifyAcceptedCount()).isEqualTo(1);
        assertThat(first.status().notifyAcceptedCount()).isZero();
    }

    @Test
    void dispatcherRefusesUnknownZone() throws IOException {
        NotifyDispatcher dispatcher = new NotifyDispatcher(List.of(source(ZONE, null)));
        Message notify = notify(Name.fromString("unknown.test."), Opcode.NOTIFY);
        byte[] wire = notify.toWire();

        Message answer = dispatcher.handleNotify(new Message(wire), wire, PRIMARY);

        assertThat(answer.getRcode()).isEqualTo(Rcode.REFUSED);
        assertThat(answer.getHeader().getOpcode()).isEqualTo(Opcode.NOTIFY);
    }

    private ZoneTransferSource source(Name zone, TsigKey key) {
        return startable(config(zone, key));
    }

    private ZoneTransferSource startable(ZoneTransferConfig config) {
        ZoneTransferSource source = new ZoneTransferSource(config, update -> { });
        sources.add(source);
        return source;
    }

    private static ZoneTransferConfig config(Name zone, TsigKey key) {
        return ZoneTransferConfig.of(zone, List.of(new InetSocketAddress(PRIMARY, 53)),
                new ZoneSettings(ZoneSettings.DEFAULT_MAX_POLICY_TTL)).withTsigKey(key);
    }

    /** Passes {@code notify} through the wire format, as the DNS server receives it. */
    private static Message answer(ZoneTransferSource source, Message notify, InetAddress sender) throws IOException {
        byte[] wire = notify.toWire();
        return source.handleNotify(new Message(wire), wire, sender);
    }

    private static Message notify(Name zone, int opcode) {
        Message notify = new Message();
        notify.getHeader().setOpcode(opcode);
        notify.getHeader().setFlag(Flags.AA);
        notify.addRecord(Record.newRecord(zone, Type.SOA, DClass.IN), Section.QUESTION);
        return notify;
    }

    private static InetAddress address(String literal) {
        try {
            return InetAddress.getByName(literal);
        } catch (IOException e) {
            throw new IllegalArgumentException(literal, e);
        }
    }
}
