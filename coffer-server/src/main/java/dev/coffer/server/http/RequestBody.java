package dev.coffer.server.http;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

import java.util.zip.GZIPInputStream;

/**
 * Reads a request body within its bounds: at most {@code maxBytes} as sent, and for a gzip body
 * at most {@code min(maxBytes, ratio × compressed size)} once inflated — a small body that
 * inflates to gigabytes (a "zip bomb") is refused after reading only the allowed amount.
 */
final class RequestBody {

    private RequestBody() {}

    static byte[] read(InputStream in, long contentLength, String contentEncoding, int maxBytes, int maxRatio) throws IOException {
        if (contentLength > maxBytes) throw tooLarge(maxBytes);
        byte[] raw;
        if (contentLength >= 0) {
            raw = in.readNBytes((int) contentLength);
            if (raw.length < contentLength) throw ApiException.badRequest("body_truncated", "the body ended before Content-Length bytes");
        } else {
            raw = readAtMost(in, maxBytes, () -> tooLarge(maxBytes));
        }
        if (contentEncoding == null || contentEncoding.isEmpty() || contentEncoding.equalsIgnoreCase("identity")) return raw;
        if (!contentEncoding.equalsIgnoreCase("gzip") && !contentEncoding.equalsIgnoreCase("x-gzip")) {
            throw new ApiException(415, "content_encoding_unsupported", "Content-Encoding " + contentEncoding + " is not supported (gzip or identity)");
        }
        long allowed = Math.min(maxBytes, (long) maxRatio * Math.max(raw.length, 1));
        try (InputStream gz = new GZIPInputStream(new java.io.ByteArrayInputStream(raw))) {
            return readAtMost(gz, (int) allowed, () -> allowed == maxBytes ? tooLarge(maxBytes)
                    : new ApiException(413, "decompression_ratio_exceeded", "the gzip body inflates to more than " + maxRatio + "× its size"));
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            throw ApiException.badRequest("body_invalid_gzip", "the body is not valid gzip: " + e.getMessage());
        }
    }

    private static byte[] readAtMost(InputStream in, int max, java.util.function.Supplier<ApiException> overflow) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(max, 8192));
        byte[] buf = new byte[8192];
        long total = 0;
        int n;
        while ((n = in.read(buf)) > 0) {
            total += n;
            if (total > max) throw overflow.get();
            out.write(buf, 0, n);
        }
        return out.toByteArray();
    }

    private static ApiException tooLarge(int maxBytes) {
        return new ApiException(413, "body_too_large", "request body larger than " + maxBytes + " bytes");
    }

}
