package dev.coffer.ledger.encoding;

import dev.coffer.ledger.AccountStatus;
import dev.coffer.ledger.AccountView;
import dev.coffer.ledger.UInt128;
import dev.coffer.ledger.state.StateImage;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * The snapshot encoding, version 1, for every backend (snapshot files of the journal, rows of
 * PostgreSQL's {@code coffer_snapshots}): the state image at a batch boundary and the chain hash of
 * its last event. Enum values are written by their explicit codes ({@link AccountStatus#code()},
 * the hold state's code), never by {@code ordinal()}. A trailing CRC32C covers everything before it.
 */
public final class SnapshotCodec {

    private static final byte[] MAGIC = {'C', 'O', 'F', 'F', 'E', 'R', 'S', '1'};

    /** A decoded snapshot: the state image and the chain hash of event {@code image.lastSeq()}. */
    public record Decoded(StateImage image, byte[] lastHash) {}

    private SnapshotCodec() {}

    /** Magic, version, fields, and a trailing CRC32C over everything before it. */
    public static byte[] encode(StateImage image, byte[] lastHash) {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream(1 << 16);
        CRC32C crc = new CRC32C();
        try (CheckedOutputStream checked = new CheckedOutputStream(bytes, crc);
             DataOutputStream out = new DataOutputStream(checked)) {
            out.write(MAGIC);
            out.writeInt(1);
            out.writeLong(image.lastSeq());
            out.writeLong(image.lastTimestamp());
            out.writeLong(image.windowStartSeq());
            out.write(lastHash);
            out.writeInt(image.assets().size());
            for (StateImage.AssetImage a : image.assets()) {
                out.writeUTF(a.code());
                out.writeInt(a.scale());
            }
            out.writeInt(image.accounts().size());
            for (AccountView a : image.accounts()) {
                out.writeUTF(a.id());
                out.writeUTF(a.asset());
                out.writeUTF(a.owner());
                out.writeByte(a.status().code());
                out.writeInt(a.flags());
                out.writeInt(a.metadata().size());
                for (Map.Entry<String, String> e : new TreeMap<>(a.metadata()).entrySet()) {
                    out.writeUTF(e.getKey());
                    out.writeUTF(e.getValue());
                }
                u128(out, a.debitsPosted());
                u128(out, a.creditsPosted());
                u128(out, a.debitsPending());
                u128(out, a.creditsPending());
                out.writeLong(a.nonce());
            }
            out.writeInt(image.holds().size());
            for (StateImage.HoldImage h : image.holds()) {
                out.writeUTF(h.id());
                out.writeUTF(h.from());
                out.writeUTF(h.to());
                u128(out, h.amount());
                out.writeLong(h.seq());
                out.writeLong(h.expiresAt());
                out.writeByte(h.state());
                u128(out, h.captured());
            }
            out.writeInt(image.reversed().size());
            for (Map.Entry<String, UInt128> e : image.reversed().entrySet()) {
                out.writeUTF(e.getKey());
                u128(out, e.getValue());
            }
            out.flush();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // a byte array does not fail
        }
        bytes.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
        return bytes.toByteArray();
    }

    /** Reads back what {@link #encode} wrote. @throws IOException when the bytes are damaged or not a snapshot */
    public static Decoded decode(byte[] bytes) throws IOException {
        if (bytes.length < MAGIC.length + 4) throw new IOException("too short");
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        if ((int) crc.getValue() != ByteBuffer.wrap(bytes, bytes.length - 4, 4).getInt()) throw new IOException("CRC32C mismatch");
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, 0, bytes.length - 4));
        byte[] magic = in.readNBytes(MAGIC.length);
        if (!Arrays.equals(magic, MAGIC)) throw new IOException("not a snapshot");
        int version = in.readInt();
        if (version != 1) throw new IOException("unknown snapshot version " + version);
        long lastSeq = in.readLong();
        long lastTimestamp = in.readLong();
        long windowStartSeq = in.readLong();
        byte[] lastHash = in.readNBytes(EventChain.HASH_BYTES);
        List<StateImage.AssetImage> assets = new ArrayList<>();
        for (int n = in.readInt(); n > 0; n--) assets.add(new StateImage.AssetImage(in.readUTF(), in.readInt()));
        List<AccountView> accounts = new ArrayList<>();
        for (int n = in.readInt(); n > 0; n--) {
            String id = in.readUTF();
            String asset = in.readUTF();
            String owner = in.readUTF();
            AccountStatus status = AccountStatus.ofCode(in.readByte());
            int flags = in.readInt();
            Map<String, String> metadata = new TreeMap<>();
            for (int m = in.readInt(); m > 0; m--) metadata.put(in.readUTF(), in.readUTF());
            accounts.add(new AccountView(id, asset, owner, status, flags, Map.copyOf(metadata),
                    u128(in), u128(in), u128(in), u128(in), in.readLong()));
        }
        List<StateImage.HoldImage> holds = new ArrayList<>();
        for (int n = in.readInt(); n > 0; n--) {
            holds.add(new StateImage.HoldImage(in.readUTF(), in.readUTF(), in.readUTF(), u128(in), in.readLong(), in.readLong(), in.readByte(), u128(in)));
        }
        TreeMap<String, UInt128> reversed = new TreeMap<>();
        for (int n = in.readInt(); n > 0; n--) reversed.put(in.readUTF(), u128(in));
        if (in.available() != 0) throw new IOException("trailing bytes");
        return new Decoded(new StateImage(lastSeq, lastTimestamp, windowStartSeq, assets, accounts, holds, reversed), lastHash);
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
