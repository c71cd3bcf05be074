/**
 * Hashing that survives a restart: a SHA-256 whose state is exported after each upload chunk and
 * restored by whichever process takes the next one. Imports only the JDK and core model types.
 */
package dev.lading.core.hash;
