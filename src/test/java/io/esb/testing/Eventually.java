package io.esb.testing;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.function.Predicate;

/**
 * Polls until something holds or a deadline passes: the one way tests wait for something asynchronous, instead of a
 * sleep sized to a guess or a hand-rolled deadline loop.
 */
public final class Eventually {
    private static final long POLL_MILLIS = 25;

    private Eventually() {}

    @FunctionalInterface
    public interface Check {
        void run() throws Exception;
    }

    /** Runs {@code check} until it passes; past {@code timeout}, its last failure is thrown. */
    public static void within(Duration timeout, Check check) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                check.run();
                return;
            } catch (AssertionError | Exception e) {
                if (System.nanoTime() >= deadline) {
                    if (e instanceof AssertionError assertion) {
                        throw assertion;
                    }
                    throw new AssertionError("still failing after " + timeout.toMillis() + " ms", e);
                }
            }
            pause();
        }
    }

    /**
     * Reads {@code value} until {@code wanted} accepts it and returns that value; past {@code timeout}, fails naming
     * {@code what} and the last value read (an exception counts as not yet).
     */
    public static <T> T await(Duration timeout, String what, Callable<T> value, Predicate<? super T> wanted) {
        long deadline = System.nanoTime() + timeout.toNanos();
        T last = null;
        Exception lastError = null;
        while (true) {
            try {
                last = value.call();
                lastError = null;
                if (wanted.test(last)) {
                    return last;
                }
            } catch (Exception e) {
                lastError = e;
            }
            if (System.nanoTime() >= deadline) {
                throw new AssertionError("not " + what + " after " + timeout.toMillis() + " ms; last: "
                        + (lastError != null ? lastError : last), lastError);
            }
            pause();
        }
    }

    private static void pause() {
        try {
            Thread.sleep(POLL_MILLIS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting", e);
        }
    }
}
