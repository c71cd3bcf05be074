/**
 * Token auth on the wire: the {@link dev.lading.server.http.RequestAuthorizer} that checks bearer
 * tokens before any body byte is read and answers the Docker challenge, the token endpoint ({@code
 * /auth/token}, GET with Basic and the OAuth2 POST form) and the JWKS ({@code /auth/jwks.json}).
 * The rules, keys and tokens themselves are {@code dev.lading.auth}'s; this package only speaks
 * HTTP for them.
 *
 * <p>Must not import any storage implementation or the registry service: auth decides before the
 * registry is involved. The storage SPI is used for one thing only: the signing key set as an
 * object in a shared store ({@link dev.lading.server.auth.StoredKeySet}).
 */
package dev.lading.server.auth;
