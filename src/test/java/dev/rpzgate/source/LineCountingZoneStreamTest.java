package dev.rpzgate.source;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.xbill.DNS.Master;
import org.xbill.DNS.Name;
import org.xbill.DNS.Record;

class LineCountingZoneStreamTest {

    private static final Path DIRECTORY = Path.of("/srv/zones");
    private static final Name ORIGIN = Name.fromConstantString("rpz.local.");

    private static LineCountingZoneStream streamOf(String text) {
        InputStream source = new ByteArrayInputStream(text.getBytes(StandardCharsets.ISO_8859_1));
        return new LineCountingZoneStream(source, DIRECTORY);
    }

    private static String readAll(LineCountingZoneStream stream) throws IOException {
        return new String(stream.readAllBytes(), StandardCharsets.ISO_8859_1);
    }

    /** Parses {@code text} with dnsjava and returns "owner line" for each record. */
    private static List<String> recordLines(String text) throws IOException {
        LineCountingZoneStream stream = streamOf(text);
        Master master = new Master(stream, ORIGIN, 300);
        List<String> result = new ArrayList<>();
        Record record;
        while ((record = master.nextRecord()) != null) {
            result.add(record.getName().relativize(ORIGIN) + " " + stream.currentLine());
        }
        return result;
    }

    @Test
    void recordLinesFollowParser() throws IOException {
        String text = "; comment\n"
                + "\n"
                + "a CNAME .\n"
                + "b CNAME . ; trailing comment\n"
                + "  CNAME *.\n"
                + "$TTL 60\n"
                + "c TXT \"x\" \"y\"\n";
        assertThat(recordLines(text)).containsExactly("a 3", "b 4", "b 5", "c 7");
    }

    @Test
    void multilineRecordReportsLastLine() throws IOException {
        String text = "@ SOA ns.rpz.local. admin.rpz.local. (\n"
                + "    1 ; serial\n"
                + "    3600 600 86400 60 )\n"
                + "d CNAME .\n";
        assertThat(recordLines(text)).containsExactly("@ 3", "d 4");
    }

    @Test
    void crlfLineEndingsCount() throws IOException {
        assertThat(recordLines("a CNAME .\r\nb CNAME .\r\n")).containsExactly("a 1", "b 2");
    }

    @Test
    void missingFinalNewlineIsAdded() throws IOException {
        assertThat(readAll(streamOf("a CNAME .\nb CNAME ."))).isEqualTo("a CNAME .\nb CNAME .\n");
        assertThat(recordLines("a CNAME .\nb CNAME .")).containsExactly("a 1", "b 2");
    }

    @Test
    void emptySourceHasNoBytes() throws IOException {
        LineCountingZoneStream stream = streamOf("");
        assertThat(stream.read()).isEqualTo(-1);
        assertThat(stream.currentLine()).isEqualTo(1);
    }

    @Test
    void relativeIncludeBecomesAbsolute() throws IOException {
        LineCountingZoneStream stream = streamOf("$INCLUDE sub/more.rpz other.local. ; note\nx CNAME .\n");

        assertThat(readAll(stream))
                .isEqualTo("$INCLUDE \"/srv/zones/sub/more.rpz\" other.local. ; note\nx CNAME .\n");
        assertThat(stream.includes()).containsExactly(Path.of("/srv/zones/sub/more.rpz"));
    }

    @Test
    void quotedAndLowercaseIncludeIsRewritten() throws IOException {
        LineCountingZoneStream stream = streamOf("$include\t\"../shared/more.rpz\"\r\n");

        assertThat(readAll(stream)).isEqualTo("$include \"/srv/shared/more.rpz\"\r\n");
    }

    @Test
    void absoluteIncludeIsKeptAndListed() throws IOException {
        String text = "$INCLUDE /etc/rpz/more.rpz\n";
        LineCountingZoneStream stream = streamOf(text);

        assertThat(readAll(stream)).isEqualTo(text);
        assertThat(stream.includes()).containsExactly(Path.of("/etc/rpz/more.rpz"));
    }

    @Test
    void nonDirectiveIncludeIsKept() throws IOException {
        String text = "$INCLUDEX a.rpz\n  $INCLUDE b.rpz\n";
        assertThat(readAll(streamOf(text))).isEqualTo(text);
    }

    @Test
    void longLinesSurviveBufferGrowth() throws IOException {
        String longLine = "a TXT \"" + "x".repeat(200_000) + "\"\n";
        assertThat(readAll(streamOf(longLine + "b CNAME .\n"))).isEqualTo(longLine + "b CNAME .\n");
    }

    @Test
    void bulkReadCountsLines() throws IOException {
        LineCountingZoneStream stream = streamOf("a\nb\nc");
        byte[] buffer = new byte[16];
        int total = 0;
        int count;
        while ((count = stream.read(buffer, 0, buffer.length)) > 0) {
            total += count;
        }
        assertThat(total).isEqualTo(6);
        assertThat(stream.currentLine()).isEqualTo(3);
    }

    @Test
    void markIsUnsupported() {
        LineCountingZoneStream stream = streamOf("a\n");
        assertThat(stream.markSupported()).isFalse();
        assertThatThrownBy(stream::reset).isInstanceOf(IOException.class);
    }
}
