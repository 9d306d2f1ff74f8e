package dev.coffer.ledger.encoding;

import dev.coffer.ledger.AccountStatus;
import dev.coffer.ledger.Command;
import dev.coffer.ledger.Event;
import dev.coffer.ledger.Limits;
import dev.coffer.ledger.UInt128;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.TreeMap;

/**
 * The canonical binary encoding of an event, version 1 (docs/JOURNAL.md is the specification).
 * Big-endian integers; ids as one length byte plus ASCII; metadata sorted by key. The encoding
 * is what the event hash covers, so it never changes for a given version: a new field means a
 * new version byte, and decoders keep reading every old version.
 */
public final class EventCodec {

    public static final int VERSION = 1;

    static final int CREATE_ASSET = 1;
    static final int CREATE_ACCOUNT = 2;
    static final int SET_ACCOUNT_STATUS = 3;
    static final int DEPOSIT = 4;
    static final int WITHDRAW = 5;
    static final int TRANSFER = 6;
    static final int HOLD = 7;
    static final int CAPTURE = 8;
    static final int VOID = 9;
    static final int REVERSE = 10;
    static final int EXPIRE_HOLD = 11;
    static final int NOTE = 12;
    static final int APPEND_EVENT = 13;
    static final int CONFIGURE_STORE = 14;
    static final int REGISTER_SCHEMA = 15;
    static final int DEAD_LETTER = 16;
    static final int RESOLVE_DEAD_LETTER = 17;
    static final int REGISTER_TENANT_KEY = 18;

    private EventCodec() {}

    /** Appends the encoding of {@code event} to {@code out}. */
    public static void encode(Event event, ByteSink out) {
        Command command = event.command();
        out.u8(VERSION);
        out.u8(typeOf(command));
        out.u8(event.flags());
        out.u64(event.seq());
        out.u64(event.timestamp());
        out.ascii(command.id());
        switch (command) {
            case Command.Transfer t -> { out.ascii(t.from()); out.ascii(t.to()); out.u128(t.amount()); out.u64(t.nonce()); }
            case Command.Deposit d -> { out.ascii(d.accountId()); out.u128(d.amount()); out.u64(d.nonce()); }
            case Command.Withdraw w -> { out.ascii(w.accountId()); out.u128(w.amount()); out.u64(w.nonce()); }
            case Command.Hold h -> {
                out.ascii(h.from()); out.ascii(h.to()); out.u128(h.amount()); out.u64(h.timeoutSeconds()); out.u64(h.nonce());
            }
            case Command.Capture c -> { out.ascii(c.holdId()); optionalAmount(c.amount(), out); }
            case Command.VoidHold v -> out.ascii(v.holdId());
            case Command.Reverse r -> { out.ascii(r.transferId()); optionalAmount(r.amount(), out); out.u64(r.nonce()); }
            case Command.CreateAccount a -> {
                out.ascii(a.accountId()); out.ascii(a.asset()); out.ascii(a.owner()); out.u32(a.flags());
                out.u8(a.metadata().size());
                for (Map.Entry<String, String> e : new TreeMap<>(a.metadata()).entrySet()) {
                    out.utf8(e.getKey());
                    out.utf8(e.getValue());
                }
            }
            case Command.CreateAsset a -> { out.ascii(a.code()); out.u8(a.scale()); }
            case Command.SetAccountStatus s -> { out.ascii(s.accountId()); out.u8(s.status().code()); }
            case Command.Note n -> { out.ascii(n.topic()); out.utf8(n.body()); }
            case Command.ConfigureStore c -> { out.ascii(c.tenant()); out.ascii(c.store()); out.u8(c.mode()); }
            case Command.AppendEvent e -> eventFields(e, out);
            case Command.RegisterSchema r -> { out.ascii(r.tenant()); out.ascii(r.eventType()); out.u32(r.version()); bytes32(r.schema().getBytes(StandardCharsets.UTF_8), out); }
            case Command.DeadLetter d -> { eventFields(d.event(), out); bytes32(d.reason().getBytes(StandardCharsets.UTF_8), out); out.u64(d.deadLetterSeq()); }
            case Command.ResolveDeadLetter r -> { out.ascii(r.tenant()); out.ascii(r.store()); out.u64(r.deadLetterSeq()); out.u8(r.action()); }
            case Command.RegisterTenantKey k -> { out.ascii(k.tenant()); out.ascii(k.keyId()); out.u8(k.kind()); bytes32(k.material(), out); }
            case Command.ExpireHold e -> { }
        }
    }

