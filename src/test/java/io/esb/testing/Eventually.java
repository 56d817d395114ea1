package io.esb.testing;

import java.time.Duration;

/**
 * Polls an assertion until it holds or a deadline passes, then rethrows its last failure: the one way tests wait
 * for something asynchronous, instead of a sleep sized to a guess.
 */
public final class Eventually {
    private static final long POLL_MILLIS = 25;

    private Eventually() {}

    @FunctionalInterface
    public interface Check {
        void run() throws Exception;
    }

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
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError("interrupted while waiting", e);
            }
        }
    }
}
