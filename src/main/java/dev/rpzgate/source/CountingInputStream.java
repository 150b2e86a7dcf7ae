package dev.rpzgate.source;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.zip.CRC32;

/** Input stream that counts the bytes read through it and keeps their CRC-32. Not thread-safe. */
final class CountingInputStream extends FilterInputStream {

    private final CRC32 crc = new CRC32();
    private long count;

    CountingInputStream(InputStream in) {
        super(in);
    }

    /** Returns the number of bytes read so far. */
    long count() {
        return count;
    }

    /** Returns the CRC-32 of the bytes read so far, an unsigned 32-bit value. */
    long crc32() {
        return crc.getValue();
    }

    @Override
    public int read() throws IOException {
        int value = in.read();
        if (value >= 0) {
            crc.update(value);
            count++;
        }
        return value;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        int read = in.read(buffer, offset, length);
        if (read > 0) {
            crc.update(buffer, offset, read);
            count += read;
        }
        return read;
    }

    @Override
    public long skip(long n) throws IOException {
        // Skipped bytes would be missing from the CRC, so they are read instead.
        byte[] buffer = new byte[8192];
        long skipped = 0;
        while (skipped < n) {
            int read = read(buffer, 0, (int) Math.min(buffer.length, n - skipped));
            if (read < 0) {
                break;
            }
            skipped += read;
        }
        return skipped;
    }

    @Override
    public boolean markSupported() {
        return false;
    }
}
