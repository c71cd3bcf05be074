/**
 * The HTTP front end: Netty decodes HTTP/1.1, {@link dev.lading.server.http.Routes} matches the
 * distribution-spec's paths from the right (names contain slashes), one handler per API resource
 * translates the request into a {@link dev.lading.core.registry.Registry} call, and {@link
 * dev.lading.server.http.ErrorResponses} alone turns failures into the spec's JSON {@code errors}
 * body.
 *
 * <p>Threads: the event loop only moves buffers. Each request's handler runs on its own virtual
 * thread; the request body reaches it through {@link dev.lading.server.http.RequestBodyStream}, a
 * byte-bounded hand-off that switches the channel's autoRead off while the registry is slower than
 * the client. Responses are written from the virtual thread: files as {@code FileRegion}s
 * (zero-copy), streams in chunks that wait for the channel to become writable again. A connection
 * serves one request at a time; a pipelined request waits (autoRead off) until the previous
 * response is written.
 *
 * <p>Connections. {@link dev.lading.server.http.ConnectionDeadlines} closes a connection that keeps
 * the server waiting too long for a request head, a next request or a body byte (never for the
 * server's own time), {@link dev.lading.server.http.ConnectionCeiling} bounds how many are served
 * at once, and {@link dev.lading.server.http.RequestTarget} holds every request to HTTP/1.1's one
 * valid {@code Host}. A body whose framing breaks is the client's error ({@link
 * dev.lading.server.http.RequestBodyException}), never a storage failure.
 *
 * <p>Range requests. One {@code bytes} range is answered {@code 206} with its bytes, several with a
 * {@code multipart/byteranges} body ({@code ByteRangeHeader}, {@code MultipartByteranges}). A
 * {@code bytes} header we cannot honour (malformed, outside the blob, more ranges than {@code
 * limits.max_ranges}) is answered {@code 416}, never {@code 200}: RFC 9110 allows ignoring it, but
 * peer-to-peer caches such as Dragonfly store whatever bytes come back as the piece they asked for,
 * so a full body answered to a ranged request corrupts their copy. Only a non-matching {@code
 * If-Range} yields the full {@code 200}, as the RFC requires, because the client asked for that
 * explicitly, and so does a range in another unit ({@code items=0-1}), which the RFC requires to be
 * ignored: nobody asked for bytes.
 *
 * <p>Must not import any storage implementation: handlers see only the {@code Registry}.
 */
package dev.lading.server.http;
