package dev.rpzgate.source;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Zone file stream for dnsjava's {@link org.xbill.DNS.Master} that counts the lines it delivers
 * and rewrites relative {@code $INCLUDE} paths.
 *
 * <p>{@code Master} has no public line getter. Its {@code Tokenizer} wraps a stream in a
 * {@link BufferedInputStream} unless it already is one, then reads single bytes through a
 * {@link java.io.PushbackInputStream}. Extending {@code BufferedInputStream} keeps this class the
 * direct source of those bytes, so the number of {@code '\n'} bytes delivered so far is the
 * number of the line the parser is on. The class does its own buffering and leaves the buffer of the
 * superclass unused.
 *
 * <p>dnsjava rejects a relative {@code $INCLUDE} path when it parses a stream, so this class
 * rewrites the path of each {@code $INCLUDE} line to an absolute, quoted path resolved against the
 * directory of the zone file. It also ends the last line with {@code '\n'} when the file does not.
 *
 * <p>Instances are not thread-safe.
 */
final class LineCountingZoneStream extends BufferedInputStream {

    private static final String INCLUDE = "$INCLUDE";
    private static final int CHUNK_SIZE = 64 * 1024;

    private final Path directory;
    private final byte[] chunk = new byte[CHUNK_SIZE];
    private int chunkPosition;
    private int chunkLength;
    private boolean sourceEnded;

    private byte[] line = new byte[256];
    private int lineLength;
    private int linePosition;

    private int completedLines;
    private int lastByte = -1;
    private final List<Path> includes = new ArrayList<>();

    /**
     * Creates a stream over {@code source}, which {@link #close()} closes.
     *
     * @param directory directory that relative {@code $INCLUDE} paths are resolved against, or
     *     null to reject {@code $INCLUDE}, because a zone downloaded from a URL must not read
     *     local files
     */
    LineCountingZoneStream(InputStream source, Path directory) {
        super(Objects.requireNonNull(source, "source"), 1);
        this.directory = directory;
    }

    /**
     * Returns the line of the byte read last, counting from 1. Right after {@code Master} returns
     * a record, this is the line where the record ends, because the parser has just consumed the
     * {@code '\n'} that ends it. Returns 1 before the first byte.
     */
    int currentLine() {
        return lastByte == '\n' ? completedLines : completedLines + 1;
    }

    /** Returns the files named by the {@code $INCLUDE} directives of this stream, in the order of the directives. */
    List<Path> includes() {
        return List.copyOf(includes);
    }

    @Override
    public int read() throws IOException {
        if (linePosition == lineLength && !loadLine()) {
            return -1;
        }
        int value = line[linePosition++] & 0xFF;
        if (value == '\n') {
            completedLines++;
        }
        lastByte = value;
        return value;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        Objects.checkFromIndexSize(offset, length, buffer.length);
        if (length == 0) {
            return 0;
        }
        if (linePosition == lineLength && !loadLine()) {
            return -1;
        }
        int count = Math.min(length, lineLength - linePosition);
        System.arraycopy(line, linePosition, buffer, offset, count);
        for (int i = linePosition; i < linePosition + count; i++) {
            if (line[i] == '\n') {
                completedLines++;
            }
        }
        linePosition += count;
        lastByte = line[linePosition - 1] & 0xFF;
        return count;
    }

    @Override
    public long skip(long count) throws IOException {
        long skipped = 0;
        while (skipped < count && read() >= 0) {
            skipped++;
        }
        return skipped;
    }

