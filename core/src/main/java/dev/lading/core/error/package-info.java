/**
 * Errors in the distribution-spec's terms, registered once ({@link
 * dev.lading.core.error.ErrorCode}) and thrown as {@link dev.lading.core.error.RegistryException}.
 * The server turns them into the JSON {@code errors} body in a single place. Imports nothing from
 * HTTP.
 */
package dev.lading.core.error;
