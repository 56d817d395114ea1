package io.esb.function;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The pool's decisions, without actors: times are plain numbers, so nothing here waits. */
class FunctionPoolTest {
    private static final long SECOND = Duration.ofSeconds(1).toNanos();

    private record Call(String name, long enqueuedNanos) implements FunctionPool.Waiter {}

    private long now = 1_000 * SECOND;

    // ---- cold starts -----------------------------------------------------------------------------------------------

    @Test
    void queuedInvocationsNeverStartMoreContainersThanTheyNeed() {
        var pool = pool(100, 0, 10, false);

        // Each arrival asks for what it needs beyond the starts already under way: one each, never a second.
        for (int i = 0; i < 3; i++) {
            assertThat(pool.admit(call("c" + i))).isInstanceOf(FunctionPool.Queued.class);
            assertThat(pool.startsToBegin()).isEqualTo(1);
            assertThat(pool.startsToBegin()).as("asked again, nothing more").isZero();
        }
        assertThat(pool.starting()).isEqualTo(3);
        assertThat(pool.queued()).isEqualTo(3);

        // The first container to be ready serves the oldest waiter, as its cold invocation.
        var dispatch = startAndPlace(pool, "a");
        assertThat(dispatch.waiter().name()).isEqualTo("c0");
        assertThat(dispatch.coldStart()).isTrue();
        assertThat(pool.starting()).isEqualTo(2);
        assertThat(pool.busy()).isEqualTo(1);
        assertThat(pool.startsToBegin()).isZero();
    }

    @Test
    void manyWaitersShareTheStartsMaxConcurrencyAllows() {
        var pool = pool(100, 0, 1, false);
        for (int i = 0; i < 20; i++) {
            pool.admit(call("c" + i));
        }
        assertThat(pool.startsToBegin()).isEqualTo(1);
        assertThat(pool.startsToBegin()).isZero();

        // One container serves them all, one at a time, in order.
        var container = container("a");
        pool.startSettled("a");
        var served = new ArrayList<String>();
        var placement = pool.place(container, now);
        while (placement instanceof FunctionPool.Dispatch<Call> dispatch) {
            served.add(dispatch.waiter().name());
            assertThat(pool.startsToBegin()).as("a busy container at the limit starts nothing").isZero();
            pool.finished(container);
            placement = pool.place(container, now);
        }
        assertThat(placement).isInstanceOf(FunctionPool.Idle.class);
        assertThat(served).hasSize(20).startsWith("c0", "c1").endsWith("c19");
        assertThat(pool.idle()).isEqualTo(1);
        assertThat(pool.queued()).isZero();
    }

    @Test
    void startsStayWithinMaxConcurrencyCountingEveryContainer() {
        var pool = pool(100, 0, 3, false);
        pool.admit(call("c0"));
        pool.admit(call("c1"));
        assertThat(pool.startsToBegin()).isEqualTo(2);
        for (int i = 2; i < 7; i++) {
            pool.admit(call("c" + i));
        }
        assertThat(pool.startsToBegin()).as("only one more fits under the limit").isEqualTo(1);
        assertThat(pool.starting()).isEqualTo(3);

        // Adopted containers count too.
        var adopting = pool(100, 0, 2, false);
        adopting.adoptionBegan();
        adopting.admit(call("x"));
        adopting.admit(call("y"));
        assertThat(adopting.startsToBegin()).isEqualTo(1);
    }

    @Test
    void minWarmAsksForContainersUntilThatManyExist() {
        var pool = pool(100, 2, 10, false);
        assertThat(pool.startsToBegin()).isEqualTo(2);
        assertThat(pool.startsToBegin()).isZero();
        startAndPlace(pool, "a");
        startAndPlace(pool, "b");
        assertThat(pool.idle()).isEqualTo(2);
        assertThat(pool.startsToBegin()).isZero();

        // A busy container counts towards min-warm; a waiter beyond the idle ones asks for one more.
        pool.admit(call("c0"));
        pool.admit(call("c1"));
        assertThat(pool.startsToBegin()).isZero();
        assertThat(pool.busy()).isEqualTo(2);
        pool.admit(call("c2"));
        assertThat(pool.startsToBegin()).isEqualTo(1);

        // A higher min-warm asks for more, within max-concurrency.
        pool.reconfigure(5, 4);
        assertThat(pool.startsToBegin()).isEqualTo(1);
        assertThat(pool.starting()).isEqualTo(2);
    }

