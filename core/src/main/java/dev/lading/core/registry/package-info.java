/**
 * The registry service: every operation of the OCI distribution-spec as a blocking Java call
 * ({@link dev.lading.core.registry.Registry}), implemented once above the storage SPI. Handlers in
 * the server translate HTTP to these calls and nothing more. Imports no HTTP, S3 or JWT.
 */
package dev.lading.core.registry;
