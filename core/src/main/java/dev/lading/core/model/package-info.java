/**
 * Immutable values of the wire protocol: digests, repository names, tags, references, byte ranges,
 * media types. Each validates itself in its constructor, so an invalid value cannot exist and every
 * value is safe to put into a storage key. Imports nothing but the JDK, {@code
 * dev.lading.core.error} and, for BLAKE3 (which the JDK lacks), Bouncy Castle's digest.
 */
package dev.lading.core.model;