    private static void eventFields(Command.AppendEvent e, ByteSink out) {
        out.ascii(e.tenant()); out.ascii(e.store()); out.ascii(e.eventId()); out.ascii(e.entityType()); out.ascii(e.entityId());
        out.ascii(e.eventType()); out.u64(e.expectedVersion()); out.u64(e.storeSeq()); out.u64(e.version());
        out.u8(e.encoding()); out.ascii(e.keyId());
        bytes32(e.metadata(), out);
        bytes32(e.payload(), out);
    }

    private static void bytes32(byte[] b, ByteSink out) {
        out.u32(b.length);
        out.bytes(b, 0, b.length);
    }

    private static Command.AppendEvent eventFields(String id, ByteBuffer in) {
        String tenant = ascii(in), store = ascii(in), eventId = ascii(in);
        return new Command.AppendEvent(id == null ? Command.AppendEvent.commandId(tenant, store, eventId) : id, tenant, store, eventId,
                ascii(in), ascii(in), ascii(in), in.getLong(), in.getLong(), in.getLong(), u8(in), ascii(in),
                bytes(in, Limits.EVENT_METADATA_CEILING), bytes(in, Limits.EVENT_PAYLOAD_CEILING));
    }

    private static void optionalAmount(UInt128 amount, ByteSink out) {
        if (amount == null) {
            out.u8(0);
        } else {
            out.u8(1);
            out.u128(amount);
        }
    }

    private static int typeOf(Command command) {
        return switch (command) {
            case Command.CreateAsset a -> CREATE_ASSET;
            case Command.CreateAccount a -> CREATE_ACCOUNT;
            case Command.SetAccountStatus s -> SET_ACCOUNT_STATUS;
            case Command.Deposit d -> DEPOSIT;
            case Command.Withdraw w -> WITHDRAW;
            case Command.Transfer t -> TRANSFER;
            case Command.Hold h -> HOLD;
            case Command.Capture c -> CAPTURE;
            case Command.VoidHold v -> VOID;
            case Command.Reverse r -> REVERSE;
            case Command.Note n -> NOTE;
            case Command.ConfigureStore c -> CONFIGURE_STORE;
            case Command.AppendEvent e -> APPEND_EVENT;
            case Command.RegisterSchema r -> REGISTER_SCHEMA;
            case Command.DeadLetter d -> DEAD_LETTER;
            case Command.ResolveDeadLetter r -> RESOLVE_DEAD_LETTER;
            case Command.RegisterTenantKey k -> REGISTER_TENANT_KEY;
            case Command.ExpireHold e -> EXPIRE_HOLD;
        };
    }

    /**
     * Decodes one event occupying exactly {@code length} bytes at the buffer's position.
     *
     * @throws IllegalArgumentException when the bytes are not a valid version-1 event
     */
    public static Event decode(ByteBuffer in, int length) {
        if (length < 0 || length > in.remaining()) throw new IllegalArgumentException("an event of " + length + " bytes where " + in.remaining() + " are left");
        try {
            return decodeWithin(in, length);
        } catch (java.nio.BufferUnderflowException e) {
            throw new IllegalArgumentException("an event of " + length + " bytes whose fields run past the end of its buffer");
        }
    }

