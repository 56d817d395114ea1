package io.esb.docker;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.function.Consumer;

/**
 * One container's log output, as {@code GET /containers/{id}/logs?stdout=1&stderr=1&timestamps=1} sends it, turned
 * into whole lines. Not thread-safe: one reader at a time (resumes included) feeds it.
 * <ul>
 *   <li>Frames: Docker multiplexes stdout and stderr in frames of an 8-byte header (stream, 0, 0, 0, big-endian
 *       size) and a payload. A frame cut by a read, or by the connection dropping, never splits a line: bytes collect
 *       per stream until a newline. A stream without headers (a container with a TTY) is read as raw stdout.</li>
 *   <li>Lines: {@code <RFC 3339 timestamp> <text>}. Text past {@link #MAX_LINE_BYTES} is cut at a character
 *       boundary and the line marked truncated; the rest of that line is read and dropped, never held.</li>
 *   <li>Request ids: {@code START RequestId: <id>} (which the RIE and the esb runtime print when an invocation
 *       starts) sets the id for the lines that follow, on either stream, through {@code REPORT RequestId: <id>},
 *       after which lines carry none again.</li>
 *   <li>Resuming: {@link #position()} is the timestamp of the last line delivered and how many delivered lines had
 *       exactly that timestamp. Docker's {@code since} is inclusive, so after {@link #resume()} the lines read again
 *       at that timestamp are skipped: across a dropped connection no line is delivered twice or lost.</li>
 * </ul>
 */
public final class ContainerLogStream {
    /** Longest text of one line that is delivered; longer lines are cut (8 KB). */
    public static final int MAX_LINE_BYTES = 8 * 1024;
    /** Room for Docker's timestamp prefix ({@code 2006-01-02T15:04:05.999999999Z }) before the text. */
    private static final int TIMESTAMP_ROOM = 40;
    /** A read that took longer than this waited for its data ({@link Reader#waited()}); one that found it buffered takes a few microseconds. */
    static final long WAITED_NANOS = 50_000;
    private static final String START = "START RequestId: ";
    private static final String REPORT = "REPORT RequestId: ";

    public enum Stream {
        STDOUT("stdout"), STDERR("stderr");

        private final String label;

        Stream(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }
    }

    /**
     * One line of the container's output.
     *
     * @param timestamp when Docker read it from the container (null if the line had no timestamp)
     * @param requestId the invocation it belongs to, or null outside an invocation
     * @param bytes     length of the whole line's text in bytes, before any truncation
     */
    public record Line(Stream stream, Instant timestamp, String text, String requestId, long bytes, boolean truncated) {}

    /** The last line delivered: its timestamp, and how many delivered lines carried exactly that timestamp. */
    public record Position(Instant timestamp, int linesAtTimestamp) {}

    private final Consumer<Line> sink;
    private final LineBuffer stdout = new LineBuffer();
    private final LineBuffer stderr = new LineBuffer();
    private final byte[] chunk = new byte[16 * 1024];
    private String requestId;
    private Position position;
    /** While resuming: lines at this timestamp still to skip, as they were delivered before. */
    private Instant skipAt;
    private int skipCount;

    public ContainerLogStream(Consumer<Line> sink) {
        this.sink = sink;
    }

    /** Null until a line with a timestamp has been delivered. */
    public Position position() {
        return position;
    }

    /** The request id the next line would carry, or null. */
    public String currentRequestId() {
        return requestId;
    }

    /**
     * Docker's {@code since} for the next request, in seconds with nanoseconds ({@code 1700000000.000000001}): the
     * last delivered line's timestamp, or {@code from} when none has been delivered yet.
     */
    public String since(Instant from) {
        var at = position != null ? position.timestamp() : from;
        return at.getEpochSecond() + "." + String.format("%09d", at.getNano());
    }

    /** Before reading again from {@link #since}: drops partial lines (they come again) and arms duplicate skipping. */
    public void resume() {
        stdout.clear();
        stderr.clear();
        if (position != null) {
            skipAt = position.timestamp();
            skipCount = position.linesAtTimestamp();
        }
    }

    /** At the end of a stopped container's output: delivers lines that never got their newline. */
    public void flushPartial() {
        if (stdout.hasData()) {
            complete(Stream.STDOUT, stdout);
        }
        if (stderr.hasData()) {
            complete(Stream.STDERR, stderr);
        }
    }

    /**
     * Reads a log stream until its end, delivering each whole line. Returns at the end of the stream (the container
     * stopped, or the connection ended); throws when reading fails. A frame cut short leaves its bytes pending.
     */
    public void readFrom(InputStream in) throws IOException {
        var reader = reader(in);
        while (reader.readSome()) {
            // each call delivers the lines one frame completes
        }
    }

    /** Reads one connection's log stream a frame at a time, for a caller that reads between other work. */
    public Reader reader(InputStream in) {
        return new Reader(in);
    }

    /** One connection's log stream, read into this container's lines. */
    public final class Reader {
        private final InputStream in;
        private final byte[] header = new byte[8];
        /** Set once the stream starts without a frame header: a TTY container's raw output, all of it stdout. */
        private boolean raw;

        private Reader(InputStream in) {
            this.in = in;
        }

        /** Set by {@link #readSome()}: whether its frame had not arrived yet, so the read waited for the daemon. */
        private boolean waited;

        /**
         * Whether the last {@link #readSome()} waited for its frame: a frame already received starts within
         * microseconds, one still to come takes at least a thread's wake-up. The stream's {@code available()} cannot
         * tell: the daemon sends each frame as a chunk of its HTTP answer, and a chunked stream reports nothing past
         * the end of the current chunk, however much is buffered.
         */
        public boolean waited() {
            return waited;
        }