    @Test
    void permitsWaitedForAreWithdrawnWhenTheDemandGoes() {
        var pool = pool(100, 0, 10, true);
        pool.admit(call("c0"));
        pool.admit(call("c1"));
        assertThat(pool.startsToBegin()).as("each waits for its permit").isEqualTo(2);

        // The first permit comes: its start goes ahead.
        assertThat(pool.permitGranted()).isTrue();
        pool.startLaunched();
        // Meanwhile a container frees up and serves c0: the start under way will serve c1, the other is not needed.
        assertThat(pool.place(container("old"), now)).isInstanceOf(FunctionPool.Dispatch.class);
        assertThat(pool.permitWaitsToCancel()).isEqualTo(1);
        assertThat(pool.permitWaitsToCancel()).isZero();
        assertThat(pool.starting()).isEqualTo(1);
        // A permit the budget granted before the withdrawal reached it goes back.
        assertThat(pool.permitGranted()).isFalse();
        assertThat(pool.starting()).isEqualTo(1);
        // c1 is the launched start's to serve: however long it waits, the queue timeout spares it.
        assertThat(pool.expireWaiters(now + 10 * SECOND)).isEmpty();
    }

    @Test
    void aPermitForDemandThatWentAwayIsGivenBack() {
        var pool = pool(100, 0, 10, true);
        pool.admit(call("c0"));
        assertThat(pool.startsToBegin()).isEqualTo(1);
        // The waiter expired while the start waited for its permit (nothing skipped: no permit yet).
        assertThat(pool.expireWaiters(now + 10 * SECOND)).hasSize(1);
        assertThat(pool.permitGranted()).isFalse();
        assertThat(pool.starting()).isZero();
        assertThat(pool.empty()).isTrue();
    }

    @Test
    void aFailedStartFailsTheWaitersOnlyWhenNothingElseCanServeThem() {
        var pool = pool(100, 0, 2, false);
        pool.admit(call("c0"));
        pool.admit(call("c1"));
        assertThat(pool.startsToBegin()).isEqualTo(2);
        pool.startLaunched();
        pool.startLaunched();

        pool.startAborted();
        assertThat(pool.waitersNoneCanServe()).as("the other start may still serve them").isEmpty();
        pool.startCreated("b");
        pool.startSettled("b"); // never answered
        assertThat(pool.waitersNoneCanServe()).extracting(Call::name).containsExactly("c0", "c1");
        assertThat(pool.queued()).isZero();
        assertThat(pool.coldStarts()).isEqualTo(2);
    }

    // ---- the queue -------------------------------------------------------------------------------------------------

    @Test
    void aFullQueueTurnsInvocationsAwayButAnIdleContainerStillServes() {
        var pool = pool(2, 0, 1, false);
        assertThat(pool.admit(call("c0"))).isInstanceOf(FunctionPool.Queued.class);
        assertThat(pool.admit(call("c1"))).isInstanceOf(FunctionPool.Queued.class);
        assertThat(pool.admit(call("c2"))).isInstanceOf(FunctionPool.QueueFull.class);
        assertThat(pool.queued()).isEqualTo(2);

        var full = pool(0, 0, 1, false);
        full.place(container("a"), now);
        assertThat(full.admit(call("warm"))).isInstanceOf(FunctionPool.Dispatch.class);
        assertThat(full.admit(call("cold"))).isInstanceOf(FunctionPool.QueueFull.class);
    }

