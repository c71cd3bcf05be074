/**
 * The process: the command line ({@link dev.lading.server.Main}) and the programmatic handle
 * ({@link dev.lading.server.LadingServer}) that wires configuration, store, registry and the HTTP
 * front end together. The only package that names concrete stores.
 */
package dev.lading.server;
