package dev.coffer.ledger.encoding;

import dev.coffer.ledger.Limits;
import dev.coffer.ledger.UInt128;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** A growable big-endian byte buffer reused batch after batch, so encoding allocates nothing. */
public final class ByteSink {

    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.BIG_ENDIAN);
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.BIG_ENDIAN);

    private byte[] buf;
    private int pos;

    public ByteSink(int initialCapacity) {
        buf = new byte[initialCapacity];
    }

    public byte[] array() { return buf; }

    public int position() { return pos; }

    public void position(int p) { pos = p; }

    public void clear() { pos = 0; }

    private void ensure(int more) {
        if (pos + more > buf.length) buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + more));
    }

    /** Reserves {@code n} bytes to be filled in place later. */
    public void skip(int n) {
        ensure(n);
        pos += n;
    }

    public void u8(int v) {
        ensure(1);
        buf[pos++] = (byte) v;
    }

    public void u16(int v) {
        ensure(2);
        buf[pos++] = (byte) (v >>> 8);
        buf[pos++] = (byte) v;
    }

    public void u32(int v) {
        ensure(4);
        INT.set(buf, pos, v);
        pos += 4;
    }

    /** Writes {@code v} at an earlier position without moving (for lengths known afterwards). */
    public void u32At(int at, int v) {
        INT.set(buf, at, v);
    }

    public void u64(long v) {
        ensure(8);
        LONG.set(buf, pos, v);
        pos += 8;
    }

    public void u128(UInt128 v) {
        u64(v.hi());
        u64(v.lo());
    }

    public void bytes(byte[] b, int off, int len) {
        ensure(len);
        System.arraycopy(b, off, buf, pos, len);
        pos += len;
    }

    /** One length byte, then the characters as bytes. Ids are validated visible ASCII, at most {@link Limits#ID_BYTES_CEILING} long. */
    public void ascii(String s) {
        int n = s.length();
        if (n > Limits.ID_BYTES_CEILING) throw new IllegalArgumentException("id longer than " + Limits.ID_BYTES_CEILING + ": " + n);
        ensure(1 + n);
        buf[pos++] = (byte) n;
        for (int i = 0; i < n; i++) buf[pos++] = (byte) s.charAt(i);
    }

    /** Two length bytes, then UTF-8. */
    public void utf8(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        if (b.length > 0xFFFF) throw new IllegalArgumentException("string longer than 65535 bytes");
        u16(b.length);
        bytes(b, 0, b.length);
    }
}
