package io.esb.cli;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.StreamType;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.function.Consumer;

/**
 * One container's log frames ({@code timestamps=1}) turned into whole lines, each tagged with the container's short
 * id. A frame may end mid-line, so bytes collect per stream until a newline; {@link #flush()} hands over the rest.
 */
final class ContainerLines extends ResultCallback.Adapter<Frame> {
    /** A line as Docker stored it: {@code timestamp} is null when the line carried none. */
    record Line(Instant timestamp, String shortId, String text) {
        String printed() {
            return shortId + " | " + text;
        }
    }

    private final String shortId;
    private final Consumer<Line> sink;
    private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    private final ByteArrayOutputStream stderr = new ByteArrayOutputStream();

    ContainerLines(String containerId, Consumer<Line> sink) {
        this.shortId = containerId.length() > 12 ? containerId.substring(0, 12) : containerId;
        this.sink = sink;
    }

    @Override
    public synchronized void onNext(Frame frame) {
        var buffer = frame.getStreamType() == StreamType.STDERR ? stderr : stdout;
        for (byte b : frame.getPayload()) {
            if (b == '\n') {
                emit(buffer);
            } else {
                buffer.write(b);
            }
        }
    }

    /** Delivers a last line that had no newline yet. */
    synchronized void flush() {
        if (stdout.size() > 0) {
            emit(stdout);
        }
        if (stderr.size() > 0) {
            emit(stderr);
        }
    }

    private void emit(ByteArrayOutputStream buffer) {
        var text = buffer.toString(StandardCharsets.UTF_8);
        buffer.reset();
        if (text.endsWith("\r")) {
            text = text.substring(0, text.length() - 1);
        }
        sink.accept(parse(shortId, text));
    }

    /** {@code <RFC 3339 timestamp> <text>}, as Docker prefixes each line; a line without one keeps all its text. */
    static Line parse(String shortId, String raw) {
        int space = raw.indexOf(' ');
        if (space > 0) {
            try {
                return new Line(Instant.parse(raw.substring(0, space)), shortId, raw.substring(space + 1));
            } catch (DateTimeParseException notATimestamp) {
                // fall through: the text as it came
            }
        }
        return new Line(null, shortId, raw);
    }
}
