package io.esb.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.function.Predicate;

/** Closed-loop load: N callers, each sending its next request as soon as the previous one is answered. */
final class Load {
    private Load() {}

    /** Where a caller's request goes. Implementations keep keep-alive connections across runs. */
    interface Target extends AutoCloseable {
        RawHttp.Response call(int caller) throws IOException, InterruptedException;

        /**
         * Before each run, outside its timed window. Keep-alive targets open fresh connections here: with the
         * other cases run in between, a server may have closed an idle one (Node's after 5 s, the gateway's after
         * 60 s), and a stale connection would count as an error and a reconnect inside the measured run.
         */
        default void prepare() throws IOException {}

        @Override
        void close();
    }

    /** Every caller has its own keep-alive connection to one address (the gateway, or one container at c=1). */
    static final class PerCaller implements Target {
        private final int port;
        private final byte[] request;
        private final RawHttp[] connections;

        PerCaller(int port, byte[] request, int callers) {
            this.port = port;
            this.request = request;
            this.connections = new RawHttp[callers];
        }

        @Override
        public void prepare() throws IOException {
            for (int k = 0; k < connections.length; k++) {
                if (connections[k] != null) {
                    connections[k].close();
                }
                connections[k] = new RawHttp("127.0.0.1", port, 60_000);
            }
        }

        @Override
        public RawHttp.Response call(int caller) throws IOException {
            var c = connections[caller];
            if (c == null || c.isClosed()) {
                c = connections[caller] = new RawHttp("127.0.0.1", port, 60_000);
            }
            try {
                return c.exchange(request);
            } catch (IOException e) {
                c.close();
                throw e;
            }
        }

        @Override
        public void close() {
            for (var c : connections) {
                if (c != null) {
                    c.close();
                }
            }
        }
    }

    /**
     * Every call on a new connection, as curl and many device clients do: connect (TCP_NODELAY, as the keep-alive
     * connections), send the request (which should carry {@code Connection: close}), read the response, close. The
     * connect and the close are inside the measured call. Each caller has its own sockets, so any number of callers
     * may share one target.
     */
    static final class NewConnection implements Target {
        private final int port;
        private final byte[] request;

        NewConnection(int port, byte[] request) {
            this.port = port;
            this.request = request;
        }

        @Override
        public RawHttp.Response call(int caller) throws IOException {
            try (var c = new RawHttp("127.0.0.1", port, 60_000)) {
                return c.exchange(request);
            }
        }

        @Override
        public void close() {
            // nothing kept between calls
        }
    }

    /**
     * Callers share a pool of containers, one keep-alive connection each, and use a container only while no other
     * caller does (the RIE protocol allows one invocation at a time; the fixture dies on a second). This is the
     * direct equivalent of what the gateway does with a function's containers.
     */
    static final class Pooled implements Target {
        private static final class Slot {
            final int port;
            RawHttp connection;

            Slot(int port) {
                this.port = port;
            }
        }

        private final ArrayBlockingQueue<Slot> free;
        private final List<Slot> all = new ArrayList<>();
        private final byte[] request;

        Pooled(List<Integer> ports, byte[] request) {
            this.request = request;
            // Not fair: a caller that just returned a container may take it again at once, which avoids a thread hand-off per
            // request and so gives the best throughput the containers allow (the direct ceiling). Its p50 then flatters;
            // compare mean latency (callers / throughput, Little's law) across cases at 32 callers.
            this.free = new ArrayBlockingQueue<>(ports.size());
            for (var port : ports) {
                var slot = new Slot(port);
                all.add(slot);
                free.add(slot);
            }
        }

        @Override
        public void prepare() throws IOException {
            for (var s : all) {
                if (s.connection != null) {
                    s.connection.close();
                }
                s.connection = new RawHttp("127.0.0.1", s.port, 60_000);
            }
        }

        @Override
        public RawHttp.Response call(int caller) throws IOException, InterruptedException {
            var slot = free.take();
            try {
                if (slot.connection == null || slot.connection.isClosed()) {
                    slot.connection = new RawHttp("127.0.0.1", slot.port, 60_000);
                }
                return slot.connection.exchange(request);
            } catch (IOException e) {
                slot.connection.close();
                throw e;
            } finally {
                free.put(slot);
            }
        }

        @Override
        public void close() {
            for (var s : all) {
                if (s.connection != null) {
                    s.connection.close();
                }
            }
        }
    }

    record Result(long[] sortedLatencyNanos, long ok, long errors, long elapsedNanos, String firstError) {
        double percentileMs(double q) {
            if (sortedLatencyNanos.length == 0) {
                return Double.NaN;
            }
            int idx = (int) Math.ceil(q * sortedLatencyNanos.length) - 1;
            return sortedLatencyNanos[Math.max(0, Math.min(idx, sortedLatencyNanos.length - 1))] / 1e6;
        }

        double meanMs() {
            return Arrays.stream(sortedLatencyNanos).average().orElse(Double.NaN) / 1e6;
        }

        double throughput() {
            return ok / (elapsedNanos / 1e9);
        }
    }

    private static final class LongList {
        long[] values = new long[16 * 1024];
        int size;

        void add(long v) {
            if (size == values.length) {
                values = Arrays.copyOf(values, size * 2);
            }
            values[size++] = v;
        }
    }

    static Result run(Target target, int callers, long durationNanos, Predicate<RawHttp.Response> valid) throws InterruptedException {
        try {
            target.prepare();
        } catch (IOException e) {
            // the calls will say what is wrong, as errors of this run
        }
        var latencies = new LongList[callers];
        var errors = new long[callers];
        var firstError = new String[1];
        var ready = new CountDownLatch(callers);
        var go = new CountDownLatch(1);
        var threads = new Thread[callers];
        long[] startEnd = new long[2];
        for (int k = 0; k < callers; k++) {
            final int caller = k;
            latencies[k] = new LongList();
            threads[k] = new Thread(() -> {
                ready.countDown();
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                long end = startEnd[1];
                var mine = latencies[caller];
                while (true) {
                    long t0 = System.nanoTime();
                    if (t0 >= end) {
                        break;
                    }
                    try {
                        var response = target.call(caller);
                        long t1 = System.nanoTime();
                        if (valid.test(response)) {
                            mine.add(t1 - t0);
                        } else {
                            errors[caller]++;
                            synchronized (firstError) {
                                if (firstError[0] == null) {
                                    firstError[0] = "HTTP " + response.status() + ": " + abbreviate(response.text());
                                }
                            }
                        }
                    } catch (IOException | RuntimeException e) {
                        errors[caller]++;
                        synchronized (firstError) {
                            if (firstError[0] == null) {
                                firstError[0] = e.toString();
                            }
                        }
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }, "load-" + k);
            threads[k].setDaemon(true);
            threads[k].start();
        }
        ready.await();
        long start = System.nanoTime();
        startEnd[0] = start;
        startEnd[1] = start + durationNanos;
        go.countDown();
        for (var t : threads) {
            t.join();
        }
        long elapsed = System.nanoTime() - start;
        int total = 0;
        long errs = 0;
        for (int k = 0; k < callers; k++) {
            total += latencies[k].size;
            errs += errors[k];
        }
        var all = new long[total];
        int pos = 0;
        for (var l : latencies) {
            System.arraycopy(l.values, 0, all, pos, l.size);
            pos += l.size;
        }
        Arrays.sort(all);
        return new Result(all, total, errs, elapsed, firstError[0]);
    }

    static String abbreviate(String s) {
        s = s.replaceAll("\\s+", " ");
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }
}
