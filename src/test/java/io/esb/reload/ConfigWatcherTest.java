package io.esb.reload;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/** The real WatchService on a temporary directory. */
class ConfigWatcherTest {
    private static final Duration DEBOUNCE = Duration.ofSeconds(1);

    @TempDir
    Path dir;

    @Test
    void aBurstOfWritesIsOneReloadAndOtherFilesAreIgnored() throws Exception {
        var file = dir.resolve("esb.conf");
        Files.writeString(file, "a = 1");
        var calls = new AtomicInteger();
        var called = new Semaphore(0);
        try (var watcher = ConfigWatcher.start(List.of(file), DEBOUNCE, () -> {
            calls.incrementAndGet();
            called.release();
        })) {
            Files.writeString(dir.resolve("unrelated.txt"), "x");
            // An editor's save: truncate, write, write again, all well within the debounce.
            Files.writeString(file, "");
            Files.writeString(file, "a = 2");
            Files.writeString(file, "a = 3");

            assertThat(called.tryAcquire(30, TimeUnit.SECONDS)).as("one reload after the burst").isTrue();
            // Quiet for longer than the debounce: no second reload from the same burst.
            assertThat(called.tryAcquire(DEBOUNCE.multipliedBy(2).toMillis(), TimeUnit.MILLISECONDS)).isFalse();
            assertThat(calls.get()).isEqualTo(1);

            // Replaced by rename, as editors and config managers do.
            var temp = dir.resolve("esb.conf.tmp");
            Files.writeString(temp, "a = 4");
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            assertThat(called.tryAcquire(30, TimeUnit.SECONDS)).as("a reload after the rename").isTrue();
        }
    }
}
