package io.esb.observability;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.esb.testing.Eventually;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;

import static org.assertj.core.api.Assertions.assertThat;

class BatchingAsyncAppenderTest {

    /** Records what reaches it, and on which thread. */
    private static final class Recording extends AppenderBase<ILoggingEvent> {
        final List<ILoggingEvent> events = new CopyOnWriteArrayList<>();
        final List<String> threads = new CopyOnWriteArrayList<>();

        @Override
        protected void append(ILoggingEvent event) {
            events.add(event);
            threads.add(Thread.currentThread().getName());
        }
    }

    private static BatchingAsyncAppender started(LoggerContext context, Recording into, int queueSize, long lingerMillis) {
        into.setContext(context);
        into.start();
        var appender = new BatchingAsyncAppender();
        appender.setContext(context);
        appender.setName("test");
        appender.setQueueSize(queueSize);
        appender.setLingerMillis(lingerMillis);
        appender.addAppender(into);
        appender.start();
        var logger = context.getLogger("io.esb.test");
        logger.setAdditive(false);
        logger.setLevel(Level.INFO);
        logger.addAppender(appender);
        return appender;
    }

    @Test
    void everyEventFromManyThreadsIsWrittenInEachThreadsOrderEvenWhenTheQueueIsFull() throws Exception {
        var context = new LoggerContext();
        var recording = new Recording();
        var appender = started(context, recording, 4, 1); // a queue far smaller than the load: loggers must wait, not drop
        var logger = context.getLogger("io.esb.test");
        int threads = 4;
        int perThread = 500;
        var go = new CountDownLatch(1);
        var workers = new ArrayList<Thread>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            var worker = new Thread(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                for (int k = 0; k < perThread; k++) {
                    MDC.put("request_id", "req-" + thread + "-" + k);
                    logger.info("line {} {}", thread, k);
                    MDC.remove("request_id");
                }
            }, "logger-" + t);
            workers.add(worker);
            worker.start();
        }
        go.countDown();
        for (var worker : workers) {
            worker.join();
        }
        appender.stop(); // writes out what is still queued

        assertThat(recording.events).hasSize(threads * perThread);
        for (int t = 0; t < threads; t++) {
            var name = "logger-" + t;
            var mine = recording.events.stream().filter(e -> e.getThreadName().equals(name)).toList();
            assertThat(mine).hasSize(perThread);
            for (int k = 0; k < perThread; k++) {
                assertThat(mine.get(k).getFormattedMessage()).isEqualTo("line " + t + " " + k);
                assertThat(mine.get(k).getMDCPropertyMap()).containsEntry("request_id", "req-" + t + "-" + k);
            }
        }
        assertThat(recording.threads).as("written by the appender's own thread, never the loggers'")
                .allMatch(name -> name.equals("esb-log-writer-test"));
    }

    @Test
    void aLoneLineIsWrittenWithinTheLingerWithoutWaitingForMore() {
        var context = new LoggerContext();
        var recording = new Recording();
        var appender = started(context, recording, 16, 5);
        context.getLogger("io.esb.test").info("alone");

        Eventually.within(Duration.ofSeconds(2), () -> assertThat(recording.events).extracting(ILoggingEvent::getMessage).containsExactly("alone"));
        appender.stop();
    }
}
