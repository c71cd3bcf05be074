/**
 * Operator endpoints outside the distribution API ({@code /admin/...}): the online GC's trigger and
 * status, the quotas' usage, the events' queues and their replay. Routed by the dispatcher behind
 * the GC permission (auth off: allowed unless read-only; token auth: the {@code registry:gc:delete}
 * scope, which the token endpoint grants only to principals allowed to delete in every repository).
 * Must not import storage implementations.
 */
package dev.lading.server.admin;
