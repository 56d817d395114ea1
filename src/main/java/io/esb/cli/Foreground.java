package io.esb.cli;

import io.esb.EsbGateway;
import io.esb.config.ConfigException;
import io.esb.config.ConfigSource;

import java.io.PrintWriter;

/** The gateway in this JVM until SIGTERM (CoordinatedShutdown): what {@code java -jar esb.jar} and {@code esb up} run. */
public final class Foreground {
    private Foreground() {}

    /** Blocks while the gateway runs; answers the exit code (2: bad configuration, 1: it could not start). */
    public static int run(ConfigSource source, PrintWriter err) throws InterruptedException {
        EsbGateway gateway;
        try {
            gateway = EsbGateway.start(source);
        } catch (ConfigException e) {
            err.println("esb: " + e.getMessage());
            err.flush();
            return EsbCommand.USAGE;
        } catch (java.util.concurrent.ExecutionException e) {
            err.println("esb: could not start: " + e.getCause().getMessage());
            err.flush();
            return EsbCommand.FAILURE;
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            err.println("esb: could not start: " + e);
            err.flush();
            return EsbCommand.FAILURE;
        }
        try {
            gateway.installSighupHandler(); // SIGHUP reloads the configuration
        } catch (IllegalArgumentException e) {
            org.slf4j.LoggerFactory.getLogger(Foreground.class).warn("SIGHUP cannot be handled here (is the JVM running with -Xrs?); "
                    + "configuration changes apply through the file watch only", net.logstash.logback.argument.StructuredArguments.kv("error_detail", e.getMessage()));
        }
        // Log lines go out through an async appender: flush it in CoordinatedShutdown's last phase, once the drain, the
        // cluster's hand-over and the container removal have logged. (A JVM shutdown hook ran at once, beside
        // CoordinatedShutdown's own, and lost every line the shutdown wrote.)
        akka.actor.CoordinatedShutdown.get(gateway.system()).addTask(akka.actor.CoordinatedShutdown.PhaseActorSystemTerminate(), "esb-flush-logs",
                () -> {
                    ((ch.qos.logback.classic.LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory()).stop();
                    return java.util.concurrent.CompletableFuture.completedFuture(akka.Done.getInstance());
                });
        gateway.system().getWhenTerminated().toCompletableFuture().join();
        return EsbCommand.OK;
    }
}
