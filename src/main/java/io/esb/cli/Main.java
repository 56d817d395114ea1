package io.esb.cli;


/**
 * {@code java -jar target/esb.jar}: with no arguments, starts the gateway and runs until SIGTERM (CoordinatedShutdown);
 * with arguments, the esb command ({@code esb status}, {@code esb invoke NAME}, ... see {@link EsbCommand}).
 */
public final class Main {
    private Main() {}

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            int code = Foreground.run(io.esb.config.ConfigSource.fromSystem(), new java.io.PrintWriter(System.err, true));
            if (code != EsbCommand.OK) {
                System.exit(code);
            }
            return;
        }
        if (!args[0].equals("up") && System.getenv("ESB_LOG_LEVEL") == null) {
            // A command's output is its own lines; the libraries it shares with the gateway log only what goes wrong.
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
                    .setLevel(ch.qos.logback.classic.Level.WARN);
        }
        System.exit(EsbCommand.execute(args));
    }
}
