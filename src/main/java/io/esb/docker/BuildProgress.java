package io.esb.docker;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.model.BuildResponseItem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static net.logstash.logback.argument.StructuredArguments.kv;

/**
 * Follows one image build's output stream: one INFO per build step ({@code Step 2/3 : ENV ...}) with the function and
 * the tag, never the steps' own output; remembers the built image's id and the error the daemon reported, if any.
 */
final class BuildProgress extends ResultCallback.Adapter<BuildResponseItem> {
    private static final Logger log = LoggerFactory.getLogger(BuildProgress.class);
    private static final int MAX_TEXT = 300;

    private final String function;
    private final String tag;
    private volatile String imageId;
    private volatile String error;
    private volatile int steps;

    BuildProgress(String function, String tag) {
        this.function = function;
        this.tag = tag;
    }

    @Override
    public void onNext(BuildResponseItem item) {
        if (item.isErrorIndicated()) {
            var detail = item.getErrorDetail() != null && item.getErrorDetail().getMessage() != null
                    ? item.getErrorDetail().getMessage() : item.getError();
            error = shorten(String.valueOf(detail));
            return;
        }
        if (item.getStream() != null) {
            item.getStream().lines().map(String::strip).filter(line -> line.startsWith("Step ")).forEach(step -> {
                steps++;
                log.info("Image build step", kv("function_name", function), kv("image", tag), kv("step", shorten(step)));
            });
        }
        if (item.getImageId() != null) {
            imageId = item.getImageId();
        }
    }

    /** The built image's id; throws with the daemon's reason when the build failed. */
    String result() {
        throwFirstError(); // the stream itself broke (connection lost): a failure with the I/O error as its cause
        if (error != null) {
            throw new ImageBuildFailed(error);
        }
        if (imageId == null) {
            throw new ImageBuildFailed("the daemon ended the build without reporting an image");
        }
        return imageId;
    }

    int steps() {
        return steps;
    }

    private static String shorten(String text) {
        var line = text.strip().replaceAll("\\s+", " ");
        return line.length() > MAX_TEXT ? line.substring(0, MAX_TEXT) + "..." : line;
    }

    /** A build the daemon ran and reported as failed, or one past its deadline. */
    static final class ImageBuildFailed extends RuntimeException {
        ImageBuildFailed(String message) {
            super(message, null, false, false);
        }
    }
}
