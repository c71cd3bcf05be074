/**
 * TLS on the listener: the certificate chain and private key from PEM files ({@code
 * http.tls.cert_file}, {@code http.tls.key_file}), read without any library beyond the JDK (PKCS#8,
 * and the PKCS#1 and SEC1 forms cert-manager and openssl write), checked to belong together, and
 * re-read while the server runs so a rotated pair reaches new connections without a restart.
 * Netty's JDK provider does the TLS (no netty-tcnative: one less native artifact to ship, and the
 * handshake is not where a registry spends its CPU).
 *
 * <p>Imports the configuration and Netty's SSL classes, nothing of HTTP: the pipeline asks {@link
 * dev.lading.server.tls.ServerTls} for a handler per connection. A key's bytes are never logged,
 * and no error message quotes a file's content.
 */
package dev.lading.server.tls;
