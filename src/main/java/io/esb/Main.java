package io.esb;

import io.esb.config.ConfigException;

/** {@code java -jar target/esb.jar}: starts the gateway and runs until SIGTERM (CoordinatedShutdown). */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        EsbGateway gateway;
        try {
            gateway = EsbGateway.start(io.esb.config.ConfigSource.fromSystem());
        } catch (ConfigException e) {
            System.err.println("esb: " + e.getMessage());
            System.exit(2);
            return;
        } catch (java.util.concurrent.ExecutionException e) {
            System.err.println("esb: could not start: " + e.getCause().getMessage());
            System.exit(1);
            return;
        }
        try {
            gateway.installSighupHandler(); // SIGHUP reloads the configuration
        } catch (IllegalArgumentException e) {
            org.slf4j.LoggerFactory.getLogger(Main.class).warn("SIGHUP cannot be handled here (is the JVM running with -Xrs?); "
                    + "configuration changes apply through the file watch only", net.logstash.logback.argument.StructuredArguments.kv("error_detail", e.getMessage()));
        }
        // Log lines go out through an async appender; flush it once CoordinatedShutdown has run on SIGTERM.
        akka.actor.CoordinatedShutdown.get(gateway.system()).addJvmShutdownHook(() ->
                ((ch.qos.logback.classic.LoggerContext) org.slf4j.LoggerFactory.getILoggerFactory()).stop());
        gateway.system().getWhenTerminated().toCompletableFuture().join();
    }
}
