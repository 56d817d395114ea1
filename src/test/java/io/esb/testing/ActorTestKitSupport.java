package io.esb.testing;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/**
 * One ActorTestKit per test class: started before the class's own {@code @BeforeAll} methods, shut down after its
 * {@code @AfterAll} methods.
 */
public abstract class ActorTestKitSupport {
    protected static ActorTestKit testKit;

    @BeforeAll
    static void startActorTestKit() {
        testKit = ActorTestKit.create();
    }

    @AfterAll
    static void stopActorTestKit() {
        testKit.shutdownTestKit();
    }
}
