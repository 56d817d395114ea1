package io.esb.async;

import io.esb.config.AsyncSettings;
import io.esb.config.ConfigException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The durable store through its journal, on a real SQLite file. */
class EventJournalTest {
    @TempDir
    Path dataDir;

    private AsyncSettings settings() {
        return new AsyncSettings(1000, 10, List.of(Duration.ofSeconds(60)), 1 << 20, dataDir, 2, Duration.ofHours(6),
                Duration.ofSeconds(1), Duration.ofMinutes(5), 1);
    }

    private static PendingEvent event(String id, long at) {
        return PendingEvent.accepted(id, "fx", ("{\"id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8), "{\"custom\":{}}", at);
    }

    private static <T> T await(java.util.concurrent.CompletionStage<T> stage) throws Exception {
        return stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
    }

    @Test
    void anAcceptedEventIsThereAfterTheStoreIsReopened() throws Exception {
        try (var journal = EventJournal.open(settings(), "gw1")) {
            await(journal.write(new EventStore.Append(event("r1", 1000))));
            assertThat(journal.file()).isEqualTo(dataDir.resolve("gw1").resolve("events.db"));
        }
        try (var journal = EventJournal.open(settings(), "gw1")) {
            var pending = await(journal.read(EventStore::pending));
            java.util.Optional<byte[]> payload = await(journal.read(store -> store.payload("r1")));
            assertThat(new String(payload.orElseThrow(), StandardCharsets.UTF_8)).isEqualTo("{\"id\":\"r1\"}");
            assertThat(pending).singleElement().satisfies(e -> {
                assertThat(e.requestId()).isEqualTo("r1");
                assertThat(e.functionName()).isEqualTo("fx");
                assertThat(e.payload()).as("the queue is read without payloads").isNull();
                assertThat(e.clientContext()).isEqualTo("{\"custom\":{}}");
                assertThat(e.acceptedAt()).isEqualTo(1000);
                assertThat(e.attempts()).isZero();
            });
        }
    }

    @Test
    void aFailedAttemptIsRecordedAndADeadLetterMovesOutOfTheQueueAndBackOnReplay() throws Exception {
        try (var journal = EventJournal.open(settings(), "gw1")) {
            var accepted = event("r1", 1000);
            await(journal.write(new EventStore.Append(accepted)));
            var failed = accepted.failed(2000, true, "Unhandled", 62_000);
            await(journal.write(new EventStore.Reschedule(failed)));
            var stored = await(journal.read(EventStore::pending)).get(0);
            assertThat(stored.attempts()).isEqualTo(1);
            assertThat(stored.functionErrors()).isEqualTo(1);
            assertThat(stored.nextAttemptAt()).isEqualTo(62_000);
            assertThat(stored.firstAttemptAt()).isEqualTo(2000);
            assertThat(stored.lastError()).isEqualTo("Unhandled");

            await(journal.write(new EventStore.Bury(new DeadLetter(failed.withoutPayload(), "RetriesExhausted", 3000))));
            assertThat(await(journal.read(EventStore::pending))).isEmpty();
            List<DeadLetter> letters = await(journal.read(store -> store.deadLetters(null, 10)));
            assertThat(letters).singleElement().satisfies(l -> {
                assertThat(l.reason()).isEqualTo("RetriesExhausted");
                assertThat(l.deadLetteredAt()).isEqualTo(3000);
                assertThat(l.event().requestId()).isEqualTo("r1");
                assertThat(l.event().attempts()).isEqualTo(1);
                assertThat(l.event().lastError()).isEqualTo("Unhandled");
                assertThat(new String(l.event().payload(), StandardCharsets.UTF_8)).isEqualTo("{\"id\":\"r1\"}");
            });
            List<DeadLetter> others = await(journal.read(store -> store.deadLetters("other", 10)));
            assertThat(others).isEmpty();
            assertThat(await(journal.read(EventStore::deadLetterCount))).isEqualTo(1);

            java.util.Optional<PendingEvent> replay = await(journal.read(store -> store.replay("r1", 5000)));
            var replayed = replay.orElseThrow();
            assertThat(replayed.requestId()).isEqualTo("r1");
            assertThat(replayed.attempts()).isZero();
            assertThat(replayed.acceptedAt()).isEqualTo(5000);
            assertThat(await(journal.read(EventStore::pending))).extracting(PendingEvent::requestId).containsExactly("r1");
            assertThat(await(journal.read(EventStore::deadLetterCount))).isZero();
            java.util.Optional<PendingEvent> again = await(journal.read(store -> store.replay("r1", 6000)));
            assertThat(again).isEmpty();
        }
    }

    @Test
    void aDiscardedDeadLetterIsGone() throws Exception {
        try (var journal = EventJournal.open(settings(), "gw1")) {
            var e = event("r1", 1000);
            await(journal.write(new EventStore.Append(e)));
            await(journal.write(new EventStore.Bury(new DeadLetter(e, "EventAgeExceeded", 2000))));
            boolean first = await(journal.read(store -> store.discard("r1")));
            boolean second = await(journal.read(store -> store.discard("r1")));
            List<DeadLetter> left = await(journal.read(store -> store.deadLetters(null, 10)));
            assertThat(first).isTrue();
            assertThat(second).isFalse();
            assertThat(left).isEmpty();
        }
    }

    @Test
    void concurrentWritersAreCommittedTogetherAndNoneIsLost() throws Exception {
        try (var journal = EventJournal.open(settings(), "gw1")) {
            var writes = new ArrayList<CompletableFuture<Void>>();
            var threads = new ArrayList<Thread>();
            for (int t = 0; t < 8; t++) {
                int thread = t;
                var writer = new Thread(() -> {
                    for (int i = 0; i < 250; i++) {
                        var done = journal.write(new EventStore.Append(event("t" + thread + "-" + i, i))).toCompletableFuture();
                        synchronized (writes) {
                            writes.add(done);
                        }
                    }
                });
                writer.start();
                threads.add(writer);
            }
            for (var thread : threads) {
                thread.join();
            }
            CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)).get(30, TimeUnit.SECONDS);
            assertThat(await(journal.read(EventStore::pending))).hasSize(2000);
        }
    }

