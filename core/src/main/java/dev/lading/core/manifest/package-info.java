/**
 * Manifest and index parsing and the rules for accepting a push (image-spec manifest.md,
 * image-index.md, descriptor.md; Docker schema 2 and manifest lists). Works on bytes and a small
 * view of the repository's contents; imports no storage, HTTP, S3 or JWT.
 */
package dev.lading.core.manifest;
