package esb.runtime;

/** A Lambda-style handler: gets the parsed event JSON, returns a JSON-serialisable result. */
public interface Handler {
    Object handle(Object event, Context context) throws Exception;

    /** Per-invocation information, as far as a handler may need it. */
    final class Context {
        public final String requestId;
        public final long deadlineNanos;

        public Context(String requestId, long deadlineNanos) {
            this.requestId = requestId;
            this.deadlineNanos = deadlineNanos;
        }
    }
}
