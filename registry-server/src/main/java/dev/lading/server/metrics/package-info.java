/**
 * Prometheus metrics (Micrometer): one registry per server, fed by the dispatcher (requests by
 * route template and status as histograms, uploads and requests in flight, upload bytes), the
 * connections (wire bytes, open, refused, timed out), the one metering wrapper around the store
 * ({@link dev.lading.server.metrics.MeteredObjectStore}, every SPI call by operation and outcome),
 * the registry's caches, the JVM and the process, and the online collector (GC runs, phase and
 * progress). Served as text at {@code GET /metrics} on the registry's port, or by {@link
 * dev.lading.server.metrics.MetricsServer} on {@code metrics.port}. Labels never carry repository
 * names, digests or callers, so their values stay few whatever the traffic. Must not import Netty
 * handlers or storage implementations.
 */
package dev.lading.server.metrics;