    private static Event decodeWithin(ByteBuffer in, int length) {
        int end = in.position() + length;
        int version = u8(in);
        if (version != VERSION) throw new IllegalArgumentException("unknown event version " + version);
        int type = u8(in);
        int flags = u8(in);
        long seq = in.getLong();
        long timestamp = in.getLong();
        String id = ascii(in);
        Command command = switch (type) {
            case TRANSFER -> new Command.Transfer(id, ascii(in), ascii(in), u128(in), in.getLong());
            case DEPOSIT -> new Command.Deposit(id, ascii(in), u128(in), in.getLong());
            case WITHDRAW -> new Command.Withdraw(id, ascii(in), u128(in), in.getLong());
            case HOLD -> new Command.Hold(id, ascii(in), ascii(in), u128(in), in.getLong(), in.getLong());
            case CAPTURE -> new Command.Capture(id, ascii(in), optionalAmount(in));
            case VOID -> new Command.VoidHold(id, ascii(in));
            case REVERSE -> new Command.Reverse(id, ascii(in), optionalAmount(in), in.getLong());
            case CREATE_ACCOUNT -> {
                String accountId = ascii(in);
                String asset = ascii(in);
                String owner = ascii(in);
                int accountFlags = in.getInt();
                int n = u8(in);
                Map<String, String> metadata = new TreeMap<>();
                String previous = null;
                for (int i = 0; i < n; i++) {
                    String key = utf8(in);
                    // one spelling per event: keys strictly in the order the encoder writes them
                    if (previous != null && previous.compareTo(key) >= 0) throw new IllegalArgumentException("metadata keys out of order or repeated");
                    metadata.put(key, utf8(in));
                    previous = key;
                }
                yield new Command.CreateAccount(id, accountId, asset, owner, accountFlags, metadata);
            }
            case CREATE_ASSET -> new Command.CreateAsset(id, ascii(in), u8(in));
            case SET_ACCOUNT_STATUS -> new Command.SetAccountStatus(id, ascii(in), AccountStatus.ofCode(u8(in)));
            case EXPIRE_HOLD -> new Command.ExpireHold(id);
            case NOTE -> new Command.Note(id, ascii(in), utf8(in));
            case CONFIGURE_STORE -> new Command.ConfigureStore(id, ascii(in), ascii(in), u8(in));
            case APPEND_EVENT -> eventFields(id, in);
            case REGISTER_SCHEMA -> new Command.RegisterSchema(id, ascii(in), ascii(in), in.getInt(), text(bytes(in, Limits.SCHEMA_BYTES_CEILING)));
            case DEAD_LETTER -> new Command.DeadLetter(id, eventFields(null, in), text(bytes(in, Limits.REASON_BYTES_CEILING)), in.getLong());
            case RESOLVE_DEAD_LETTER -> new Command.ResolveDeadLetter(id, ascii(in), ascii(in), in.getLong(), u8(in));
            case REGISTER_TENANT_KEY -> new Command.RegisterTenantKey(id, ascii(in), ascii(in), u8(in), bytes(in, Limits.KEY_BYTES_CEILING));
            default -> throw new IllegalArgumentException("unknown event type " + type);
        };
        if (in.position() != end) throw new IllegalArgumentException("event " + seq + " length mismatch: " + (in.position() - end + length) + " of " + length + " bytes used");
        return new Event(seq, timestamp, flags, command);
    }

    private static int u8(ByteBuffer in) {
        return in.get() & 0xFF;
    }

    private static UInt128 u128(ByteBuffer in) {
        long hi = in.getLong();
        long lo = in.getLong();
        return hi == 0 && lo == 0 ? UInt128.ZERO : new UInt128(hi, lo);
    }

    private static UInt128 optionalAmount(ByteBuffer in) {
        int present = u8(in);
        if (present > 1) throw new IllegalArgumentException("bad optional-amount marker " + present);
        return present == 0 ? null : u128(in);
    }

    /** Scratch for reading ids ({@link Limits#ID_BYTES_CEILING} bytes at most); one per decoding thread. */
    private static final ThreadLocal<byte[]> ID_SCRATCH = ThreadLocal.withInitial(() -> new byte[Limits.ID_BYTES_CEILING]);

    private static String ascii(ByteBuffer in) {
        int n = u8(in);
        if (n > Limits.ID_BYTES_CEILING) throw new IllegalArgumentException("id of " + n + " bytes, more than " + Limits.ID_BYTES_CEILING);
        byte[] b = ID_SCRATCH.get();
        in.get(b, 0, n);
        return new String(b, 0, n, StandardCharsets.ISO_8859_1);
    }

    private static byte[] bytes(ByteBuffer in, int ceiling) {
        int n = in.getInt();
        if (n < 0 || n > ceiling) throw new IllegalArgumentException("field of " + n + " bytes, more than " + ceiling);
        byte[] b = new byte[n];
        in.get(b);
        return b;
    }

    /** A length-prefixed UTF-8 string; malformed UTF-8 is refused rather than replaced, so that it encodes back to the same bytes. */
    private static String utf8(ByteBuffer in) {
        int n = in.getShort() & 0xFFFF;
        byte[] b = new byte[n];
        in.get(b);
        return text(b);
    }

    /** Strict UTF-8: one event, one spelling (a lenient decoder would read many byte strings as the same text). */
    private static String text(byte[] b) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
                    .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
        } catch (java.nio.charset.CharacterCodingException e) {
            throw new IllegalArgumentException("malformed UTF-8 in a text field");
        }
    }
}
