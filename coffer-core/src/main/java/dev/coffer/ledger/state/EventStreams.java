package dev.coffer.ledger.state;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The writer's state of the event streams: each store's mode and last sequence number, and each
 * entity's current version.
 *
 * <p>Stores are few and kept in a map by name. Entities may be millions, so they are kept without
 * their names: an entity is its 128-bit key ({@link dev.coffer.ledger.Command.AppendEvent#entityKey})
 * in an open-addressing table of primitive arrays (two key words and a version per slot, linear
 * probing, at most half full). No object per entity: 48 to 96 bytes per entity (half full
 * before a growth, a quarter after); a collision of two entities' keys (about 2<sup>-128</sup> per pair) would merge their
 * versions. Versions only grow and entities are never removed, so the table has no deletion.
 */
final class EventStreams {

    /** One store: its names, mode, the sequence number of its newest event, and its dead-letter queue. */
    static final class Store {
        final String tenant, store;
        int mode;
        long seq;
        /** Dead letters numbered so far, and those neither retried nor discarded. */
        long deadLetters;
        final java.util.TreeSet<Long> pending = new java.util.TreeSet<>();

        Store(String tenant, String store, int mode, long seq) {
            this.tenant = tenant;
            this.store = store;
            this.mode = mode;
            this.seq = seq;
        }
    }

    /** The current schema of an event type of a tenant. */
    record Schema(int version, String text) {}

    private final Map<String, Schema> schemas = new HashMap<>();
    /** Tenant keys by "tenant/keyId", in registration order. */
    private final java.util.LinkedHashMap<String, StateCapture.KeyImage> tenantKeys = new java.util.LinkedHashMap<>();

    boolean hasKey(String tenant, String keyId) {
        return tenantKeys.containsKey(tenant + '/' + keyId);
    }

    void addKey(StateCapture.KeyImage k) {
        tenantKeys.put(k.tenant() + '/' + k.keyId(), k);
    }

    void removeKey(String tenant, String keyId) {
        tenantKeys.remove(tenant + '/' + keyId);
    }

    List<StateCapture.KeyImage> keyImages() {
        return List.copyOf(tenantKeys.values());
    }

    static String schemaKey(String tenant, String eventType) {
        return tenant + '/' + eventType;
    }

    Schema schema(String tenant, String eventType) {
        return schemas.get(schemaKey(tenant, eventType));
    }

    void setSchema(String tenant, String eventType, Schema s) {
        if (s == null) schemas.remove(schemaKey(tenant, eventType));
        else schemas.put(schemaKey(tenant, eventType), s);
    }

    /** Every current schema as (tenant, event type, version, text), by key. */
    List<StateCapture.SchemaImage> schemaImages() {
        List<StateCapture.SchemaImage> out = new ArrayList<>();
        for (Map.Entry<String, Schema> e : new java.util.TreeMap<>(schemas).entrySet()) {
            int slash = e.getKey().indexOf('/');
            out.add(new StateCapture.SchemaImage(e.getKey().substring(0, slash), e.getKey().substring(slash + 1), e.getValue().version(), e.getValue().text()));
        }
        return out;
    }

    private final Map<String, Store> stores = new HashMap<>();
    private long[] keys = new long[2 * 1024];
    private long[] versions = new long[1024];
    private int mask = 1023;
    private int entities;

    static String storeKey(String tenant, String store) {
        return tenant + '/' + store; // '/' is not a name character
    }

    Store store(String tenant, String store) {
        return stores.get(storeKey(tenant, store));
    }

    /** Opens a store; the caller has checked it is new. */
    Store open(String tenant, String store, int mode, long seq) {
        Store s = new Store(tenant, store, mode, seq);
        stores.put(storeKey(tenant, store), s);
        return s;
    }

    void close(Store s) {
        stores.remove(storeKey(s.tenant, s.store));
    }

    int storeCount() { return stores.size(); }

    int entityCount() { return entities; }

    List<StateCapture.StoreImage> storeImages() {
        List<StateCapture.StoreImage> out = new ArrayList<>(stores.size());
        for (Store s : stores.values()) {
            long[] pending = s.pending.stream().mapToLong(Long::longValue).toArray();
            out.add(new StateCapture.StoreImage(s.tenant, s.store, s.mode, s.seq, s.deadLetters, pending));
        }
        out.sort((a, b) -> storeKey(a.tenant(), a.store()).compareTo(storeKey(b.tenant(), b.store())));
        return out;
    }

    /** The slot of entity (hi, lo), or -1. */
    int find(long hi, long lo) {
        for (int slot = (int) mix(hi, lo) & mask; ; slot = (slot + 1) & mask) {
            long h = keys[2 * slot], l = keys[2 * slot + 1];
            if (h == hi && l == lo) return slot;
            if (h == 0 && l == 0) return -1;
        }
    }

    /** The current version of entity (hi, lo): 0 when it has no event yet. */
    long version(long hi, long lo) {
        int slot = find(hi, lo);
        return slot < 0 ? 0 : versions[slot];
    }

    /** Sets an entity's version, adding the entity when it is new; returns whether it was added. */
    boolean setVersion(long hi, long lo, long version) {
        int slot = find(hi, lo);
        if (slot >= 0) {
            versions[slot] = version;
            return false;
        }
        if (2 * (entities + 1) > mask + 1) grow();
        insert(hi, lo, version);
        entities++;
        return true;
    }

    /** Takes back the newest addition of entity (hi, lo) (an undone linked group): it must have been added last. */
    void removeAdded(long hi, long lo) {
        int slot = find(hi, lo);
        if (slot < 0) throw new IllegalStateException("no entity to remove");
        // Backward-shift deletion keeps every probe chain whole.
        int hole = slot;
        for (int next = (hole + 1) & mask; ; next = (next + 1) & mask) {
            long h = keys[2 * next], l = keys[2 * next + 1];
            if (h == 0 && l == 0) break;
            int home = (int) mix(h, l) & mask;
            if (((next - home) & mask) >= ((next - hole) & mask)) {
                keys[2 * hole] = h;
                keys[2 * hole + 1] = l;
                versions[hole] = versions[next];
                hole = next;
            }
        }
        keys[2 * hole] = 0;
        keys[2 * hole + 1] = 0;
        versions[hole] = 0;
        entities--;
    }

    private void insert(long hi, long lo, long version) {
        int slot = (int) mix(hi, lo) & mask;
        while (keys[2 * slot] != 0 || keys[2 * slot + 1] != 0) slot = (slot + 1) & mask;
        keys[2 * slot] = hi;
        keys[2 * slot + 1] = lo;
        versions[slot] = version;
    }

    private void grow() {
        long[] oldKeys = keys, oldVersions = versions;
        int slots = (mask + 1) * 2;
        keys = new long[2 * slots];
        versions = new long[slots];
        mask = slots - 1;
        for (int i = 0; i < oldVersions.length; i++) {
            if (oldKeys[2 * i] != 0 || oldKeys[2 * i + 1] != 0) insert(oldKeys[2 * i], oldKeys[2 * i + 1], oldVersions[i]);
        }
    }

    private static long mix(long hi, long lo) {
        return hi ^ (lo >>> 17); // the key is a cryptographic hash already
    }

    /** The entities as (hi, lo, version) triples, copied (a snapshot's capture). */
    long[] copyEntities() {
        long[] out = new long[3 * entities];
        int n = 0;
        for (int i = 0; i < versions.length; i++) {
            if (keys[2 * i] != 0 || keys[2 * i + 1] != 0) {
                out[n++] = keys[2 * i];
                out[n++] = keys[2 * i + 1];
                out[n++] = versions[i];
            }
        }
        return out;
    }
}