    @Test
    void queueTimeoutSkipsTheWaitersThatStartsUnderWayWillServe() {
        var pool = pool(100, 0, 2, false);
        pool.admit(new Call("old0", now));
        pool.admit(new Call("old1", now + 1));
        pool.admit(new Call("old2", now + 2));
        pool.admit(new Call("young", now + 5 * SECOND));
        assertThat(pool.startsToBegin()).isEqualTo(2);

        // queue-timeout is 1 s: three waiters are older, but the first two have a start each.
        var expired = pool.expireWaiters(now + 5 * SECOND);
        assertThat(expired).extracting(Call::name).containsExactly("old2");
        assertThat(pool.queued()).isEqualTo(3);
        assertThat(pool.expireWaiters(now + 5 * SECOND)).isEmpty();
        assertThat(pool.expireWaiters(now + 7 * SECOND)).as("young too, once old enough").extracting(Call::name).containsExactly("young");
    }

    @Test
    void aResentInvocationGoesFirstAndKeepsItsAge() {
        var pool = pool(100, 0, 2, false);
        pool.admit(new Call("later", now + SECOND));
        pool.requeueFirst(new Call("resent", now));
        assertThat(pool.newestWaiter().name()).isEqualTo("later");
        var dispatch = (FunctionPool.Dispatch<Call>) pool.place(container("a"), now);
        assertThat(dispatch.waiter().name()).isEqualTo("resent");
    }

    // ---- idle containers -------------------------------------------------------------------------------------------

    @Test
    void warmInvocationsTakeTheMostRecentlyUsedContainer() {
        var pool = pool(100, 0, 10, false);
        var a = container("a");
        var b = container("b");
        pool.place(a, now);
        pool.place(b, now + 1);
        var first = (FunctionPool.Dispatch<Call>) pool.admit(call("x"));
        assertThat(first.container()).isSameAs(b);
        assertThat(first.coldStart()).isTrue();
        pool.finished(b);
        pool.place(b, now + 2);
        var again = (FunctionPool.Dispatch<Call>) pool.admit(call("y"));
        assertThat(again.container()).isSameAs(b);
        assertThat(again.coldStart()).as("its second invocation").isFalse();
        assertThat(pool.known("a")).isTrue();
        assertThat(pool.known("b")).isTrue();
        assertThat(pool.known("c")).isFalse();
    }

    @Test
    void reapingTakesIdleContainersPastTheTimeoutButSparesMinWarm() {
        var pool = pool(100, 1, 10, false);
        var oldest = container("oldest");
        var old = container("old");
        var fresh = container("fresh");
        pool.place(oldest, now);
        pool.place(old, now + 1);
        pool.place(fresh, now + 100 * SECOND);

        // idle-timeout is 60 s. min-warm 1 spares the most recently used, which is fresh anyway.
        assertThat(pool.reap(now + 120 * SECOND)).containsExactly(old, oldest);
        assertThat(pool.idle()).isEqualTo(1);

        // All past the timeout: min-warm still keeps the most recently used one.
        assertThat(pool.reap(now + 1_000 * SECOND)).isEmpty();

        // A busy container counts towards min-warm, so the idle one may go.
        var busyToo = pool(100, 1, 10, false);
        busyToo.place(container("idle"), now);
        busyToo.place(container("busy"), now);
        busyToo.admit(call("x"));
        assertThat(busyToo.reap(now + 1_000 * SECOND)).extracting(c -> c.id).containsExactly("idle");
    }

    @Test
    void evictionGivesUpTheLeastRecentlyUsedContainerAboveMinWarm() {
        var pool = pool(100, 1, 10, false);
        assertThat(pool.evict()).isNull();
        assertThat(pool.oldestEvictableIdleNanos()).isEqualTo(Long.MAX_VALUE);
        var a = container("a");
        var b = container("b");
        pool.place(a, now);
        assertThat(pool.oldestEvictableIdleNanos()).as("the only container is the min-warm one").isEqualTo(Long.MAX_VALUE);
        assertThat(pool.evict()).isNull();
        pool.place(b, now + SECOND);

        assertThat(pool.oldestEvictableIdleNanos()).isEqualTo(now);
        assertThat(pool.evict()).isSameAs(a);
        assertThat(pool.evict()).isNull();
        assertThat(pool.idle()).isEqualTo(1);
    }

