package io.esb.docker;

import io.esb.docker.ContainerLogStream.Line;
import io.esb.docker.ContainerLogStream.Stream;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ContainerLogStreamTest {
    private static final String T1 = "2026-11-28T20:52:32.798616204Z";
    private static final String T2 = "2026-11-28T20:52:32.798755110Z";
    private static final String T3 = "2026-11-28T20:52:33.000000001Z";

    private final List<Line> lines = new ArrayList<>();
    private final ContainerLogStream stream = new ContainerLogStream(lines::add);

    /** Docker's multiplexed framing: stream byte, three zeros, big-endian payload size, payload. */
    private static byte[] frame(int streamType, String payload) {
        var bytes = payload.getBytes(StandardCharsets.UTF_8);
        var out = new ByteArrayOutputStream();
        out.write(streamType);
        out.write(0);
        out.write(0);
        out.write(0);
        out.write(bytes.length >>> 24);
        out.write(bytes.length >>> 16);
        out.write(bytes.length >>> 8);
        out.write(bytes.length);
        out.writeBytes(bytes);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        var out = new ByteArrayOutputStream();
        for (var part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }

    /** Hands out at most {@code n} bytes per read, as a slow socket does: frames and headers arrive in pieces. */
    private static InputStream trickle(byte[] bytes, int n) {
        return new FilterInputStream(new ByteArrayInputStream(bytes)) {
            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return super.read(b, off, Math.min(len, n));
            }
        };
    }

    private List<String> texts() {
        return lines.stream().map(Line::text).toList();
    }

    @Test
    void aReaderTellsAReadThatWaitedForItsFrameFromOneThatFoundItReceived() throws IOException {
        // As the daemon's chunked answer: available() says nothing past a frame, though the next one is buffered.
        var backlog = new ByteArrayOutputStream();
        backlog.writeBytes(frame(1, T1 + " one\n"));
        for (int i = 0; i < 200; i++) {
            backlog.writeBytes(frame(1, T2 + " more " + i + "\n"));
        }
        var in = new InputStream() {
            private final ByteArrayInputStream bytes = new ByteArrayInputStream(backlog.toByteArray());
            private boolean slept;

            @Override
            public int read() {
                return bytes.read();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (!slept) {
                    slept = true;
                    try {
                        Thread.sleep(5); // the first frame is still to come
                    } catch (InterruptedException e) {
                        throw new IOException(e);
                    }
                }
                return bytes.read(b, off, len);
            }

            @Override
            public int available() {
                return 0;
            }
        };
        var reader = stream.reader(in);
        assertThat(reader.readSome()).isTrue();
        assertThat(texts()).containsExactly("one");
        assertThat(reader.waited()).isTrue(); // a follower lets more output gather before its next read
        int waitedFor = 0;
        for (int i = 0; i < 200; i++) {
            assertThat(reader.readSome()).isTrue();
            waitedFor += reader.waited() ? 1 : 0;
        }
        assertThat(texts()).hasSize(201).endsWith("more 199");
        // Each was already here: a backlog is read on without a pause (a rare read may look slow on a busy machine).
        assertThat(waitedFor).isLessThan(20);
    }

    @Test
    void splitsDockersTimestampFromTheTextAndNamesTheStream() throws IOException {
        stream.readFrom(new ByteArrayInputStream(concat(
                frame(1, T1 + " hello from stdout\n"),
                frame(2, T2 + " and from stderr {with braces}\n"))));

        assertThat(lines).containsExactly(
                new Line(Stream.STDOUT, Instant.parse(T1), "hello from stdout", null, 17, false),
                new Line(Stream.STDERR, Instant.parse(T2), "and from stderr {with braces}", null, 29, false));
        assertThat(lines.get(0).timestamp().getNano()).isEqualTo(798_616_204);
    }

    @Test
    void framesArrivingInPiecesNeverSplitALine() throws IOException {
        // One line written by the container in two frames (Docker's partial messages), and everything read 3 bytes at a time.
        var bytes = concat(
                frame(1, T1 + " first half, "),
                frame(2, T2 + " an stderr line in between\n"),
                frame(1, "second half\n"),
                frame(1, T3 + " caf\u00e9 \u2603\n"));

        stream.readFrom(trickle(bytes, 3));

        assertThat(lines).extracting(Line::stream, Line::text).containsExactly(
                org.assertj.core.groups.Tuple.tuple(Stream.STDERR, "an stderr line in between"),
                org.assertj.core.groups.Tuple.tuple(Stream.STDOUT, "first half, second half"),
                org.assertj.core.groups.Tuple.tuple(Stream.STDOUT, "caf\u00e9 \u2603"));
    }

    @Test
    void aStreamCutInsideAFrameDeliversNothingOfThatLine() throws IOException {
        var whole = frame(1, T1 + " complete\n");
        var cut = frame(1, T2 + " this line's frame is cut short\n");
        var bytes = concat(whole, java.util.Arrays.copyOf(cut, cut.length - 10));

        stream.readFrom(new ByteArrayInputStream(bytes));

        assertThat(texts()).containsExactly("complete");
        assertThat(stream.position()).isEqualTo(new ContainerLogStream.Position(Instant.parse(T1), 1));
    }

    @Test
    void tracksTheRequestIdFromStartThroughReportOnBothStreams() throws IOException {
        stream.readFrom(new ByteArrayInputStream(concat(
                frame(2, T1 + " esb-runtime: handler=fixture listening on 0.0.0.0:8080\n"),
                frame(1, T1 + " START RequestId: 11111111-aaaa Version: $LATEST\n"),
                frame(1, T1 + " a handler line\n"),
                frame(2, T1 + " a handler line on stderr\n"),
                frame(1, T1 + " END RequestId: 11111111-aaaa\n"),
                frame(1, T1 + " REPORT RequestId: 11111111-aaaa\tDuration: 1.20 ms\tBilled Duration: 2 ms\n"),
                frame(1, T2 + " between invocations\n"),
                frame(1, T2 + " START RequestId: 22222222-bbbb Version: $LATEST\n"),
                frame(1, T2 + " second invocation\n"))));

        assertThat(lines).extracting(Line::text, Line::requestId).containsExactly(
                org.assertj.core.groups.Tuple.tuple("esb-runtime: handler=fixture listening on 0.0.0.0:8080", null),
                org.assertj.core.groups.Tuple.tuple("START RequestId: 11111111-aaaa Version: $LATEST", "11111111-aaaa"),
                org.assertj.core.groups.Tuple.tuple("a handler line", "11111111-aaaa"),
                org.assertj.core.groups.Tuple.tuple("a handler line on stderr", "11111111-aaaa"),
                org.assertj.core.groups.Tuple.tuple("END RequestId: 11111111-aaaa", "11111111-aaaa"),
                org.assertj.core.groups.Tuple.tuple("REPORT RequestId: 11111111-aaaa\tDuration: 1.20 ms\tBilled Duration: 2 ms", "11111111-aaaa"),
                org.assertj.core.groups.Tuple.tuple("between invocations", null),
                org.assertj.core.groups.Tuple.tuple("START RequestId: 22222222-bbbb Version: $LATEST", "22222222-bbbb"),
                org.assertj.core.groups.Tuple.tuple("second invocation", "22222222-bbbb"));
        assertThat(stream.currentRequestId()).isEqualTo("22222222-bbbb");
    }

    @Test
    void longLinesAreCutAtTheLimitOnACharacterBoundaryAndMarked() throws IOException {
        // 8191 ASCII bytes, then 2-byte characters: byte 8192 falls inside the first of them.
        var longText = "a".repeat(ContainerLogStream.MAX_LINE_BYTES - 1) + "\u00e9".repeat(20_000);
        stream.readFrom(trickle(concat(
                frame(1, T1 + " " + longText.substring(0, 10_000)),
                frame(1, T1 + " " + longText.substring(10_000) + "\n"),
                frame(1, T2 + " the next line is whole\n")), 4096));

        assertThat(lines).hasSize(2);
        var cut = lines.get(0);
        assertThat(cut.truncated()).isTrue();
        assertThat(cut.text()).isEqualTo("a".repeat(ContainerLogStream.MAX_LINE_BYTES - 1));
        // Docker's second timestamp (of the partial message) counts toward the line's bytes, as it arrived inside it.
        assertThat(cut.bytes()).isEqualTo(longText.getBytes(StandardCharsets.UTF_8).length + T1.length() + 1);
        assertThat(lines.get(1)).isEqualTo(new Line(Stream.STDOUT, Instant.parse(T2), "the next line is whole", null, 22, false));
    }

    @Test
    void aLineOfExactlyTheLimitIsWhole() throws IOException {
        var text = "x".repeat(ContainerLogStream.MAX_LINE_BYTES);
        stream.readFrom(new ByteArrayInputStream(frame(1, T1 + " " + text + "\n")));
        assertThat(lines).containsExactly(new Line(Stream.STDOUT, Instant.parse(T1), text, null, text.length(), false));
    }

    @Test
    void resumingSkipsExactlyTheLinesAlreadyDeliveredAtTheLastTimestamp() throws IOException {
        stream.readFrom(new ByteArrayInputStream(concat(
                frame(1, T1 + " one\n"),
                frame(1, T2 + " two\n"),
                frame(2, T2 + " three, same nanosecond\n"),
                frame(1, T3 + " four, cut: no newline yet"))));
        assertThat(texts()).containsExactly("one", "two", "three, same nanosecond");
        assertThat(stream.position()).isEqualTo(new ContainerLogStream.Position(Instant.parse(T2), 2));
        assertThat(stream.since(Instant.EPOCH)).isEqualTo(Instant.parse(T2).getEpochSecond() + ".798755110");

        // The connection dropped. Docker's since is inclusive: reading again from T2 repeats two and three.
        stream.resume();
        stream.readFrom(new ByteArrayInputStream(concat(
                frame(1, T2 + " two\n"),
                frame(2, T2 + " three, same nanosecond\n"),
                frame(1, T2 + " five, also at T2 but new\n"),
                frame(1, T3 + " four, cut: no newline yet\n"))));

        assertThat(texts()).containsExactly("one", "two", "three, same nanosecond", "five, also at T2 but new", "four, cut: no newline yet");
    }

    @Test
    void sinceStartsFromTheGivenInstantUntilALineIsDelivered() {
        assertThat(stream.since(Instant.ofEpochSecond(1_700_000_000L, 42))).isEqualTo("1700000000.000000042");
    }

    @Test
    void aStoppedContainersLastLineWithoutNewlineIsFlushed() throws IOException {
        stream.readFrom(new ByteArrayInputStream(concat(frame(1, T1 + " done\r\n"), frame(2, T2 + " last words"))));
        assertThat(texts()).containsExactly("done");

        stream.flushPartial();

        assertThat(lines).extracting(Line::stream, Line::text).containsExactly(
                org.assertj.core.groups.Tuple.tuple(Stream.STDOUT, "done"),
                org.assertj.core.groups.Tuple.tuple(Stream.STDERR, "last words"));
    }

    @Test
    void aStreamWithoutFrameHeadersIsReadAsRawStdout() throws IOException {
        stream.readFrom(trickle((T1 + " tty line one\n" + T2 + " tty line two\n").getBytes(StandardCharsets.UTF_8), 5));
        assertThat(lines).extracting(Line::stream, Line::text, Line::timestamp).containsExactly(
                org.assertj.core.groups.Tuple.tuple(Stream.STDOUT, "tty line one", Instant.parse(T1)),
                org.assertj.core.groups.Tuple.tuple(Stream.STDOUT, "tty line two", Instant.parse(T2)));
    }

    @Test
    void aLineWithoutTimestampIsAllText() {
        var bytes = "no timestamp here\n".getBytes(StandardCharsets.UTF_8);
        stream.accept(Stream.STDOUT, bytes, 0, bytes.length);
        assertThat(lines).containsExactly(new Line(Stream.STDOUT, null, "no timestamp here", null, 17, false));
        assertThat(stream.position()).isNull();
    }
}
