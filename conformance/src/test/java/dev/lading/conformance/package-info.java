/**
 * Black-box conformance tests: each test class launches the packaged server ({@code
 * registry-server/target/lading.jar}) as a separate process through {@link
 * dev.lading.conformance.RegistryProcess} and drives it over real sockets through the OCI
 * distribution-spec workflows, and through real clients (skopeo, podman, ORAS).
 *
 * <p>Must not import anything from {@code dev.lading.core} or {@code dev.lading.server}: the tests
 * know the server only by its HTTP contract, so they hold for any implementation.
 */
package dev.lading.conformance;