        /**
         * Reads one frame (from a TTY container, one chunk) and delivers the whole lines it completes. Answers false
         * at the end of the stream, or when it is cut inside a header (its bytes come again); throws when reading fails.
         */
        public boolean readSome() throws IOException {
            long began = System.nanoTime();
            if (raw) {
                int n = in.read(chunk);
                waited = System.nanoTime() - began > WAITED_NANOS;
                if (n < 0) {
                    return false;
                }
                accept(Stream.STDOUT, chunk, 0, n);
                return true;
            }
            int got = readUpTo(in, header, 8);
            waited = System.nanoTime() - began > WAITED_NANOS;
            if (got < 8) {
                return false;
            }
            if (!isFrameHeader(header)) {
                raw = true;
                accept(Stream.STDOUT, header, 0, got);
                return true;
            }
            var stream = header[0] == 2 ? Stream.STDERR : Stream.STDOUT;
            long remaining = ((header[4] & 0xFFL) << 24) | ((header[5] & 0xFF) << 16) | ((header[6] & 0xFF) << 8) | (header[7] & 0xFF);
            while (remaining > 0) {
                int n = in.read(chunk, 0, (int) Math.min(chunk.length, remaining));
                if (n < 0) {
                    return false;
                }
                accept(stream, chunk, 0, n);
                remaining -= n;
            }
            return true;
        }
    }

    /** Payload bytes of one stream; whole lines among them are delivered, the rest waits for its newline. */
    public void accept(Stream stream, byte[] bytes, int offset, int length) {
        var buffer = stream == Stream.STDERR ? stderr : stdout;
        int start = offset;
        int end = offset + length;
        for (int i = offset; i < end; i++) {
            if (bytes[i] == '\n') {
                buffer.append(bytes, start, i - start);
                complete(stream, buffer);
                start = i + 1;
            }
        }
        buffer.append(bytes, start, end - start);
    }

    private void complete(Stream stream, LineBuffer buffer) {
        Instant timestamp = null;
        int textStart = 0;
        int space = buffer.indexOf((byte) ' ', TIMESTAMP_ROOM);
        if (space > 0) {
            try {
                timestamp = Instant.parse(new String(buffer.bytes, 0, space, StandardCharsets.US_ASCII));
                textStart = space + 1;
            } catch (DateTimeParseException notATimestamp) {
                // a line without Docker's prefix: all of it is text
            }
        }
        long total = buffer.total - textStart;
        int kept = buffer.length - textStart;
        if (kept > 0 && total == kept && buffer.bytes[buffer.length - 1] == '\r') {
            kept--;
            total--;
        }
        boolean truncated = total > MAX_LINE_BYTES;
        if (kept > MAX_LINE_BYTES) {
            kept = MAX_LINE_BYTES;
        }
        if (truncated) {
            // Cut at a character boundary: never before a UTF-8 continuation byte.
            while (kept > 0 && (buffer.bytes[textStart + kept] & 0xC0) == 0x80) {
                kept--;
            }
        }
        var text = new String(buffer.bytes, textStart, kept, StandardCharsets.UTF_8);
        buffer.clear();
        if (timestamp != null && skipAt != null) {
            if (timestamp.isBefore(skipAt)) {
                return; // before the resume point (Docker's since is inclusive, so none should come)
            }
            if (timestamp.equals(skipAt) && skipCount > 0) {
                skipCount--;
                return; // delivered before the connection dropped
            }
            skipAt = null;
        }
        String lineRequestId = requestId;
        if (text.startsWith(START)) {
            requestId = token(text, START.length());
            lineRequestId = requestId;
        } else if (text.startsWith(REPORT)) {
            lineRequestId = token(text, REPORT.length());
            requestId = null;
        }
        if (timestamp != null) {
            if (position == null || timestamp.isAfter(position.timestamp())) {
                position = new Position(timestamp, 1);
            } else if (timestamp.equals(position.timestamp())) {
                position = new Position(timestamp, position.linesAtTimestamp() + 1);
            }
        }
        sink.accept(new Line(stream, timestamp, text, lineRequestId, total, truncated));
    }

    private static String token(String text, int from) {
        int end = from;
        while (end < text.length() && !Character.isWhitespace(text.charAt(end))) {
            end++;
        }
        return end > from ? text.substring(from, end) : null;
    }

    private static boolean isFrameHeader(byte[] header) {
        return header[0] >= 0 && header[0] <= 2 && header[1] == 0 && header[2] == 0 && header[3] == 0;
    }

    private static int readUpTo(InputStream in, byte[] into, int wanted) throws IOException {
        int got = 0;
        while (got < wanted) {
            int n = in.read(into, got, wanted - got);
            if (n < 0) {
                break;
            }
            got += n;
        }
        return got;
    }

    /** The start of one line (timestamp and up to {@link #MAX_LINE_BYTES} of text, plus one byte) and its full length. */
    private static final class LineBuffer {
        final byte[] bytes = new byte[TIMESTAMP_ROOM + MAX_LINE_BYTES + 1];
        int length;
        long total;

        void append(byte[] from, int offset, int count) {
            int room = Math.min(count, bytes.length - length);
            System.arraycopy(from, offset, bytes, length, room);
            length += room;
            total += count;
        }

        boolean hasData() {
            return total > 0;
        }

        int indexOf(byte b, int within) {
            for (int i = 0; i < Math.min(length, within); i++) {
                if (bytes[i] == b) {
                    return i;
                }
            }
            return -1;
        }

        void clear() {
            length = 0;
            total = 0;
        }
    }
}