    @Test
    void idleContainersTheDaemonNoLongerRunsAreForgotten() {
        var pool = pool(100, 0, 10, false);
        pool.place(container("a"), now);
        pool.place(container("b"), now);
        pool.startCreated("c");
        assertThat(pool.forgetIdleNotIn(Set.of("b", "c"))).extracting(c -> c.id).containsExactly("a");
        assertThat(pool.known("a")).isFalse();
        assertThat(pool.knownOrReadying("c")).as("its own start's container is never adopted").isTrue();
        assertThat(pool.known("c")).isFalse();
    }

    // ---- drain -----------------------------------------------------------------------------------------------------

    @Test
    void aDrainingPoolKeepsNothingButServesWhoIsWaiting() {
        var pool = pool(100, 1, 10, false);
        var busy = container("busy");
        pool.place(busy, now);
        pool.admit(call("running"));
        pool.place(container("idle"), now);
        assertThat(pool.startsToBegin()).isZero();

        assertThat(pool.drain()).extracting(c -> c.id).containsExactly("idle");
        assertThat(pool.draining()).isTrue();
        assertThat(pool.idle()).isZero();
        assertThat(pool.oldestEvictableIdleNanos()).isEqualTo(Long.MAX_VALUE);
        // With one container left, min-warm 1 would not ask for more anyway; drained, it asks for none ever.
        pool.reconfigure(3, 10);
        assertThat(pool.startsToBegin()).isZero();

        // A call that still arrives is queued and gets its start.
        pool.admit(call("late"));
        assertThat(pool.startsToBegin()).isEqualTo(1);
        // The busy container frees up first and serves it; the start goes unused.
        pool.finished(busy);
        var next = pool.place(busy, now);
        assertThat(next).isInstanceOf(FunctionPool.Dispatch.class);
        assertThat(((FunctionPool.Dispatch<Call>) next).waiter().name()).isEqualTo("late");
        pool.finished(busy);
        assertThat(pool.place(busy, now)).as("nobody waits: it goes").isInstanceOf(FunctionPool.Discard.class);
        pool.forget(busy);
        assertThat(pool.empty()).as("a start is still under way").isFalse();
        pool.startCreated("unused");
        pool.startSettled("unused");
        assertThat(pool.place(container("unused"), now)).isInstanceOf(FunctionPool.Discard.class);
        assertThat(pool.empty()).isTrue();
    }

    // --- helpers ---------------------------------------------------------------------------------------------------

    /** queue-timeout 1 s, idle-timeout 60 s. */
    private static FunctionPool<Call> pool(int maxQueueDepth, int minWarm, int maxConcurrency, boolean budgeted) {
        return new FunctionPool<>(maxQueueDepth, Duration.ofSeconds(1), Duration.ofSeconds(60), budgeted, minWarm, maxConcurrency);
    }

    private Call call(String name) {
        return new Call(name, now);
    }

    private final List<FunctionPool.Container> containers = new ArrayList<>();

    /** One container object per id, as the actor keeps it. */
    private FunctionPool.Container container(String id) {
        for (var container : containers) {
            if (container.id.equals(id)) {
                return container;
            }
        }
        var container = new FunctionPool.Container(id, "127.0.0.1", 9000 + containers.size(), false, now);
        containers.add(container);
        return container;
    }

    /** A start under way succeeds and its container is placed; answers its dispatch, or null when it went idle. */
    private FunctionPool.Dispatch<Call> startAndPlace(FunctionPool<Call> pool, String id) {
        pool.startLaunched();
        pool.startCreated(id);
        pool.startSettled(id);
        var placement = pool.place(container(id), now);
        return placement instanceof FunctionPool.Dispatch<Call> dispatch ? dispatch : null;
    }
}
