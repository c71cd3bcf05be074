/**
 * Rules an operator sets on what may happen to tags, as values the registry service enforces where
 * tags are written ({@code RepositoryManifests}): {@link dev.lading.core.policy.ImmutableTags}, the
 * immutable tag rules ({@code policies.immutable_tags}), and {@link
 * dev.lading.core.policy.ImmutableTagOverride}, what one request may do against them, and {@link
 * dev.lading.core.policy.Quotas}, the byte limits per repository pattern ({@code policies.quotas},
 * counted and enforced by the registry's {@code QuotaLedger}). The patterns ({@link
 * dev.lading.core.policy.RepositoryGlob}, {@link dev.lading.core.policy.TagGlob}) live here so core
 * enforces the rules without the auth module, whose access rules use the same repository pattern
 * semantics through {@code RepositoryGlob}.
 *
 * <p>Imports no HTTP, auth or configuration: the server parses the configuration into these values
 * and decides, from the principal, whether a request's override is granted.
 */
package dev.lading.core.policy;
