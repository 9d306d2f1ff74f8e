package dev.coffer.ledger.state;

import dev.coffer.ledger.Command;
import dev.coffer.ledger.EventHash;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.function.Consumer;

/**
 * Remembers recently accepted operations by id, bounded by a count cap and a time-to-live
 * measured on the batch clock (so eviction replays identically). Entries are added in sequence
 * order and evicted oldest first, so the window always holds a contiguous range of the log: after
 * a restart it is rebuilt by re-reading that range of the journal rather than stored in snapshots.
 */
final class IdempotencyWindow {

    /** An accepted operation: the command as submitted, its event's sequence, batch time and hash. */
    record Entry(Command command, long seq, long timestamp, EventHash hash) {}

    private final int cap;
    private final long ttlMicros;
    private final HashMap<String, Entry> byId;
    private final ArrayDeque<Entry> inOrder;

    IdempotencyWindow(int cap, long ttlMicros) {
        if (cap < 1) throw new IllegalArgumentException("idempotency cap must be positive");
        if (ttlMicros < 1) throw new IllegalArgumentException("idempotency ttl must be positive");
        this.cap = cap;
        this.ttlMicros = ttlMicros;
        int initial = Math.min(cap, 1 << 20);
        this.byId = HashMap.newHashMap(initial);
        this.inOrder = new ArrayDeque<>(initial);
    }

    Entry get(String id) {
        return byId.get(id);
    }

    void add(Entry entry) {
        // Replay trusts the log: an id reused after eviction (possible when the window was
        // configured smaller when it was written) replaces the older entry.
        byId.put(entry.command().id(), entry);
        inOrder.addLast(entry);
    }

    /** Undoes the latest {@link #add} (linked batches roll back newest first). */
    void removeNewest(String id) {
        Entry last = inOrder.pollLast();
        if (last == null || !last.command().id().equals(id)) throw new IllegalStateException("undo out of order for " + id);
        byId.remove(id);
    }

    /** Forgets entries beyond the cap or older than the TTL at {@code now}; reports each to {@code onEvict}. */
    void evict(long now, Consumer<Entry> onEvict) {
        long oldestKept = now - ttlMicros;
        while (!inOrder.isEmpty()) {
            Entry head = inOrder.peekFirst();
            if (inOrder.size() <= cap && head.timestamp() > oldestKept) break;
            inOrder.pollFirst();
            byId.remove(head.command().id(), head);
            onEvict.accept(head);
        }
    }

    /** Sequence of the oldest remembered operation, or -1 when empty. */
    long oldestSeq() {
        Entry head = inOrder.peekFirst();
        return head == null ? -1 : head.seq();
    }

    int size() {
        return inOrder.size();
    }

    Iterator<Entry> iterator() {
        return inOrder.iterator();
    }
}
