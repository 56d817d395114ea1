package io.esb.async;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The durable store of accepted Event invocations and of their dead letters: one SQLite file in write-ahead-log mode
 * with {@code synchronous = FULL}, so a committed transaction survives {@code kill -9} and a power cut. Used by one
 * thread only ({@link EventJournal}'s); each method is one transaction unless {@link #apply} groups several.
 */
final class EventStore implements AutoCloseable {
    /** A change to the store; {@link #apply} commits any number of them at once. */
    sealed interface Change {}

    /** An accepted event: from now on it is the gateway's promise. */
    record Append(PendingEvent event) implements Change {}

    /** The event was delivered (or dead-lettered elsewhere): it leaves the queue. */
    record Remove(String requestId) implements Change {}

    /** A failed attempt: the event with its attempts, when the next is due, and why the last failed. */
    record Reschedule(PendingEvent event) implements Change {}

    /** The event gave up ({@code reason}): it moves from the queue to the dead letters, whole. */
    record Bury(DeadLetter letter) implements Change {}

    private static final String PENDING_COLUMNS = "request_id, function_name, payload, client_context, accepted_at, attempts, function_errors, "
            + "next_attempt_at, first_attempt_at, last_attempt_at, last_error";
    /** The pending columns (next_attempt_at always 0), then why and when it was dead-lettered. */
    private static final String DEAD_LETTER_COLUMNS = PENDING_COLUMNS + ", reason, dead_lettered_at";

    private final Path file;
    private final Connection db;

    private EventStore(Path file, Connection db) {
        this.file = file;
        this.db = db;
    }

    /**
     * Opens (or creates) the store at {@code file} and checks it. A file that is not an intact SQLite database fails
     * here, naming the file: it is never reset silently, since it may hold accepted events.
     */
    static EventStore open(Path file) throws SQLException {
        var db = DriverManager.getConnection("jdbc:sqlite:" + file.toAbsolutePath());
        try {
            try (var statement = db.createStatement()) {
                try (var check = statement.executeQuery("PRAGMA quick_check")) {
                    var verdict = check.next() ? check.getString(1) : "no answer";
                    if (!"ok".equals(verdict)) {
                        throw new SQLException("integrity check failed: " + verdict);
                    }
                }
                statement.execute("PRAGMA journal_mode = WAL");
                statement.execute("PRAGMA synchronous = FULL");
                statement.execute("PRAGMA busy_timeout = 5000");
                statement.execute("""
                        CREATE TABLE IF NOT EXISTS pending (
                          request_id TEXT PRIMARY KEY, function_name TEXT NOT NULL, payload BLOB NOT NULL, client_context TEXT,
                          accepted_at INTEGER NOT NULL, attempts INTEGER NOT NULL, function_errors INTEGER NOT NULL,
                          next_attempt_at INTEGER NOT NULL, first_attempt_at INTEGER, last_attempt_at INTEGER, last_error TEXT)""");
                statement.execute("""
                        CREATE TABLE IF NOT EXISTS dead_letters (
                          request_id TEXT PRIMARY KEY, function_name TEXT NOT NULL, payload BLOB NOT NULL, client_context TEXT,
                          accepted_at INTEGER NOT NULL, attempts INTEGER NOT NULL, function_errors INTEGER NOT NULL, next_attempt_at INTEGER NOT NULL,
                          first_attempt_at INTEGER, last_attempt_at INTEGER, last_error TEXT, reason TEXT NOT NULL,
                          dead_lettered_at INTEGER NOT NULL)""");
            }
            db.setAutoCommit(false);
            return new EventStore(file, db);
        } catch (SQLException | RuntimeException e) {
            db.close();
            throw e;
        }
    }

    Path file() {
        return file;
    }

    /** Commits all {@code changes} in one transaction, or none of them. */
    void apply(List<? extends Change> changes) throws SQLException {
        inTransaction(() -> {
            for (var change : changes) {
                applyOne(change);
            }
            return null;
        });
    }

    private void applyOne(Change change) throws SQLException {
        if (change instanceof Append append) {
            insertPending(append.event());
        } else if (change instanceof Remove remove) {
            update("DELETE FROM pending WHERE request_id = ?", remove.requestId());
        } else if (change instanceof Reschedule reschedule) {
            updateAttempts(reschedule.event());
        } else if (change instanceof Bury bury) {
            insertDeadLetter(bury.letter());
            update("DELETE FROM pending WHERE request_id = ?", bury.letter().event().requestId());
        }
    }

    private void updateAttempts(PendingEvent e) throws SQLException {
        try (var s = db.prepareStatement("UPDATE pending SET attempts = ?, function_errors = ?, next_attempt_at = ?, "
                + "first_attempt_at = ?, last_attempt_at = ?, last_error = ? WHERE request_id = ?")) {
            s.setInt(1, e.attempts());
            s.setInt(2, e.functionErrors());
            s.setLong(3, e.nextAttemptAt());
            s.setLong(4, e.firstAttemptAt());
            s.setLong(5, e.lastAttemptAt());
            setNullable(s, 6, e.lastError());
            s.setString(7, e.requestId());
            s.executeUpdate();
        }
    }

    /**
     * Every accepted event not yet delivered or dead-lettered, oldest first, without its payload ({@link #payload}
     * reads that when the event runs): the queue may hold far more than the heap.
     */
    List<PendingEvent> pending() throws SQLException {
        return inTransaction(() -> {
            try (var s = db.prepareStatement("SELECT " + PENDING_COLUMNS.replace("payload", "NULL") + " FROM pending ORDER BY accepted_at, rowid");
                 var rows = s.executeQuery()) {
                var events = new ArrayList<PendingEvent>();
                while (rows.next()) {
                    events.add(pendingEvent(rows));
                }
                return events;
            }
        });
    }

    /** A pending event's payload; empty when there is no such event. */
    Optional<byte[]> payload(String requestId) throws SQLException {
        return inTransaction(() -> {
            try (var s = db.prepareStatement("SELECT payload FROM pending WHERE request_id = ?")) {
                s.setString(1, requestId);
                try (var rows = s.executeQuery()) {
                    return rows.next() ? Optional.of(rows.getBytes(1)) : Optional.<byte[]>empty();
                }
            }
        });
    }

    /** Dead letters, oldest first, at most {@code limit}; {@code function} filters when not null. */
    List<DeadLetter> deadLetters(String function, int limit) throws SQLException {
        var sql = "SELECT " + DEAD_LETTER_COLUMNS + " FROM dead_letters" + (function == null ? "" : " WHERE function_name = ?")
                + " ORDER BY dead_lettered_at, rowid LIMIT ?";
        return inTransaction(() -> {
            try (var s = db.prepareStatement(sql)) {
                int k = 1;
                if (function != null) {
                    s.setString(k++, function);
                }
                s.setInt(k, limit);
                var letters = new ArrayList<DeadLetter>();
                try (var rows = s.executeQuery()) {
                    while (rows.next()) {
                        letters.add(deadLetter(rows));
                    }
                }
                return letters;
            }
        });
    }

    long deadLetterCount() throws SQLException {
        return inTransaction(() -> {
            try (var s = db.createStatement(); var rows = s.executeQuery("SELECT count(*) FROM dead_letters")) {
                rows.next();
                return rows.getLong(1);
            }
        });
    }

    /**
     * Takes a dead letter back into the queue as a fresh event (attempts reset, due now, same request id), in one
     * transaction; empty when there is none by that id.
     */
    Optional<PendingEvent> replay(String requestId, long now) throws SQLException {
        return inTransaction(() -> {
            var letter = deadLetter(requestId);
            if (letter.isEmpty()) {
                return Optional.<PendingEvent>empty();
            }
            var fresh = letter.get().event().replayed(now);
            update("DELETE FROM dead_letters WHERE request_id = ?", requestId);
            update("DELETE FROM pending WHERE request_id = ?", requestId);
            insertPending(fresh);
            return Optional.of(fresh);
        });
    }

    /**
     * Takes over the pending events of another gateway's store ({@code other}, a lost cluster node's): copied here in
     * one transaction, then deleted there in another, so a crash between the two leaves an event in both stores (run
     * twice, at least once as promised) and never in neither. Returns the events taken, without their payloads, oldest
     * first. The other store's dead letters stay where they are, for its node to show when it returns.
     */
    List<PendingEvent> adopt(Path other) throws SQLException {
        // ATTACH cannot run inside a transaction, and this connection is always in one.
        db.setAutoCommit(true);
        try (var s = db.createStatement()) {
            s.execute("ATTACH DATABASE '" + other.toAbsolutePath().toString().replace("'", "''") + "' AS lost");
        } finally {
            db.setAutoCommit(false);
        }
        try {
            var taken = inTransaction(() -> {
                try (var s = db.createStatement()) {
                    s.executeUpdate("INSERT OR IGNORE INTO main.pending (" + PENDING_COLUMNS + ") SELECT " + PENDING_COLUMNS + " FROM lost.pending");
                }
                try (var s = db.prepareStatement("SELECT " + PENDING_COLUMNS.replace("payload", "NULL")
                        + " FROM main.pending WHERE request_id IN (SELECT request_id FROM lost.pending) ORDER BY accepted_at, rowid");
                     var rows = s.executeQuery()) {
                    var events = new ArrayList<PendingEvent>();
                    while (rows.next()) {
                        events.add(pendingEvent(rows));
                    }
                    return events;
                }
            });
            inTransaction(() -> {
                try (var s = db.createStatement()) {
                    return s.executeUpdate("DELETE FROM lost.pending WHERE request_id IN (SELECT request_id FROM main.pending)");
                }
            });
            return taken;
        } finally {
            db.setAutoCommit(true);
            try (var s = db.createStatement()) {
                s.execute("DETACH DATABASE lost");
            } finally {
                db.setAutoCommit(false);
            }
        }
    }

    /** Deletes a dead letter; false when there is none by that id. */
    boolean discard(String requestId) throws SQLException {
        return inTransaction(() -> update("DELETE FROM dead_letters WHERE request_id = ?", requestId) > 0);
    }

    /** Work that reads or writes the store; {@link #inTransaction} commits it as one. */
    @FunctionalInterface
    private interface Work<T> {
        T run() throws SQLException;
    }

    /** Runs {@code work} as one transaction: committed when it returns, rolled back when it fails. */
    private <T> T inTransaction(Work<T> work) throws SQLException {
        try {
            var result = work.run();
            db.commit();
            return result;
        } catch (SQLException | RuntimeException e) {
            rollbackQuietly();
            throw e;
        }
    }

    private Optional<DeadLetter> deadLetter(String requestId) throws SQLException {
        try (var s = db.prepareStatement("SELECT " + DEAD_LETTER_COLUMNS + " FROM dead_letters WHERE request_id = ?")) {
            s.setString(1, requestId);
            try (var rows = s.executeQuery()) {
                return rows.next() ? Optional.of(deadLetter(rows)) : Optional.empty();
            }
        }
    }

    private void insertPending(PendingEvent e) throws SQLException {
        try (var s = db.prepareStatement("INSERT OR REPLACE INTO pending (" + PENDING_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            bindEvent(s, e);
            s.executeUpdate();
        }
    }

    /**
     * Copies the event into the dead letters with its state now; its payload comes from the pending row when the
     * event in hand has none (events wait without theirs in memory).
     */
    private void insertDeadLetter(DeadLetter letter) throws SQLException {
        var e = letter.event();
        var values = "?, ?, " + (e.payload() == null ? "payload" : "?") + ", ?, ?, ?, ?, ?, ?, ?, ?, ?, ?";
        var sql = "INSERT OR REPLACE INTO dead_letters (" + DEAD_LETTER_COLUMNS + ") SELECT " + values
                + (e.payload() == null ? " FROM pending WHERE request_id = ?" : "");
        try (var s = db.prepareStatement(sql)) {
            int k = 1;
            s.setString(k++, e.requestId());
            s.setString(k++, e.functionName());
            if (e.payload() != null) {
                s.setBytes(k++, e.payload());
            }
            setNullable(s, k++, e.clientContext());
            s.setLong(k++, e.acceptedAt());
            s.setInt(k++, e.attempts());
            s.setInt(k++, e.functionErrors());
            s.setLong(k++, 0); // next_attempt_at: none
            s.setLong(k++, e.firstAttemptAt());
            s.setLong(k++, e.lastAttemptAt());
            setNullable(s, k++, e.lastError());
            s.setString(k++, letter.reason());
            s.setLong(k++, letter.deadLetteredAt());
            if (e.payload() == null) {
                s.setString(k, e.requestId());
            }
            if (s.executeUpdate() != 1) {
                throw new SQLException("no pending event " + e.requestId() + " to dead-letter");
            }
        }
    }

    /** Parameters 1-11 in the order of {@link #PENDING_COLUMNS}. */
    private static void bindEvent(PreparedStatement s, PendingEvent e) throws SQLException {
        s.setString(1, e.requestId());
        s.setString(2, e.functionName());
        s.setBytes(3, e.payload());
        setNullable(s, 4, e.clientContext());
        s.setLong(5, e.acceptedAt());
        s.setInt(6, e.attempts());
        s.setInt(7, e.functionErrors());
        s.setLong(8, e.nextAttemptAt());
        s.setLong(9, e.firstAttemptAt());
        s.setLong(10, e.lastAttemptAt());
        setNullable(s, 11, e.lastError());
    }

    private static void setNullable(PreparedStatement s, int index, String value) throws SQLException {
        if (value == null) {
            s.setNull(index, Types.VARCHAR);
        } else {
            s.setString(index, value);
        }
    }

    /** Columns 1-11 in the order of {@link #PENDING_COLUMNS}. */
    private static PendingEvent pendingEvent(ResultSet rows) throws SQLException {
        return new PendingEvent(rows.getString(1), rows.getString(2), rows.getBytes(3), rows.getString(4), rows.getLong(5), rows.getInt(6),
                rows.getInt(7), rows.getLong(8), rows.getLong(9), rows.getLong(10), rows.getString(11));
    }

    private static DeadLetter deadLetter(ResultSet rows) throws SQLException {
        return new DeadLetter(pendingEvent(rows), rows.getString(12), rows.getLong(13));
    }

    private int update(String sql, String requestId) throws SQLException {
        try (var s = db.prepareStatement(sql)) {
            s.setString(1, requestId);
            return s.executeUpdate();
        }
    }

    private void rollbackQuietly() {
        try {
            db.rollback();
        } catch (SQLException ignored) {
            // the original failure is what the caller hears of
        }
    }

    @Override
    public void close() {
        try {
            db.close();
        } catch (SQLException ignored) {
            // nothing is pending: every change was committed or rolled back
        }
    }
}