    @Test
    void aCorruptStoreStopsStartupNamingTheKeyAndTheFileAndIsNotReset() throws Exception {
        var file = dataDir.resolve("gw1").resolve("events.db");
        Files.createDirectories(file.getParent());
        var garbage = "this is not a database, but it may be someone's only copy of their events ".repeat(100);
        Files.writeString(file, garbage);

        assertThatThrownBy(() -> EventJournal.open(settings(), "gw1"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("esb.data-dir")
                .hasMessageContaining(file.toAbsolutePath().toString())
                .hasMessageContaining("not reset");
        assertThat(Files.readString(file)).isEqualTo(garbage);
    }

    @Test
    void aDataDirectoryThatCannotBeMadeStopsStartupNamingTheKey() throws Exception {
        var blocker = dataDir.resolve("a-file");
        Files.writeString(blocker, "x");
        var settings = new AsyncSettings(1000, 10, List.of(), 1 << 20, blocker, 2, Duration.ofHours(6), Duration.ofSeconds(1), Duration.ofMinutes(5), 1);

        assertThatThrownBy(() -> EventJournal.open(settings, "gw1"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("esb.data-dir")
                .hasMessageContaining(blocker.resolve("gw1").toAbsolutePath().toString());
    }

    @Test
    void afterCloseWritesFailAtOnce() throws Exception {
        var journal = EventJournal.open(settings(), "gw1");
        journal.close();
        assertThatThrownBy(() -> await(journal.write(new EventStore.Append(event("r1", 1)))))
                .hasRootCauseInstanceOf(IllegalStateException.class).hasRootCauseMessage("the event journal is closed");
    }
}
