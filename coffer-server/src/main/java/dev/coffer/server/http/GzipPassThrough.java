package dev.coffer.server.http;

import io.helidon.http.encoding.ContentDecoder;
import io.helidon.http.encoding.ContentEncoder;
import io.helidon.http.encoding.ContentEncoding;

import java.util.Set;

/**
 * Tells the HTTP layer to pass encoded request bodies through untouched: {@link RequestBody}
 * inflates gzip itself, under the body and decompression-ratio caps, and answers other encodings
 * with its own 415 (rather than the HTTP layer's bare 400).
 * Responses are never compressed (they are small, and compression costs CPU the writer needs).
 */
final class GzipPassThrough implements ContentEncoding {

    @Override
    public Set<String> ids() { return Set.of("gzip", "x-gzip", "deflate", "br", "compress", "zstd"); }

    @Override
    public boolean supportsEncoding() { return false; }

    @Override
    public boolean supportsDecoding() { return true; }

    @Override
    public ContentDecoder decoder() { return ContentDecoder.NO_OP; }

    @Override
    public ContentEncoder encoder() { return ContentEncoder.NO_OP; }

    @Override
    public String name() { return "gzip-pass-through"; }

    @Override
    public String type() { return "gzip"; }
}
