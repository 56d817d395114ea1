package io.esb.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;

/**
 * {@code esb}: the everyday loop around the gateway (up, status, invoke, logs, down). Exit codes: 0 done, 1 failed
 * (one {@code esb: ...} line says why), 2 usage or configuration error.
 */
@Command(name = "esb",
        synopsisSubcommandLabel = "COMMAND",
        description = "Edge Serverless Box: runs AWS-Lambda-compatible functions in local containers behind one gateway.",
        subcommands = {UpCommand.class, StatusCommand.class, InvokeCommand.class, LogsCommand.class, DeadLettersCommand.class, DownCommand.class,
                CommandLine.HelpCommand.class},
        footerHeading = "%n",
        footer = {"Without a command, bin/esb runs the gateway in the foreground. JVM options",
                "such as -Dconfig.file=FILE may come first. esb COMMAND --help shows a command's",
                "options. Exit codes: 0 done, 1 failed, 2 usage or configuration error."})
public final class EsbCommand implements Runnable {
    public static final int OK = 0;
    public static final int FAILURE = 1;
    public static final int USAGE = 2;
    /** Wide enough for each description line to stay one line. */
    private static final int USAGE_WIDTH = 110;

    @Spec
    CommandSpec spec;
    @Mixin
    HelpOption help;

    private final CliContext context;

    EsbCommand(CliContext context) {
        this.context = context;
    }

    /** A command line ready to execute, writing to {@code out} and {@code err}. */
    public static CommandLine commandLine(CliContext context, PrintWriter out, PrintWriter err) {
        var commandLine = new CommandLine(new EsbCommand(context));
        commandLine.setOut(out).setErr(err).setUsageHelpWidth(USAGE_WIDTH);
        commandLine.setExecutionExceptionHandler((exception, cmd, parsed) -> {
            if (exception instanceof CliFailure failure) {
                cmd.getErr().println("esb: " + failure.getMessage());
                cmd.getErr().flush();
                return failure.exitCode();
            }
            cmd.getErr().println("esb: " + cmd.getCommandName() + " failed: " + exception);
            cmd.getErr().flush();
            return FAILURE;
        });
        return commandLine;
    }

    /** Runs {@code args} as {@code bin/esb} would, on this process's streams; answers the exit code. */
    public static int execute(String... args) {
        var out = new PrintWriter(System.out, true);
        var err = new PrintWriter(System.err, true);
        return commandLine(CliContext.fromSystem(), out, err).execute(args);
    }

    static CliContext context(CommandSpec spec) {
        return ((EsbCommand) spec.root().userObject()).context;
    }

    /** {@code esb} alone with a command-line option: show what there is to do. */
    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "Missing COMMAND");
    }
}
