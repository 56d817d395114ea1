package io.esb.runtimeapi;

import org.junit.jupiter.api.Test;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** A runtime's connection outlives its polls: only the poll waiting when it closes is dropped, and answered ones leave nothing behind. */
class ConnectionEndTest {

    @Test
    void answeredPollsLeaveNothingToRunAtCloseAndTheWaitingOneIsDroppedOnce() {
        var end = new RuntimeApiListener.ConnectionEnd();
        var droppedAnswered = new AtomicInteger();
        for (int k = 0; k < 10_000; k++) {
            var poll = new CompletableFuture<String>();
            end.whilePolling(poll, droppedAnswered::incrementAndGet);
            poll.complete("event " + k);
        }
        var waiting = new CompletableFuture<String>();
        var droppedWaiting = new AtomicInteger();
        end.whilePolling(waiting, droppedWaiting::incrementAndGet);

        end.close();
        end.close();

        assertThat(droppedAnswered).as("polls answered before the close").hasValue(0);
        assertThat(droppedWaiting).as("the poll waiting at the close").hasValue(1);
        assertThat(end.isClosed()).isTrue();
    }

    @Test
    void aPollThatStartsWaitingAsTheConnectionClosesIsDroppedAtOnce() {
        var end = new RuntimeApiListener.ConnectionEnd();
        end.close();
        var dropped = new AtomicInteger();

        end.whilePolling(new CompletableFuture<String>(), dropped::incrementAndGet);

        assertThat(dropped).hasValue(1);
    }
}
