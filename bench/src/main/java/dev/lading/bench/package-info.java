/**
 * Benchmark programs: they start real registry processes (Lading's server jar and, when installed,
 * CNCF Distribution) as children, drive them over loopback with a small raw HTTP/1.1 client, and
 * print throughput, latency and memory side by side. Blob content is generated on the fly and never
 * stored by the client, so the client's own memory stays flat whatever the blob size. Nothing here
 * is run as a test and nothing in the server imports it; it may import only the JDK, picocli and
 * {@code dev.lading.core.model}.
 */
package dev.lading.bench;
