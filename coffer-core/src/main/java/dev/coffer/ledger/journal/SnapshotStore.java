package dev.coffer.ledger.journal;

import dev.coffer.ledger.AccountStatus;
import dev.coffer.ledger.AccountView;
import dev.coffer.ledger.UInt128;
import dev.coffer.ledger.state.StateImage;

import java.io.ByteArrayInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;

/**
 * Snapshot files: the ledger state at a batch boundary plus the hash of its last event, so
 * recovery replays only the journal after it. Written to a temporary file, fsynced, renamed into
 * place and the directory fsynced; a trailing CRC32C covers the whole file. The newest
 * {@link #KEEP} are kept; a damaged newest snapshot falls back to the one before, then to a full replay.
 */
public final class SnapshotStore {

    public static final int KEEP = 2;
    private static final byte[] MAGIC = {'C', 'O', 'F', 'F', 'E', 'R', 'S', '1'};
    private static final String SUFFIX = ".snapshot";

    /** A loaded snapshot: the state image and the chain hash of event {@code image.lastSeq()}. */
    public record Snapshot(Path file, Decoded content) {}

    /** A decoded snapshot: the state image and the chain hash of event {@code image.lastSeq()}. */
    public record Decoded(StateImage image, byte[] lastHash) {}

    private final Path dir;

    public SnapshotStore(Path dir) {
        this.dir = dir;
    }

    public void write(StateImage image, byte[] lastHash) throws IOException {
        Path tmp = dir.resolve(String.format("%020d%s.tmp", image.lastSeq(), SUFFIX));
        Path target = dir.resolve(String.format("%020d%s", image.lastSeq(), SUFFIX));
        byte[] bytes = encode(image, lastHash);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            ByteBuffer buf = ByteBuffer.wrap(bytes);
            while (buf.hasRemaining()) ch.write(buf);
            ch.force(true);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        Fsync.directory(dir);
        List<Path> all = list();
        for (int i = 0; i < all.size() - KEEP; i++) Files.deleteIfExists(all.get(i));
    }

    /** The snapshot format (version 1): magic, fields, and a trailing CRC32C over everything before it. */
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
                out.writeByte(a.status().ordinal());
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

    /** The newest snapshot that reads back intact, or null. Damaged ones are reported to {@code warn}. */
    public Snapshot loadNewest(java.util.function.Consumer<String> warn) throws IOException {
        List<Path> all = list();
        for (int i = all.size() - 1; i >= 0; i--) {
            try {
                return new Snapshot(all.get(i), decode(Files.readAllBytes(all.get(i))));
            } catch (IOException | RuntimeException e) {
                warn.accept("snapshot " + all.get(i) + " unreadable (" + e.getMessage() + "); trying an older one");
            }
        }
        return null;
    }

    private List<Path> list() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).sorted().toList();
        }
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
        byte[] lastHash = in.readNBytes(JournalFormat.HASH_BYTES);
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
