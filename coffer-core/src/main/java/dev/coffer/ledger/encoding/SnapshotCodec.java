package dev.coffer.ledger.encoding;

import dev.coffer.ledger.AccountStatus;
import dev.coffer.ledger.Limits;
import dev.coffer.ledger.UInt128;
import dev.coffer.ledger.state.LedgerState;
import dev.coffer.ledger.state.StateCapture;

import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * The snapshot encoding for every backend (snapshot files of the journal, rows of PostgreSQL's
 * {@code coffer_snapshots}): the state at a batch boundary and the chain hash of its last event.
 * Written as version 5 (accounts in index order, each as its arena entry, word and non-zero
 * numbers, then the event stores with their dead-letter queues, the entities' versions, the
 * current schemas and the tenants' keys: docs/JOURNAL.md); version 4 (no keys), version 3 (stores without dead letters, no schemas), version 2
 * (no event streams) and version 1 (accounts sorted by id, every field spelled out) are still read. Enum values are written by their explicit codes ({@link AccountStatus#code()}, the hold
 * state's code), never by {@code ordinal()}. A trailing CRC32C covers everything before it.
 */
public final class SnapshotCodec {

    private static final byte[] MAGIC = {'C', 'O', 'F', 'F', 'E', 'R', 'S', '1'};
    static final int VERSION = 5;
    /** Bits of an account's presence mask: two per balance (0 zero, 1 low word only, 2 both words), then the nonce. */
    private static final int NONCE_BIT = 1 << 8;

    /**
     * A snapshot whose CRC, magic and header have been checked: the chain hash of event
     * {@code lastSeq}, and the body, decoded into a state by {@link #load}.
     */
    public record Decoded(int version, long lastSeq, long lastTimestamp, long windowStartSeq, byte[] lastHash, byte[] bytes) {
        /** Decodes the body into a new state. @throws IOException when the body is malformed */
        public LedgerState load(Limits limits, int idempotencyCap, long idempotencyTtlMicros) throws IOException {
            return SnapshotCodec.load(this, LedgerState.loader(limits, idempotencyCap, idempotencyTtlMicros));
        }
    }

    private SnapshotCodec() {}

    /** The whole snapshot in memory (PostgreSQL rows, tests). */
    public static byte[] encode(StateCapture capture, byte[] lastHash) throws IOException {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(1 << 16);
        write(capture, lastHash, bytes);
        return bytes.toByteArray();
    }

    /** Streams the snapshot to {@code sink} (not closed): magic, version, fields, and a trailing CRC32C over everything before it. */
    public static void write(StateCapture capture, byte[] lastHash, OutputStream sink) throws IOException {
        write(capture, lastHash, sink, AccountWriter.BUFFER_BYTES);
    }

    /** {@link #write} with the accounts encoded through a buffer of {@code accountBufferBytes} (tests try a tiny one). */
    static void write(StateCapture capture, byte[] lastHash, OutputStream sink, int accountBufferBytes) throws IOException {
        CRC32C crc = new CRC32C();
        // The CRC is updated a buffer at a time (under the buffer, not above it, where each field
        // of each account would be a call per byte: measured as half the snapshot thread's time).
        CheckedOutputStream checked = new CheckedOutputStream(sink, crc);
        DataOutputStream out = new DataOutputStream(new BufferedOutputStream(checked, 1 << 16));
        out.write(MAGIC);
        out.writeInt(VERSION);
        out.writeLong(capture.lastSeq());
        out.writeLong(capture.lastTimestamp());
        out.writeLong(capture.windowStartSeq());
        out.write(lastHash);
        out.writeInt(capture.assets().size());
        for (StateCapture.AssetImage a : capture.assets()) {
            out.writeUTF(a.code());
            out.writeInt(a.scale());
        }
        out.writeInt(capture.accountCount());
        out.flush(); // the accounts go straight to the checked stream, after what is buffered
        AccountWriter accounts = new AccountWriter(checked, accountBufferBytes);
        capture.forEachAccount(accounts::write);
        accounts.flush();
        out.writeInt(capture.holds().size());
        for (StateCapture.HoldImage h : capture.holds()) {
            out.writeUTF(h.id());
            out.writeUTF(h.from());
            out.writeUTF(h.to());
            u128(out, h.amount());
            out.writeLong(h.seq());
            out.writeLong(h.expiresAt());
            out.writeByte(h.state());
            u128(out, h.captured());
        }
        out.writeInt(capture.reversed().size());
        for (Map.Entry<String, UInt128> e : capture.reversed().entrySet()) {
            out.writeUTF(e.getKey());
            u128(out, e.getValue());
        }
        out.writeInt(capture.stores().size());
        for (StateCapture.StoreImage st : capture.stores()) {
            out.writeUTF(st.tenant());
            out.writeUTF(st.store());
            out.writeByte(st.mode());
            out.writeLong(st.seq());
            out.writeLong(st.deadLetters());
            out.writeInt(st.pendingDeadLetters().length);
            for (long p : st.pendingDeadLetters()) out.writeLong(p);
        }
        long[] entities = capture.entities();
        out.writeInt(entities.length / 3);
        for (long w : entities) out.writeLong(w);
        out.writeInt(capture.schemas().size());
        for (StateCapture.SchemaImage sc : capture.schemas()) {
            out.writeUTF(sc.tenant());
            out.writeUTF(sc.eventType());
            out.writeInt(sc.version());
            byte[] text = sc.schema().getBytes(java.nio.charset.StandardCharsets.UTF_8);
            out.writeInt(text.length);
            out.write(text);
        }
        out.writeInt(capture.keys().size());
        for (StateCapture.KeyImage k : capture.keys()) {
            out.writeUTF(k.tenant());
            out.writeUTF(k.keyId());
            out.writeByte(k.kind());
            out.writeInt(k.material().length);
            out.write(k.material());
        }
        out.flush();
        sink.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
        sink.flush();
    }

    /**
     * Encodes accounts into a buffer of its own, in exactly the bytes {@link DataOutputStream}
     * would write (big-endian), and writes it a buffer at a time: at 10 M accounts the
     * per-field {@code writeLong} calls through a {@link BufferedOutputStream} (a lock and a copy
     * each) were three quarters of the snapshot thread's samples, and a slow snapshot keeps the
     * writer copying pages (copy-on-write) for longer.
     */
    private static final class AccountWriter {
        private static final int BUFFER_BYTES = 1 << 16;
        /** The most an account takes beside its entry: length, status, flags, asset, mask, eight balance words, nonce. */
        private static final int FIXED_BYTES = 2 + 1 + 2 + 2 + 2 + 9 * 8;

        private final OutputStream sink;
        private final ByteBuffer buf;

        AccountWriter(OutputStream sink, int bufferBytes) {
            this.sink = sink;
            this.buf = ByteBuffer.allocate(Math.max(bufferBytes, FIXED_BYTES));
        }

        void write(StateCapture.AccountRecord a) throws IOException {
            int len = a.entryLength();
            if (buf.remaining() < len + FIXED_BYTES) {
                flush();
                if (buf.remaining() < len + FIXED_BYTES) { // an entry larger than the buffer: its own write
                    buf.putShort((short) len);
                    flush();
                    sink.write(a.entryBytes(), a.entryOffset(), len);
                    fields(a);
                    return;
                }
            }
            buf.putShort((short) len);
            buf.put(a.entryBytes(), a.entryOffset(), len);
            fields(a);
        }

        private void fields(StateCapture.AccountRecord a) {
            buf.put((byte) a.statusCode());
            buf.putShort((short) a.flags());
            buf.putShort((short) a.assetIndex());
            int mask = 0;
            for (int i = 0; i < 4; i++) mask |= (a.hi(i) != 0 ? 2 : a.lo(i) != 0 ? 1 : 0) << (2 * i);
            if (a.nonce() != 0) mask |= NONCE_BIT;
            buf.putShort((short) mask);
            for (int i = 0; i < 4; i++) {
                int m = (mask >>> (2 * i)) & 3;
                if (m == 2) buf.putLong(a.hi(i));
                if (m != 0) buf.putLong(a.lo(i));
            }
            if ((mask & NONCE_BIT) != 0) buf.putLong(a.nonce());
        }

        void flush() throws IOException {
            if (buf.position() > 0) sink.write(buf.array(), 0, buf.position());
            buf.clear();
        }
    }

    /** Checks a snapshot's CRC, magic, version and header. @throws IOException when the bytes are damaged or not a snapshot */
    public static Decoded decode(byte[] bytes) throws IOException {
        if (bytes.length < MAGIC.length + 4) throw new IOException("too short");
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        if ((int) crc.getValue() != ByteBuffer.wrap(bytes, bytes.length - 4, 4).getInt()) throw new IOException("CRC32C mismatch");
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, 0, bytes.length - 4));
        byte[] magic = in.readNBytes(MAGIC.length);
        if (!Arrays.equals(magic, MAGIC)) throw new IOException("not a snapshot");
        int version = in.readInt();
        if (version < 1 || version > VERSION) throw new IOException("unknown snapshot version " + version);
        long lastSeq = in.readLong();
        long lastTimestamp = in.readLong();
        long windowStartSeq = in.readLong();
        byte[] lastHash = in.readNBytes(EventChain.HASH_BYTES);
        return new Decoded(version, lastSeq, lastTimestamp, windowStartSeq, lastHash, bytes);
    }

    private static LedgerState load(Decoded d, LedgerState.Loader loader) throws IOException {
        byte[] bytes = d.bytes();
        int headerBytes = MAGIC.length + 4 + 3 * 8 + EventChain.HASH_BYTES;
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, headerBytes, bytes.length - 4 - headerBytes));
        try {
            for (int n = count(in); n > 0; n--) loader.asset(in.readUTF(), in.readInt());
            if (d.version() == 1) accountsV1(in, loader);
            else accountsV2(bytes, headerBytes, in, loader);
            for (int n = count(in); n > 0; n--) {
                loader.hold(new StateCapture.HoldImage(in.readUTF(), in.readUTF(), in.readUTF(), u128(in), in.readLong(), in.readLong(), in.readByte(), u128(in)));
            }
            for (int n = count(in); n > 0; n--) loader.reversed(in.readUTF(), u128(in));
            if (d.version() >= 3) {
                for (int n = count(in); n > 0; n--) {
                    String tenant = in.readUTF(), store = in.readUTF();
                    int mode = in.readByte();
                    long seq = in.readLong();
                    long deadLetters = 0;
                    long[] pending = new long[0];
                    if (d.version() >= 4) {
                        deadLetters = in.readLong();
                        int count = in.readInt();
                        if (count < 0 || count > deadLetters || count > in.available() / 8) throw new IOException("bad dead-letter count");
                        pending = new long[count];
                        for (int i = 0; i < count; i++) pending[i] = in.readLong();
                    }
                    loader.store(new StateCapture.StoreImage(tenant, store, mode, seq, deadLetters, pending));
                }
                for (int n = count(in); n > 0; n--) loader.entity(in.readLong(), in.readLong(), in.readLong());
            }
            if (d.version() >= 4) {
                for (int n = count(in); n > 0; n--) {
                    String tenant = in.readUTF(), type = in.readUTF();
                    int version = in.readInt();
                    int len = in.readInt();
                    if (len < 0 || len > dev.coffer.ledger.Limits.SCHEMA_BYTES_CEILING) throw new IOException("bad schema length");
                    loader.schema(new StateCapture.SchemaImage(tenant, type, version, new String(in.readNBytes(len), java.nio.charset.StandardCharsets.UTF_8)));
                }
            }
            if (d.version() >= 5) {
                for (int n = count(in); n > 0; n--) {
                    String tenant = in.readUTF(), keyId = in.readUTF();
                    int kind = in.readByte();
                    int len = in.readInt();
                    if (len < 1 || len > dev.coffer.ledger.Limits.KEY_BYTES_CEILING) throw new IOException("bad key length");
                    loader.key(new StateCapture.KeyImage(tenant, keyId, kind, in.readNBytes(len)));
                }
            }
            if (in.available() != 0) throw new IOException("trailing bytes");
            return loader.finish(d.lastSeq(), d.lastTimestamp());
        } catch (RuntimeException e) {
            throw new IOException("malformed snapshot: " + e.getMessage(), e);
        }
    }

    /**
     * A count of entries that follow: each takes at least a byte, so a count past the bytes left is
     * damage, refused before anything is allocated for it.
     */
    private static int count(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available()) throw new IOException("a count of " + n + " entries with " + in.available() + " bytes left");
        return n;
    }

    private static void accountsV1(DataInputStream in, LedgerState.Loader loader) throws IOException {
        for (int n = count(in); n > 0; n--) {
            String id = in.readUTF();
            String asset = in.readUTF();
            String owner = in.readUTF();
            AccountStatus status = AccountStatus.ofCode(in.readByte());
            int flags = in.readInt();
            Map<String, String> metadata = new TreeMap<>();
            for (int m = in.readInt(); m > 0; m--) metadata.put(in.readUTF(), in.readUTF());
            loader.account(id, asset, owner, status, flags, metadata, u128(in), u128(in), u128(in), u128(in), in.readLong());
        }
    }

    /** Reads the accounts straight out of {@code bytes}: each entry is handed over where it lies, not copied into a String. */
    private static void accountsV2(byte[] bytes, int headerBytes, DataInputStream in, LedgerState.Loader loader) throws IOException {
        long[] balances = new long[8];
        for (int n = count(in); n > 0; n--) {
            int len = in.readUnsignedShort();
            int at = bytes.length - 4 - in.available();
            if (in.skipBytes(len) != len) throw new IOException("account entry cut short");
            int status = in.readUnsignedByte();
            int flags = in.readUnsignedShort();
            int asset = in.readUnsignedShort();
            int mask = in.readUnsignedShort();
            for (int i = 0; i < 4; i++) {
                int m = (mask >>> (2 * i)) & 3;
                if (m == 3) throw new IOException("bad balance mask");
                balances[2 * i] = m == 2 ? in.readLong() : 0;
                balances[2 * i + 1] = m != 0 ? in.readLong() : 0;
            }
            long nonce = (mask & NONCE_BIT) != 0 ? in.readLong() : 0;
            loader.account(bytes, at, len, asset, status, flags, balances, nonce);
        }
    }

    private static void u128(DataOutputStream out, UInt128 v) throws IOException {
        out.writeLong(v.hi());
        out.writeLong(v.lo());
    }

    private static UInt128 u128(DataInputStream in) throws IOException {
        long hi = in.readLong();
        long lo = in.readLong();
        return hi == 0 && lo == 0 ? UInt128.ZERO : new UInt128(hi, lo);
    }
}
