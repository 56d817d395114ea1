package io.esb.function;

/**
 * A snapshot of one function's pool, for the status endpoint and tests. {@code image} is null once the function can
 * run (its image given, or built), else "building" or "failed" with {@code imageDetail} saying why.
 */
public record FunctionStatus(String function, int idle, int busy, int starting, int queued, long coldStarts, String image,
                             String imageDetail) {
    public FunctionStatus(String function, int idle, int busy, int starting, int queued, long coldStarts) {
        this(function, idle, busy, starting, queued, coldStarts, null, null);
    }

    static FunctionStatus imageNotReady(String function, String image, String detail) {
        return new FunctionStatus(function, 0, 0, 0, 0, 0, image, detail);
    }
}
