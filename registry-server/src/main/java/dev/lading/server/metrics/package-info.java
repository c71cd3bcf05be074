/**
 * Prometheus metrics (Micrometer): one registry per server, fed by the dispatcher (requests by
 * route and status, upload bytes) and by the online collector (GC runs and progress), served
 * as text at {@code GET /metrics}. Labels never carry repository names, digests or callers, so
 * their values stay few whatever the traffic. Must not import Netty handlers or storage
 * implementations.
 */
package dev.lading.server.metrics;
