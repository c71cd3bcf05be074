/**
 * Immutable values of the wire protocol: digests, repository names, tags, references, byte ranges,
 * media types. Each validates itself in its constructor, so an invalid value cannot exist and every
 * value is safe to put into a storage key. Imports nothing but the JDK and {@code
 * dev.lading.core.error}.
 */
package dev.lading.core.model;
