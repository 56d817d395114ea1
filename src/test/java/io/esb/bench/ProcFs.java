package io.esb.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** What the bench reads of a process (or one of its threads) from /proc: CPU time and status lines. */
final class ProcFs {
    private ProcFs() {}

    /** utime + stime, in clock ticks, from a {@code stat} file's text (after "pid (comm) ", fields 14 and 15). */
    static long cpuTicks(String statText) {
        var fields = statText.substring(statText.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
    }

    /** utime + stime of the whole process (all its threads), in clock ticks, or -1 when it is gone. */
    static long cpuTicks(long pid) {
        try {
            return cpuTicks(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** A line of /proc/pid/status in kB (VmRSS, VmHWM) or a count (Threads), or -1. */
    static long statusKb(long pid, String key) {
        try {
            for (var line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith(key + ":")) {
                    return Long.parseLong(line.substring(key.length() + 1).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return -1;
    }
}