    @Override
    public int available() {
        return lineLength - linePosition;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public void mark(int readLimit) {
        // Not supported, as markSupported() reports.
    }

    @Override
    public void reset() throws IOException {
        throw new IOException("mark and reset are not supported");
    }

    /** Loads the next line into {@link #line}. Returns false at the end of the file. */
    private boolean loadLine() throws IOException {
        lineLength = 0;
        linePosition = 0;
        while (true) {
            if (chunkPosition == chunkLength) {
                if (sourceEnded || !fillChunk()) {
                    break;
                }
            }
            int end = chunkPosition;
            while (end < chunkLength && chunk[end] != '\n') {
                end++;
            }
            boolean endOfLine = end < chunkLength;
            if (endOfLine) {
                end++;
            }
            append(chunk, chunkPosition, end - chunkPosition);
            chunkPosition = end;
            if (endOfLine) {
                break;
            }
        }
        if (lineLength == 0) {
            return false;
        }
        if (line[lineLength - 1] != '\n') {
            append(new byte[] {'\n'}, 0, 1);
        }
        if (startsWithInclude()) {
            if (directory == null) {
                throw new IncludeRejectedException(completedLines + 1);
            }
            rewriteInclude();
        }
        return true;
    }

    private boolean fillChunk() throws IOException {
        int count;
        try {
            count = in.read(chunk, 0, chunk.length);
        } catch (IOException e) {
            throw new ZoneFileReadException(e);
        }
        if (count < 0) {
            sourceEnded = true;
            return false;
        }
        chunkPosition = 0;
        chunkLength = count;
        return true;
    }

    private void append(byte[] bytes, int offset, int count) {
        if (lineLength + count > line.length) {
            line = Arrays.copyOf(line, Math.max(line.length * 2, lineLength + count));
        }
        System.arraycopy(bytes, offset, line, lineLength, count);
        lineLength += count;
    }

    /** Returns whether {@link #line} is an {@code $INCLUDE} directive, without decoding the line. */
    private boolean startsWithInclude() {
        if (lineLength <= INCLUDE.length() || line[0] != '$') {
            return false;
        }
        for (int i = 0; i < INCLUDE.length(); i++) {
            if (Character.toUpperCase((char) line[i]) != INCLUDE.charAt(i)) {
                return false;
            }
        }
        byte next = line[INCLUDE.length()];
        return next == ' ' || next == '\t';
    }

    /**
     * Returns whether {@code text}, one line of a zone file, is an {@code $INCLUDE} directive. dnsjava
     * takes a directive only at the start of a line, in any letter case.
     */
    static boolean startsWithInclude(String text) {
        if (text.length() <= INCLUDE.length() || !text.regionMatches(true, 0, INCLUDE, 0, INCLUDE.length())) {
            return false;
        }
        char next = text.charAt(INCLUDE.length());
        return next == ' ' || next == '\t';
    }

    /**
     * The file name of an {@code $INCLUDE} line as written, without quotes.
     *
     * @param path the file name, empty when the line has none
     * @param restStart index in the line where the text after the file name starts
     */
    record IncludeDirective(String path, int restStart) {

        /**
         * Reads the file name of {@code text}, a line for which {@link #startsWithInclude(String)}
         * holds, or returns null when a quoted name has no closing quote, which dnsjava reports.
         */
        static IncludeDirective parse(String text) {
            int position = INCLUDE.length();
            while (position < text.length() && (text.charAt(position) == ' ' || text.charAt(position) == '\t')) {
                position++;
            }
            if (position < text.length() && text.charAt(position) == '"') {
                int close = text.indexOf('"', position + 1);
                return close < 0 ? null : new IncludeDirective(text.substring(position + 1, close), close + 1);
            }
            int end = position;
            while (end < text.length() && " \t;()\"\r\n".indexOf(text.charAt(end)) < 0) {
                end++;
            }
            return new IncludeDirective(text.substring(position, end), end);
        }
    }

    /**
     * Replaces a relative path in the {@code $INCLUDE} line with an absolute, quoted one and keeps
     * the rest of the line. The line is decoded and encoded as ISO-8859-1 because dnsjava's
     * tokenizer turns each byte into one char. An absolute path is kept as written and listed too.
     */
    private void rewriteInclude() throws IOException {
        String text = new String(line, 0, lineLength, StandardCharsets.ISO_8859_1);
        IncludeDirective directive = IncludeDirective.parse(text);
        if (directive == null || directive.path().isEmpty()) {
            // dnsjava reports the missing quote or file name with its line number.
            return;
        }

        Path resolved;
        try {
            Path includePath = Path.of(directive.path());
            if (includePath.isAbsolute()) {
                includes.add(includePath.normalize());
                return;
            }
            resolved = directory.resolve(includePath).normalize();
        } catch (InvalidPathException e) {
            throw new IOException("invalid $INCLUDE path '" + directive.path() + "': " + e.getReason(), e);
        }
        String resolvedText = resolved.toString();
        if (resolvedText.indexOf('"') >= 0
                || !StandardCharsets.ISO_8859_1.newEncoder().canEncode(resolvedText)) {
            throw new IOException("$INCLUDE path " + resolved
                    + " contains a double quote or a character outside ISO-8859-1, which dnsjava cannot read");
        }

        String rewritten = text.substring(0, INCLUDE.length()) + " \"" + resolvedText + "\""
                + text.substring(directive.restStart());
        byte[] bytes = rewritten.getBytes(StandardCharsets.ISO_8859_1);
        lineLength = 0;
        append(bytes, 0, bytes.length);
        includes.add(resolved);
    }

    /** A {@code $INCLUDE} directive in a zone that may not read local files. */
    static final class IncludeRejectedException extends IOException {

        private static final long serialVersionUID = 1L;

        private final int line;

        IncludeRejectedException(int line) {
            super("$INCLUDE is not allowed in a zone that is not read from a local file");
            this.line = line;
        }

        /** Returns the line of the directive, counting from 1. */
        int line() {
            return line;
        }
    }
}
