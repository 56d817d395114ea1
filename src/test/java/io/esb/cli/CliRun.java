package io.esb.cli;

import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** One in-process run of the esb command (its picocli entry), with its output captured. */
public record CliRun(int exitCode, String out, String err) {

    public static CliRun run(Path home, String... args) {
        return runWithInput(home, "", args);
    }

    public static CliRun runWithInput(Path home, String stdin, String... args) {
        var out = new StringWriter();
        var err = new StringWriter();
        var context = new CliContext(home, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        int code = EsbCommand.commandLine(context, new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
        return new CliRun(code, out.toString(), err.toString());
    }

    @Override
    public String toString() {
        return "exit " + exitCode + "\n--- out:\n" + out + "--- err:\n" + err;
    }
}
