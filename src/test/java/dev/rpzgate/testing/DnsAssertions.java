package dev.rpzgate.testing;

import static org.assertj.core.api.Assertions.assertThat;

import org.xbill.DNS.Message;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;

/** Assertions on DNS messages that several end-to-end tests share. */
public final class DnsAssertions {

    private DnsAssertions() {
    }

    /**
     * Asserts a policy answer without records: the given rcode, an empty answer section and one record (the policy
     * zone's SOA) in the additional section.
     */
    public static void assertEmptyPolicyAnswer(Message answer, int rcode) {
        assertThat(answer.getRcode()).as("rcode %s", Rcode.string(answer.getRcode())).isEqualTo(rcode);
        assertThat(answer.getSection(Section.ANSWER)).as("answer section").isEmpty();
        assertThat(answer.getSection(Section.ADDITIONAL)).as("additional section").hasSize(1);
    }
}
